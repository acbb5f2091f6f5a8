import { describe, expect, it } from 'vitest'
import { LOCAL_ID_PREFIX } from '../../src/core/ids'
import { lastConfirmedId, mergeMessages, removeMessage } from '../../src/core/timeline'
import { makeMessage } from '../helpers/fakes'

describe('mergeMessages', () => {
  it('orders by id and replaces duplicates', () => {
    const a = makeMessage()
    const b = makeMessage()
    const c = makeMessage()
    const merged = mergeMessages([a, c], [b, { ...a, content: '<p>edited</p>' }, c])
    expect(merged.map((m) => m.id)).toEqual([a.id, b.id, c.id])
    expect(merged[0]?.content).toBe('<p>edited</p>')
  })

  it('returns the same array when nothing changed', () => {
    const a = makeMessage()
    const list = [a]
    expect(mergeMessages(list, [a])).toBe(list)
    expect(mergeMessages(list, [])).toBe(list)
  })

  it('replaces an optimistic message by client_message_id and keeps pending ones last', () => {
    const old = makeMessage()
    const local = makeMessage({ id: LOCAL_ID_PREFIX + 'c1', client_message_id: 'c1', sender_id: 'u1' })
    const other = makeMessage({ id: LOCAL_ID_PREFIX + 'c2', client_message_id: 'c2', sender_id: 'u1' })
    let list = mergeMessages([old], [local, other])
    expect(list.map((m) => m.id)).toEqual([old.id, local.id, other.id])
    const server = makeMessage({ client_message_id: 'c1', sender_id: 'u1' })
    list = mergeMessages(list, [server])
    expect(list.map((m) => m.id)).toEqual([old.id, server.id, other.id])
    // The same server message arriving again (REST after socket) changes nothing.
    expect(mergeMessages(list, [server])).toBe(list)
  })

  it('does not let a stale copy undo an edit', () => {
    const m = makeMessage()
    const edited = { ...m, content: '<p>new</p>', last_edited_at: new Date(Date.now() + 1000).toISOString() }
    expect(mergeMessages([edited], [m])[0]?.content).toBe('<p>new</p>')
  })

  it('removes and finds the last confirmed id', () => {
    const a = makeMessage()
    const local = makeMessage({ id: LOCAL_ID_PREFIX + 'x', client_message_id: 'x' })
    const list = [a, local]
    expect(lastConfirmedId(list)).toBe(a.id)
    expect(removeMessage(list, a.id)).toEqual([local])
  })
})
