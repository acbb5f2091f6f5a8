import { compareIds, isLocalId } from './ids'
import type { Message } from './types'

/**
 * Merge `incoming` into `current` (both ascending) by id. Rules that keep the list free of gaps'
 * duplicates:
 * - same `id` → the incoming copy replaces the old one (edits, catch-up);
 * - an incoming server message whose `client_message_id` matches an optimistic local message
 *   replaces it (the socket's `message.new` may arrive before or after the REST response);
 * - confirmed messages are ordered by id (UUIDv7 is time-ordered); optimistic ones stay last.
 * Returns `current` itself when nothing changed, so callers can skip re-rendering.
 */
export function mergeMessages(current: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return current as Message[]
  const byId = new Map<string, Message>()
  const pendingByClientId = new Map<string, string>()
  for (const m of current) {
    byId.set(m.id, m)
    if (isLocalId(m.id) && m.client_message_id) pendingByClientId.set(m.client_message_id, m.id)
  }
  let changed = false
  for (const m of incoming) {
    if (!isLocalId(m.id) && m.client_message_id) {
      const localId = pendingByClientId.get(m.client_message_id)
      if (localId) {
        byId.delete(localId)
        pendingByClientId.delete(m.client_message_id)
        changed = true
      }
    }
    const old = byId.get(m.id)
    if (old !== m) {
      byId.set(m.id, old ? preferNewer(old, m) : m)
      changed = true
    }
  }
  if (!changed) return current as Message[]
  return sortMessages([...byId.values()])
}

/** An older copy (e.g. a stale catch-up page) must not undo an edit seen over the socket. */
function preferNewer(old: Message, next: Message): Message {
  const o = old.last_edited_at ? Date.parse(old.last_edited_at) : 0
  const n = next.last_edited_at ? Date.parse(next.last_edited_at) : 0
  return n >= o ? next : old
}

export function sortMessages(list: Message[]): Message[] {
  const confirmed = list.filter((m) => !isLocalId(m.id)).sort((a, b) => compareIds(a.id, b.id))
  const pending = list.filter((m) => isLocalId(m.id))
  return pending.length ? confirmed.concat(pending) : confirmed
}

export function removeMessage(current: readonly Message[], id: string): Message[] {
  const next = current.filter((m) => m.id !== id)
  return next.length === current.length ? (current as Message[]) : next
}

/** The newest message acknowledged by the server (the `after=` cursor for catch-up). */
export function lastConfirmedId(list: readonly Message[]): string | null {
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i]
    if (m && !isLocalId(m.id)) return m.id
  }
  return null
}

export function firstConfirmedId(list: readonly Message[]): string | null {
  for (const m of list) if (!isLocalId(m.id)) return m.id
  return null
}
