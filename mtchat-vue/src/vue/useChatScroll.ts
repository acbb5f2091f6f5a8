import { nextTick, onScopeDispose, shallowRef, watch, type Ref, type ShallowRef } from 'vue'

export interface UseChatScrollOptions {
  /** Distance from an edge (px) that counts as "at" it. Default 80. */
  threshold?: number
  onTop?: () => void
  onBottom?: () => void
}

export interface UseChatScrollReturn {
  atBottom: ShallowRef<boolean>
  /** Call before the list changes; returns a function to call after, keeping the view steady. */
  preserve(): () => void
  scrollToBottom(): void
  /** Scroll the element with `data-message-id=id` into the middle of the view. */
  scrollToMessage(id: string): boolean
}

/**
 * Scroll behaviour of a chat timeline: sticks to the bottom when already there, keeps the
 * visible messages in place when older ones are prepended, reports reaching either edge.
 */
export function useChatScroll(target: Ref<HTMLElement | null | undefined>, options: UseChatScrollOptions = {}): UseChatScrollReturn {
  const threshold = options.threshold ?? 80
  const atBottom = shallowRef(true)

  const onScroll = () => {
    const el = target.value
    if (!el) return
    const bottomGap = el.scrollHeight - el.scrollTop - el.clientHeight
    atBottom.value = bottomGap <= threshold
    if (el.scrollTop <= threshold) options.onTop?.()
    if (atBottom.value) options.onBottom?.()
  }

  watch(
    target,
    (el, old) => {
      old?.removeEventListener('scroll', onScroll)
      el?.addEventListener('scroll', onScroll, { passive: true })
    },
    { immediate: true },
  )
  onScopeDispose(() => target.value?.removeEventListener('scroll', onScroll))

  function preserve(): () => void {
    const el = target.value
    if (!el) return () => undefined
    const stick = atBottom.value
    const fromBottom = el.scrollHeight - el.scrollTop
    return () => {
      void nextTick(() => {
        const e = target.value
        if (!e) return
        e.scrollTop = stick ? e.scrollHeight : e.scrollHeight - fromBottom
      })
    }
  }

  function scrollToBottom(): void {
    void nextTick(() => {
      const el = target.value
      if (el) el.scrollTop = el.scrollHeight
      atBottom.value = true
    })
  }

  function scrollToMessage(id: string): boolean {
    const el = target.value
    const node = el?.querySelector<HTMLElement>(`[data-message-id="${cssEscape(id)}"]`)
    if (!el || !node) return false
    el.scrollTop = node.offsetTop - el.clientHeight / 2 + node.offsetHeight / 2
    return true
  }

  return { atBottom, preserve, scrollToBottom, scrollToMessage }
}

function cssEscape(value: string): string {
  return typeof CSS !== 'undefined' && typeof CSS.escape === 'function' ? CSS.escape(value) : value.replace(/["\\]/g, '\\$&')
}
