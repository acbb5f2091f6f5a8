import { describe, expect, it } from 'vitest'
import { LOCAL_ID_PREFIX } from '../../src/core/ids'
import { contiguousSeq, dropMissing, lastConfirmedId, maxSeq, mergeMessages, removeMessage } from '../../src/core/timeline'
import { makeMessage } from '../helpers/fakes'

describe('mergeMessages', () => {
  it('orders by seq and replaces duplicates', () => {
    const a = makeMessage()
    const b = makeMessage()
    const c = makeMessage()
    const merged = mergeMessages([a, c], [b, { ...a, content: '<p>edited</p>' }, c])
    expect(merged.map((m) => m.id)).toEqual([a.id, b.id, c.id])
    expect(merged[0]?.content).toBe('<p>edited</p>')
  })

  it('orders by seq, not by id, where the two disagree (clock skew between hosts)', () => {
    const second = makeMessage({ seq: 2 })
    const third = makeMessage({ seq: 3, id: '00000000-0000-7000-8000-000000000001' }) // an "older" id
    const first = makeMessage({ seq: 1 })
    const local = makeMessage({ id: LOCAL_ID_PREFIX + 'c', client_message_id: 'c', seq: 0 })
    expect(mergeMessages([local], [third, first, second]).map((m) => m.seq)).toEqual([1, 2, 3, 0])
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

describe('seq bookkeeping', () => {
  const at = (...seqs: number[]) => seqs.map((seq) => makeMessage({ seq }))

  it('advances over contiguous seqs only, ignoring optimistic messages', () => {
    const local = makeMessage({ id: LOCAL_ID_PREFIX + 'x', client_message_id: 'x', seq: 0 })
    expect(contiguousSeq([...at(1, 2, 3, 5), local], 2)).toBe(3)
    expect(contiguousSeq(at(4, 5), 3)).toBe(5)
    expect(contiguousSeq(at(5), 3)).toBe(3)
    expect(maxSeq([...at(1, 7), local])).toBe(7)
    expect(maxSeq([local])).toBe(0)
  })

  it('drops messages of an answered range that the answer left out', () => {
    const list = at(1, 2, 3, 4, 5)
    const kept = new Set([list[2]!.id])
    expect(dropMissing(list, 2, 4, kept).map((m) => m.seq)).toEqual([1, 2, 3, 5])
    const all = new Set(list.map((m) => m.id))
    expect(dropMissing(list, 0, 5, all)).toBe(list)
  })
})
