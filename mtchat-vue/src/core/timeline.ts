import { compareIds, isLocalId } from './ids'
import type { Message } from './types'

/**
 * Merge `incoming` into `current` (both ascending) by id. Rules that keep the list free of gaps'
 * duplicates:
 * - same `id` → the incoming copy replaces the old one (edits, catch-up);
 * - an incoming server message whose `client_message_id` matches an optimistic local message
 *   replaces it (the socket's `message.new` may arrive before or after the REST response);
 * - confirmed messages are ordered by `seq` (the dialog's commit order); optimistic ones stay last.
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

/**
 * Confirmed messages by `seq`, then optimistic ones in the order they were added. Ids (UUIDv7, the
 * sending host's clock) break ties only, i.e. for a message without a `seq`: across hosts with
 * skewed clocks id order may differ from the dialog's commit order, so it is never the primary key.
 */
export function sortMessages(list: Message[]): Message[] {
  const confirmed = list.filter((m) => !isLocalId(m.id)).sort((a, b) => seqOf(a) - seqOf(b) || compareIds(a.id, b.id))
  const pending = list.filter((m) => isLocalId(m.id))
  return pending.length ? confirmed.concat(pending) : confirmed
}

/** The message's `seq`; 0 for an optimistic message (or a payload without one). */
export function seqOf(m: Message): number {
  return !isLocalId(m.id) && typeof m.seq === 'number' ? m.seq : 0
}

/** The highest `seq` in `list` (0 when it holds no confirmed message). */
export function maxSeq(list: readonly Message[]): number {
  let top = 0
  for (const m of list) top = Math.max(top, seqOf(m))
  return top
}

export function removeMessage(current: readonly Message[], id: string): Message[] {
  const next = current.filter((m) => m.id !== id)
  return next.length === current.length ? (current as Message[]) : next
}

/** The newest message acknowledged by the server (the `after=` cursor of a window in history). */
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

/**
 * How far `confirmed` moves over `list` (ascending): past every message whose `seq` follows it
 * without a hole. A hole is a message that may still arrive (or was deleted); only the server knows.
 */
export function contiguousSeq(list: readonly Message[], confirmed: number): number {
  for (const m of list) {
    const seq = seqOf(m)
    if (seq <= confirmed) continue
    if (seq !== confirmed + 1) break
    confirmed = seq
  }
  return confirmed
}

/**
 * `list` without the confirmed messages in `(from, to]` that are not in `returned`: the server
 * answered for that whole range and no longer has them (deleted; the event may still be on its way).
 */
export function dropMissing(list: readonly Message[], from: number, to: number, returned: ReadonlySet<string>): Message[] {
  const next = list.filter((m) => {
    const seq = seqOf(m)
    return seq <= from || seq > to || returned.has(m.id)
  })
  return next.length === list.length ? (list as Message[]) : next
}
