/**
 * Focus helpers for keyboard users: when a view change hides or removes the focused element
 * (one-column layout on phones, a closed pane, a deleted message), focus is moved somewhere
 * sensible instead of falling back to `<body>`. Focus the user put outside the widget is left alone.
 */

/** True when focus is nowhere useful: on `<body>`, on a detached node, or on a hidden node inside `root`. */
export function isFocusLost(root: HTMLElement | null | undefined): boolean {
  if (typeof document === 'undefined') return false
  const active = document.activeElement as HTMLElement | null
  if (!active || active === document.body || !active.isConnected) return true
  if (!root || !root.contains(active)) return false
  return !isVisible(active)
}

/** Rendered (not inside a `display: none` subtree). */
export function isVisible(el: HTMLElement): boolean {
  if (typeof el.checkVisibility === 'function') return el.checkVisibility()
  for (let n: HTMLElement | null = el; n; n = n.parentElement) {
    if (getComputedStyle(n).display === 'none') return false
  }
  return true
}

/** Focus `el` if it exists; returns whether it did. */
export function focusEl(el: HTMLElement | null | undefined, options?: FocusOptions): boolean {
  if (!el || !el.isConnected) return false
  el.focus(options)
  return document.activeElement === el
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [contenteditable="true"], [tabindex]:not([tabindex="-1"])'

/** Elements reachable with Tab inside `root`, in DOM order. */
export function tabbables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.tabIndex >= 0)
}
