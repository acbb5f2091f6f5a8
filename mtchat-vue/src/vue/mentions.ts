import type { AnyExtension } from '@tiptap/core'
import Mention from '@tiptap/extension-mention'
import type { SuggestionOptions, SuggestionProps } from '@tiptap/suggestion'
import { shallowRef, type ShallowRef } from 'vue'

export interface MentionCandidate {
  id: string
  label: string
  company?: string | null
}

export interface MentionPopup {
  open: boolean
  items: MentionCandidate[]
  index: number
  /** Caret position relative to the viewport. */
  left: number
  top: number
}

export interface MentionController {
  popup: ShallowRef<MentionPopup>
  /** Insert the candidate at `index` (click in the popup). */
  choose(index: number): void
  /** The Tiptap extension to register in the editor. */
  extension: AnyExtension
}

const closed: MentionPopup = { open: false, items: [], index: 0, left: 0, top: 0 }

/**
 * @mentions for the composer: candidates come from the participant list; a mention is stored
 * as `<span data-mention="user_id">@Name</span>` (the server's allow-listed form).
 */
export function createMentions(candidates: () => MentionCandidate[], limit = 8): MentionController {
  const popup = shallowRef<MentionPopup>(closed)
  let command: ((item: { id: string; label: string }) => void) | null = null

  const choose = (index: number) => {
    const item = popup.value.items[index]
    if (item && command) command({ id: item.id, label: item.label })
  }

  const place = (props: SuggestionProps<MentionCandidate>) => {
    command = (item) => props.command(item)
    const rect = props.clientRect?.()
    popup.value = {
      open: true,
      items: props.items,
      index: Math.min(popup.value.open ? popup.value.index : 0, Math.max(0, props.items.length - 1)),
      left: rect?.left ?? 0,
      top: rect?.top ?? 0,
    }
  }

  const suggestion: Omit<SuggestionOptions<MentionCandidate>, 'editor'> = {
    char: '@',
    items: ({ query }) => {
      const q = query.toLowerCase()
      return candidates()
        .filter((c) => c.label.toLowerCase().includes(q) || c.id.toLowerCase().includes(q))
        .slice(0, limit)
    },
    render: () => ({
      onStart: place,
      onUpdate: place,
      onKeyDown: ({ event }) => {
        const p = popup.value
        if (!p.open) return false
        if (event.key === 'Escape') {
          popup.value = closed
          return true
        }
        if (!p.items.length) return false
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          const step = event.key === 'ArrowDown' ? 1 : -1
          popup.value = { ...p, index: (p.index + step + p.items.length) % p.items.length }
          return true
        }
        if (event.key === 'Enter' || event.key === 'Tab') {
          choose(p.index)
          return true
        }
        return false
      },
      onExit: () => {
        popup.value = closed
        command = null
      },
    }),
  }

  const extension: AnyExtension = Mention.extend({
    parseHTML() {
      return [
        {
          tag: 'span[data-mention]',
          getAttrs: (el: HTMLElement) => ({
            id: el.getAttribute('data-mention'),
            label: (el.textContent ?? '').replace(/^@/, ''),
          }),
        },
      ]
    },
  }).configure({
    renderHTML: ({ node }) => ['span', { 'data-mention': String(node.attrs.id) }, `@${String(node.attrs.label ?? node.attrs.id)}`],
    renderText: ({ node }) => `@${String(node.attrs.label ?? node.attrs.id)}`,
    suggestion,
  })

  return { popup, choose, extension }
}
