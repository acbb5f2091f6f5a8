import { onScopeDispose, shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { ChatContext } from './context'

export interface UseTypingOptions {
  /** Minimum gap between two outgoing `typing` frames, ms. Default 3000. */
  throttle?: number
  /** How long an incoming `typing` is shown, ms. Default 5000. */
  showFor?: number
}

export interface UseTypingReturn {
  /** Users typing in this dialog now (never the current user). */
  typingUserIds: ShallowRef<string[]>
  /** Call on each keystroke; sends at most one `typing` frame per `throttle`. */
  notifyTyping(): void
}

/** Typing indicator both ways: throttled `{"type":"typing"}` out, expiring set of typers in. */
export function useTyping(
  ctx: ChatContext,
  dialogId: MaybeRefOrGetter<string | null | undefined>,
  options: UseTypingOptions = {},
): UseTypingReturn {
  const throttle = options.throttle ?? 3000
  const showFor = options.showFor ?? 5000
  const typingUserIds = shallowRef<string[]>([])
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  let lastSent = 0

  const drop = (userId: string) => {
    const t = timers.get(userId)
    if (t) clearTimeout(t)
    timers.delete(userId)
    if (typingUserIds.value.includes(userId)) typingUserIds.value = typingUserIds.value.filter((u) => u !== userId)
  }
  const reset = () => {
    for (const t of timers.values()) clearTimeout(t)
    timers.clear()
    typingUserIds.value = []
    lastSent = 0
  }

  const offs = [
    ctx.socket.onEvent('typing', (e) => {
      if (e.dialog_id !== toValue(dialogId) || e.user_id === ctx.userId.value) return
      const t = timers.get(e.user_id)
      if (t) clearTimeout(t)
      timers.set(e.user_id, setTimeout(() => drop(e.user_id), showFor))
      if (!typingUserIds.value.includes(e.user_id)) typingUserIds.value = [...typingUserIds.value, e.user_id]
    }),
    // A message from a typer ends their typing (receivers drop it too, so my next keystroke announces again).
    ctx.socket.onEvent('message.new', (e) => {
      if (e.dialog_id !== toValue(dialogId) || !e.message.sender_id) return
      if (e.message.sender_id === ctx.userId.value) lastSent = 0
      else drop(e.message.sender_id)
    }),
  ]

  function notifyTyping(): void {
    const id = toValue(dialogId)
    const now = Date.now()
    if (!id || now - lastSent < throttle) return
    if (ctx.socket.sendTyping(id)) lastSent = now
  }

  watch(() => toValue(dialogId), reset)
  onScopeDispose(() => {
    reset()
    for (const off of offs) off()
  })
  return { typingUserIds, notifyTyping }
}
