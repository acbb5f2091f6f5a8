import { onScopeDispose, shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { MTChatError } from '../core/errors'
import { toMTChatError } from '../core/errors'
import type { DialogItem } from '../core/types'
import type { ChatContext } from './context'

export type DialogState = 'idle' | 'loading' | 'ready' | 'not-found' | 'error'

/** Which dialog to show: by id (full mode) or by business object (inline mode). */
export type DialogTarget = { dialogId: string } | { objectType: string; objectId: string } | null

export interface UseDialogReturn {
  dialog: ShallowRef<DialogItem | null>
  state: ShallowRef<DialogState>
  error: ShallowRef<MTChatError | null>
  reload(): Promise<void>
}

/**
 * One dialog's details, kept fresh on join/leave/update. Inline mode resolves the object's dialog
 * with `GET /dialogs/by-object/{type}/{id}`; a 404 is a normal state (`not-found`), not an error event.
 */
export function useDialog(ctx: ChatContext, target: MaybeRefOrGetter<DialogTarget>): UseDialogReturn {
  const dialog = shallowRef<DialogItem | null>(null)
  const state = shallowRef<DialogState>('idle')
  const error = shallowRef<MTChatError | null>(null)
  let generation = 0

  async function reload(quiet = false): Promise<void> {
    const t = toValue(target)
    const gen = ++generation
    if (!t) {
      dialog.value = null
      state.value = 'idle'
      return
    }
    if (!quiet) state.value = 'loading'
    try {
      const d =
        'dialogId' in t ? await ctx.client.getDialog(t.dialogId) : await ctx.client.getDialogByObject(t.objectType, t.objectId)
      if (gen !== generation) return
      dialog.value = d
      state.value = 'ready'
      error.value = null
    } catch (err) {
      if (gen !== generation) return
      const e = toMTChatError(err)
      error.value = e
      dialog.value = null
      state.value = e.status === 404 ? 'not-found' : 'error'
      if (e.status !== 404) ctx.reportError(e)
    }
  }

  const isMine = (dialogId: string) => dialog.value?.id === dialogId
  const offs = [
    ctx.events.on('dialog-joined', (e) => isMine(e.dialogId) && void reload(true)),
    ctx.events.on('dialog-left', (e) => isMine(e.dialogId) && void reload(true)),
    ctx.events.on('dialog-changed', (e) => {
      if (isMine(e.dialogId) && dialog.value) dialog.value = { ...dialog.value, ...e.patch }
    }),
    ctx.socket.onEvent('dialog.updated', (e) => isMine(e.dialog_id) && void reload(true)),
    ctx.socket.onEvent('dialog.removed', (e) => isMine(e.dialog_id) && void reload(true)),
    ctx.socket.onEvent('dialog.added', (e) => isMine(e.dialog_id) && void reload(true)),
    ctx.socket.onEvent('participant.joined', (e) => {
      if (isMine(e.dialog_id) && e.user_id === ctx.userId.value) void reload(true)
    }),
  ]

  watch(() => JSON.stringify(toValue(target)), () => void reload(), { immediate: true })
  onScopeDispose(() => {
    generation++
    for (const off of offs) off()
  })
  return { dialog, state, error, reload: () => reload() }
}
