import { shallowRef, type ShallowRef } from 'vue'
import type { JoinInput } from '../core/types'
import type { ChatContext } from './context'

export interface UseDialogActionsReturn {
  busy: ShallowRef<boolean>
  join(dialogId: string, profile?: JoinInput): Promise<boolean>
  leave(dialogId: string): Promise<boolean>
  setPinned(dialogId: string, pinned: boolean): Promise<boolean>
  setArchived(dialogId: string, archived: boolean): Promise<boolean>
  setNotifications(dialogId: string, enabled: boolean): Promise<boolean>
}

/** Per-user dialog actions; each reports failures and announces success on `ctx.events`. */
export function useDialogActions(ctx: ChatContext): UseDialogActionsReturn {
  const busy = shallowRef(false)

  async function run(action: () => Promise<unknown>, after: () => void): Promise<boolean> {
    busy.value = true
    try {
      await action()
      after()
      return true
    } catch (err) {
      ctx.reportError(err)
      return false
    } finally {
      busy.value = false
    }
  }

  return {
    busy,
    join: (id, profile = {}) =>
      run(() => ctx.client.joinDialog(id, profile), () => ctx.events.emit('dialog-joined', { dialogId: id })),
    leave: (id) => run(() => ctx.client.leaveDialog(id), () => ctx.events.emit('dialog-left', { dialogId: id })),
    setPinned: (id, pinned) =>
      run(
        () => (pinned ? ctx.client.pin(id) : ctx.client.unpin(id)),
        () => ctx.events.emit('dialog-changed', { dialogId: id, patch: { is_pinned: pinned } }),
      ),
    setArchived: (id, archived) =>
      run(
        () => (archived ? ctx.client.archive(id) : ctx.client.unarchive(id)),
        () => ctx.events.emit('dialog-changed', { dialogId: id, patch: { is_archived: archived } }),
      ),
    setNotifications: (id, enabled) =>
      run(
        () => ctx.client.setNotifications(id, enabled),
        () => ctx.events.emit('dialog-changed', { dialogId: id, patch: { notifications_enabled: enabled } }),
      ),
  }
}
