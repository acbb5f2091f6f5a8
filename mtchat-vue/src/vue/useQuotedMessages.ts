import { onScopeDispose, shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { Message } from '../core/types'
import type { ChatContext } from './context'

/**
 * Messages quoted by replies but not loaded in the timeline (older history): fetched one by one
 * with `GET …/messages/{id}` and cached; `null` marks a deleted/unavailable original.
 */
export function useQuotedMessages(
  ctx: ChatContext,
  dialogId: MaybeRefOrGetter<string | null | undefined>,
  messages: MaybeRefOrGetter<Message[]>,
): ShallowRef<Record<string, Message | null>> {
  const quotes = shallowRef<Record<string, Message | null>>({})
  const inFlight = new Set<string>()
  let disposed = false

  watch(
    () => toValue(dialogId),
    () => {
      quotes.value = {}
      inFlight.clear()
    },
  )

  watch(
    () => toValue(messages),
    (list) => {
      const dialog = toValue(dialogId)
      if (!dialog) return
      const loaded = new Set(list.map((m) => m.id))
      for (const m of list) {
        const id = m.reply_to_id
        if (!id || loaded.has(id) || id in quotes.value || inFlight.has(id)) continue
        inFlight.add(id)
        ctx.client
          .getMessage(dialog, id)
          .then((q) => q as Message | null)
          .catch(() => null)
          .then((q) => {
            inFlight.delete(id)
            if (!disposed && toValue(dialogId) === dialog) quotes.value = { ...quotes.value, [id]: q }
          })
      }
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    disposed = true
  })
  return quotes
}
