import { onScopeDispose, shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { Participant } from '../core/types'
import type { ChatContext } from './context'

export interface UseParticipantsOptions {
  /** Load when the dialog id is set. Default true. */
  immediate?: boolean
}

export interface UseParticipantsReturn {
  participants: ShallowRef<Participant[]>
  loading: ShallowRef<boolean>
  refresh(): Promise<void>
  /** Display name of a user id (falls back to the id). */
  nameOf(userId: string | null | undefined): string
}

/** Participants of a dialog with live presence dots and join/leave updates. */
export function useParticipants(
  ctx: ChatContext,
  dialogId: MaybeRefOrGetter<string | null | undefined>,
  options: UseParticipantsOptions = {},
): UseParticipantsReturn {
  const participants = shallowRef<Participant[]>([])
  const loading = shallowRef(false)
  let generation = 0

  async function refresh(): Promise<void> {
    const id = toValue(dialogId)
    const gen = ++generation
    if (!id) {
      participants.value = []
      return
    }
    loading.value = true
    try {
      const list = await ctx.client.getParticipants(id)
      if (gen === generation) participants.value = list
    } catch (err) {
      // Potential participants may not see the list in some deployments: show none, quietly.
      if (gen === generation) participants.value = []
      if ((err as { status?: number }).status !== 403) ctx.reportError(err)
    } finally {
      if (gen === generation) loading.value = false
    }
  }

  function nameOf(userId: string | null | undefined): string {
    if (!userId) return ''
    const p = participants.value.find((x) => x.user_id === userId)
    return p?.display_name || userId
  }

  const offs = [
    ctx.socket.onEvent('presence.update', (e) => {
      if (!participants.value.some((p) => p.user_id === e.user_id)) return
      participants.value = participants.value.map((p) => (p.user_id === e.user_id ? { ...p, is_online: e.is_online } : p))
    }),
    ctx.socket.onEvent('participant.joined', (e) => {
      if (e.dialog_id === toValue(dialogId)) void refresh()
    }),
    ctx.socket.onEvent('participant.left', (e) => {
      if (e.dialog_id === toValue(dialogId)) participants.value = participants.value.filter((p) => p.user_id !== e.user_id)
    }),
    ctx.socket.on('connected', (e) => {
      if (e.reconnect) void refresh()
    }),
  ]

  watch(() => toValue(dialogId), () => void refresh(), { immediate: options.immediate !== false })
  onScopeDispose(() => {
    generation++
    for (const off of offs) off()
  })
  return { participants, loading, refresh, nameOf }
}
