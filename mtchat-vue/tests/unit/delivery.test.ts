// Delivery at the live end (SPEC §5.4): events are published after commit, so two sends to one
// dialog may reach a socket out of order, and a dropped socket misses some. The timeline orders by
// `seq`, fills holes with `after_seq=`, and catches up the same way after a reconnect.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/core/types'
import { useMessages, type UseMessagesOptions } from '../../src/vue/useMessages'
import { createFakeFetch, createTestContext, FakeWebSocket, flush, makeMessage, type RecordedRequest } from '../helpers/fakes'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const DELAY = 20

/**
 * The server's history of dialog d1, paged by seq like the real one: the latest page, `after=<id>`
 * and `after_seq=`. Tests add and delete messages in `store`; `gate` can hold answers back.
 */
function server(initial: Message[]) {
  const store = [...initial]
  let gate: Promise<void> | null = null
  let inFlight = 0
  let maxInFlight = 0
  const fake = createFakeFetch({
    'GET /dialogs/d1/messages': (req) => answer(req),
    'GET /dialogs/d1/messages/:id/readers': () => ({ body: { data: [] } }),
    'POST /dialogs/d1/read': () => ({ body: { data: {} } }),
  })
  function answer(req: RecordedRequest) {
    const q = req.url.searchParams
    const limit = Number(q.get('limit') ?? 50)
    const all = [...store].sort((a, b) => a.seq - b.seq)
    let from = 0
    if (q.has('after_seq')) from = Number(q.get('after_seq'))
    else if (q.has('after')) {
      const anchor = all.find((m) => m.id === q.get('after'))
      if (!anchor) return { status: 404, body: { error: { code: 'MESSAGE_NOT_FOUND', message: 'gone' } } }
      from = anchor.seq
    } else if (q.has('around')) {
      const i = all.findIndex((m) => m.id === q.get('around'))
      const start = Math.max(0, i - Math.floor((limit - 1) / 2))
      return pageOf(all.slice(start, start + limit), start > 0, start + limit < all.length)
    } else {
      const latest = all.slice(-limit)
      return pageOf(latest, all.length > limit, false)
    }
    const newer = all.filter((m) => m.seq > from)
    return pageOf(newer.slice(0, limit), all.some((m) => m.seq <= from), newer.length > limit)
  }
  const pageOf = (messages: Message[], before: boolean, after: boolean) => ({
    body: { data: { messages, has_more_before: before, has_more_after: after, first_unread_message_id: null } },
  })
  // Count concurrent history requests and let a test hold them at `gate`.
  const fetch: typeof fake.fetch = async (input, init) => {
    const isHistory = new URL(input).pathname.endsWith('/messages') && (init?.method ?? 'GET') === 'GET'
    if (!isHistory) return fake.fetch(input, init)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    try {
      const res = await fake.fetch(input, init)
      if (gate) await gate
      return res
    } finally {
      inFlight--
    }
  }
  return {
    store,
    fetch,
    /** `after_seq` values asked for, in order. */
    afterSeqCalls: () => fake.calls.filter((c) => c.url.searchParams.has('after_seq')).map((c) => Number(c.url.searchParams.get('after_seq'))),
    afterIdCalls: () => fake.calls.filter((c) => c.url.searchParams.has('after')),
    get maxInFlight() {
      return maxInFlight
    },
    hold(): () => void {
      let release = () => undefined as void
      gate = new Promise<void>((r) => (release = r))
      return () => {
        gate = null
        release()
      }
    },
    remove(id: string) {
      const i = store.findIndex((m) => m.id === id)
      if (i >= 0) store.splice(i, 1)
    },
  }
}

/** Messages of d1 with the given seqs (ids in the same order). */
const seqs = (...list: number[]) => list.map((seq) => makeMessage({ seq, content: `<p>#${seq}</p>` }))

async function open(srv: ReturnType<typeof server>, options: UseMessagesOptions = {}) {
  const { ctx, scope } = createTestContext(srv.fetch)
  const tl = scope.run(() => useMessages(ctx, 'd1', { gapFillDelay: DELAY, ...options }))!
  FakeWebSocket.last.open('u1')
  await flush()
  const live = (m: Message) => FakeWebSocket.last.receive({ type: 'message.new', dialog_id: 'd1', message: m })
  const shown = () => tl.messages.value.map((m) => m.seq)
  return { ctx, scope, tl, live, shown }
}

describe('delivery by seq', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => FakeWebSocket.reset())

  it('shows n+1 then n once each, in seq order, without fetching when the hole closes in time', async () => {
    const [m1, m2, m3, m4] = seqs(1, 2, 3, 4)
    const srv = server([m1!, m2!])
    const { scope, live, shown } = await open(srv)
    srv.store.push(m3!, m4!)
    live(m4!)
    expect(shown()).toEqual([1, 2, 4]) // in its place at once, before the hole is closed
    live(m3!)
    live(m4!) // a duplicate delivery changes nothing
    expect(shown()).toEqual([1, 2, 3, 4])
    await sleep(DELAY * 3)
    expect(srv.afterSeqCalls()).toEqual([])
    scope.stop()
  })

  it('orders by seq even where ids (host clocks) disagree', async () => {
    const late = makeMessage({ seq: 2 })
    const early = makeMessage({ seq: 3, id: '0000skewed-0000-7000-8000-000000000000' })
    const srv = server([makeMessage({ seq: 1 }), late])
    const { scope, live, tl } = await open(srv)
    srv.store.push(early)
    live(early)
    expect(tl.messages.value.map((m) => m.id).slice(1)).toEqual([late.id, early.id])
    scope.stop()
  })

  it('fills a hole that never arrives live with after_seq=, paging to the end', async () => {
    const all = seqs(1, 2, 3, 4, 5, 6, 7, 8)
    const srv = server(all.slice(0, 2))
    const { scope, live, shown } = await open(srv, { pageSize: 2 })
    srv.store.push(...all.slice(2))
    live(all[7]!) // seq 8: 3…7 were published to a socket that is not ours any more, say
    expect(shown()).toEqual([1, 2, 8])
    await sleep(DELAY * 3)
    await flush()
    expect(shown()).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(srv.afterSeqCalls()).toEqual([2, 4, 6])
    // Contiguous again: the next message is simply appended.
    const [m9] = seqs(9)
    srv.store.push(m9!)
    live(m9!)
    await sleep(DELAY * 3)
    expect(shown()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(srv.afterSeqCalls()).toEqual([2, 4, 6])
    scope.stop()
  })

  it('does not refetch the hole of a deleted message', async () => {
    const [m1, m2, m3, m4, m5] = seqs(1, 2, 3, 4, 5)
    const srv = server([m1!, m2!])
    const { scope, live, shown } = await open(srv)
    // 3 was deleted before this socket saw it; 4 arrives.
    srv.store.push(m4!)
    live(m4!)
    await sleep(DELAY * 3)
    await flush()
    expect(shown()).toEqual([1, 2, 4])
    expect(srv.afterSeqCalls()).toEqual([2])
    srv.store.push(m5!)
    live(m5!)
    await sleep(DELAY * 3)
    expect(shown()).toEqual([1, 2, 4, 5])
    expect(srv.afterSeqCalls()).toEqual([2])
    void m3
    scope.stop()
  })

  it('drops a held message the fill proves deleted, and stops there', async () => {
    const [m1, m2, , m4] = seqs(1, 2, 3, 4)
    const srv = server([m1!, m2!])
    const { scope, live, shown } = await open(srv)
    // 3 and 4 were deleted before the fill asks; 4's message.deleted is still on its way.
    live(m4!)
    expect(shown()).toEqual([1, 2, 4])
    await sleep(DELAY * 3)
    await flush()
    expect(shown()).toEqual([1, 2])
    await sleep(DELAY * 5)
    expect(srv.afterSeqCalls()).toEqual([2])
    scope.stop()
  })

  it('runs one fill at a time for a burst of out-of-order events', async () => {
    const all = seqs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
    const srv = server(all.slice(0, 2))
    const { scope, live, shown } = await open(srv)
    srv.store.push(...all.slice(2, 10))
    for (const seq of [10, 8, 6, 4]) live(all[seq - 1]!)
    const release = srv.hold()
    await sleep(DELAY * 3)
    expect(srv.afterSeqCalls()).toEqual([2]) // one fill for the whole burst
    // More holes while it runs: no second request in parallel.
    srv.store.push(all[10]!, all[11]!)
    live(all[11]!)
    live(all[4]!)
    await sleep(DELAY * 3)
    expect(srv.afterSeqCalls()).toEqual([2])
    release()
    await flush()
    await sleep(DELAY * 3)
    await flush()
    // The first answer ended at 10; 12 was seen past a hole at 11, so one more fill, after it.
    expect(srv.afterSeqCalls()).toEqual([2, 10])
    expect(srv.maxInFlight).toBe(1)
    expect(shown()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    scope.stop()
  })

  it('catches up with after_seq= after a reconnect, once per message however it arrives', async () => {
    const [m1, m2, m3, m4, m5] = seqs(1, 2, 3, 4, 5)
    const srv = server([m1!, m2!, m3!])
    const { ctx, scope, tl, live, shown } = await open(srv)
    FakeWebSocket.last.serverClose(1006)
    // While away: 3 (the newest we saw) is deleted, so `after=<its id>` would be a 404; 4 and 5 sent.
    srv.remove(m3!.id)
    srv.store.push(m4!, m5!)
    const release = srv.hold()
    ctx.socket.reconnectNow()
    FakeWebSocket.last.open('u1')
    await flush()
    // The new socket delivers 5 before the catch-up answers: shown at once, and once.
    live(m5!)
    release()
    await flush(10)
    expect(shown()).toEqual([1, 2, 3, 4, 5])
    expect(srv.afterSeqCalls()).toEqual([3])
    expect(srv.afterIdCalls()).toEqual([])
    expect(new Set(tl.messages.value.map((m) => m.id)).size).toBe(5)
    await sleep(DELAY * 3)
    expect(srv.afterSeqCalls()).toEqual([3])
    scope.stop()
  })

  it('catches up again when the socket drops while a fill is running', async () => {
    const [m1, m2, m3, m4, m5] = seqs(1, 2, 3, 4, 5)
    const srv = server([m1!, m2!])
    const { ctx, scope, live, shown } = await open(srv)
    srv.store.push(m3!, m4!)
    live(m4!)
    const release = srv.hold()
    await sleep(DELAY * 3) // the fill for 3 is waiting for its answer (which ends at 4)
    FakeWebSocket.last.serverClose(1006)
    srv.store.push(m5!) // published to nobody
    ctx.socket.reconnectNow()
    FakeWebSocket.last.open('u1')
    await flush()
    expect(srv.afterSeqCalls()).toEqual([2]) // still one at a time
    release()
    await flush(10)
    expect(srv.afterSeqCalls()).toEqual([2, 4])
    expect(shown()).toEqual([1, 2, 3, 4, 5])
    scope.stop()
  })

  it('leaves a window in history alone, and fills what went by once paging down reaches the end', async () => {
    const all = seqs(1, 2, 3, 4, 5, 6)
    const srv = server(all.slice(0, 4))
    const { tl, scope, live, shown } = await open(srv, { pageSize: 2 })
    expect(shown()).toEqual([3, 4])
    // An older window (as after jumping to a quoted message): it does not reach the live end.
    await tl.jumpTo(all[0]!.id)
    expect(shown()).toEqual([1, 2])
    expect(tl.hasMoreAfter.value).toBe(true)
    // The last page down (after=<id>, as before) is answered before 5 and 6 are sent; their
    // events come while the window still ends in history, so they are not shown then.
    const release = srv.hold()
    const paging = tl.loadNewer()
    await flush()
    srv.store.push(all[4]!, all[5]!)
    live(all[4]!)
    live(all[5]!)
    expect(shown()).toEqual([1, 2])
    await sleep(DELAY * 3)
    expect(srv.afterSeqCalls()).toEqual([])
    release()
    await paging
    expect(tl.hasMoreAfter.value).toBe(false)
    expect(shown()).toEqual([1, 2, 3, 4])
    // Now at the live end, with 5 and 6 known to exist: one fill brings them.
    await sleep(DELAY * 3)
    await flush()
    expect(shown()).toEqual([1, 2, 3, 4, 5, 6])
    expect(srv.afterSeqCalls()).toEqual([4])
    expect(srv.afterIdCalls().map((c) => c.url.searchParams.get('after'))).toEqual([all[1]!.id])
    scope.stop()
  })

  it('keeps live messages that arrive while the first page loads', async () => {
    const [m1, m2, m3] = seqs(1, 2, 3)
    const srv = server([m1!, m2!])
    const release = srv.hold()
    const { ctx, scope } = createTestContext(srv.fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1', { gapFillDelay: DELAY }))!
    FakeWebSocket.last.open('u1')
    await flush()
    srv.store.push(m3!)
    FakeWebSocket.last.receive({ type: 'message.new', dialog_id: 'd1', message: m3 })
    release()
    await flush()
    await sleep(DELAY * 3)
    expect(tl.messages.value.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(srv.afterSeqCalls()).toEqual([])
    scope.stop()
  })
})
