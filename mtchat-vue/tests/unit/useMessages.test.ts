import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Message, MessagesPage } from '../../src/core/types'
import { useMessages } from '../../src/vue/useMessages'
import { createFakeFetch, createTestContext, FakeWebSocket, flush, makeMessage } from '../helpers/fakes'

const page = (messages: Message[], extra: Partial<MessagesPage> = {}) => ({
  body: { data: { messages, has_more_before: false, has_more_after: false, first_unread_message_id: null, ...extra } },
})

describe('useMessages', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => FakeWebSocket.reset())

  it('loads the latest page and the unread marker', async () => {
    const a = makeMessage()
    const b = makeMessage()
    const { fetch } = createFakeFetch({ 'GET /dialogs/d1/messages': () => page([a, b], { first_unread_message_id: b.id, has_more_before: true }) })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    await flush()
    expect(tl.messages.value.map((m) => m.id)).toEqual([a.id, b.id])
    expect(tl.firstUnreadId.value).toBe(b.id)
    expect(tl.hasMoreBefore.value).toBe(true)
    scope.stop()
  })

  it('pages older messages with before=', async () => {
    const older = makeMessage()
    const a = makeMessage()
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs/d1/messages': (req) =>
        req.url.searchParams.get('before') === a.id ? page([older]) : page([a], { has_more_before: true }),
    })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    await flush()
    await tl.loadOlder()
    expect(tl.messages.value.map((m) => m.id)).toEqual([older.id, a.id])
    expect(tl.hasMoreBefore.value).toBe(false)
    expect(calls.at(-1)?.url.searchParams.get('before')).toBe(a.id)
    scope.stop()
  })

  it('sends with a client_message_id and keeps one copy whichever of REST / message.new comes first', async () => {
    let resolveSend: (m: Message) => void = () => undefined
    let server: Message | null = null
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs/d1/messages': () => page([]),
      'POST /dialogs/d1/messages': (req) => {
        const body = req.body as { client_message_id: string; content: string }
        server = makeMessage({ sender_id: 'u1', content: body.content, client_message_id: body.client_message_id })
        return { status: 201, body: { data: server } }
      },
      'POST /dialogs/d1/read': () => ({ body: { data: {} } }),
    })
    // Delay the POST answer so the socket event lands first.
    const slowFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      if (init?.method === 'POST' && String(input).endsWith('/messages')) {
        await new Promise<void>((r) => {
          resolveSend = () => r()
        })
      }
      return res
    }
    const { ctx, scope } = createTestContext(slowFetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    FakeWebSocket.last.open('u1')
    await flush()
    const sent = tl.send('<p>hi</p>')
    await flush()
    expect(tl.messages.value).toHaveLength(1)
    expect(tl.messages.value[0]?.id.startsWith('local:')).toBe(true)
    const post = calls.find((c) => c.method === 'POST' && c.url.pathname.endsWith('/messages'))
    const cmid = (post?.body as { client_message_id: string }).client_message_id
    expect(cmid).toMatch(/^[0-9a-f-]{36}$/)
    FakeWebSocket.last.receive({ type: 'message.new', dialog_id: 'd1', message: server })
    expect(tl.messages.value.map((m) => m.id)).toEqual([server!.id])
    resolveSend(server!)
    await sent
    expect(tl.messages.value.map((m) => m.id)).toEqual([server!.id])
    expect(tl.pending.value).toEqual({})
    scope.stop()
  })

  it('marks a failed send and retries with the same client_message_id', async () => {
    let fail = true
    const bodies: unknown[] = []
    const { fetch } = createFakeFetch({
      'GET /dialogs/d1/messages': () => page([]),
      'POST /dialogs/d1/messages': (req) => {
        bodies.push(req.body)
        if (fail) return { status: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'x' } } }
        return { status: 201, body: { data: makeMessage({ sender_id: 'u1', client_message_id: (req.body as { client_message_id: string }).client_message_id }) } }
      },
      'POST /dialogs/d1/read': () => ({ body: { data: {} } }),
    })
    const { ctx, scope } = createTestContext(fetch)
    const errors: unknown[] = []
    ctx.events.on('error', (e) => errors.push(e))
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    await flush()
    await tl.send('<p>x</p>')
    const localId = tl.messages.value[0]!.id
    expect(tl.pending.value[localId]).toBe('failed')
    expect(errors).toHaveLength(1)
    fail = false
    await tl.retry(localId)
    expect(tl.messages.value).toHaveLength(1)
    expect(tl.messages.value[0]!.id.startsWith('local:')).toBe(false)
    const [first, second] = bodies as { client_message_id: string }[]
    expect(first!.client_message_id).toBe(second!.client_message_id)
    scope.stop()
  })

  it('applies edited / deleted / read events of its dialog only', async () => {
    const a = makeMessage({ sender_id: 'u1' })
    const b = makeMessage()
    const { fetch } = createFakeFetch({ 'GET /dialogs/d1/messages': () => page([a, b]) })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    FakeWebSocket.last.open('u1')
    await flush()
    const ws = FakeWebSocket.last
    ws.receive({ type: 'message.edited', dialog_id: 'd1', message: { ...b, content: '<p>fixed</p>', last_edited_at: new Date().toISOString() } })
    ws.receive({ type: 'message.deleted', dialog_id: 'd2', message_id: a.id })
    ws.receive({ type: 'message.new', dialog_id: 'd2', message: makeMessage({ dialog_id: 'd2' }) })
    ws.receive({ type: 'message.read', dialog_id: 'd1', user_id: 'u2', last_read_message_id: a.id })
    expect(tl.messages.value.map((m) => m.content)).toEqual([a.content, '<p>fixed</p>'])
    expect(tl.readBy.value).toEqual({ u2: a.id })
    ws.receive({ type: 'message.deleted', dialog_id: 'd1', message_id: a.id })
    expect(tl.messages.value.map((m) => m.id)).toEqual([b.id])
    scope.stop()
  })

  it('jumps to a message outside the loaded window with around=', async () => {
    const old = makeMessage()
    const a = makeMessage()
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs/d1/messages': (req) =>
        req.url.searchParams.get('around') === old.id ? page([old], { has_more_after: true }) : page([a], { has_more_before: true }),
    })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    await flush()
    expect(await tl.jumpTo(old.id)).toBe(true)
    expect(tl.focusId.value).toBe(old.id)
    expect(tl.hasMoreAfter.value).toBe(true)
    expect(calls.at(-1)?.url.searchParams.get('around')).toBe(old.id)
    scope.stop()
  })

  it('offers my last message for editing and never marks read backwards', async () => {
    const mine = makeMessage({ sender_id: 'u1' })
    const theirs = makeMessage({ sender_id: 'u2' })
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs/d1/messages': () => page([mine, theirs]),
      'POST /dialogs/d1/read': () => ({ body: { data: {} } }),
    })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    await flush()
    expect(tl.lastOwnMessage.value?.id).toBe(mine.id)
    await tl.markRead(theirs.id)
    await tl.markRead(mine.id)
    const reads = calls.filter((c) => c.url.pathname.endsWith('/read'))
    expect(reads.map((r) => (r.body as { last_read_message_id: string }).last_read_message_id)).toEqual([theirs.id])
    scope.stop()
  })

  it('seeds read receipts from the readers of my oldest loaded message, then follows message.read', async () => {
    const theirs = makeMessage({ sender_id: 'u2' })
    const mine1 = makeMessage({ sender_id: 'u1' })
    const mine2 = makeMessage({ sender_id: 'u1' })
    let readersOf: string | null = null
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs/d1/messages': () => page([theirs, mine1, mine2]),
      'GET /dialogs/d1/messages/:id/readers': (req) => {
        readersOf = req.url.pathname.split('/').at(-2) ?? null
        return { body: { data: [{ user_id: 'u2', display_name: 'Bob', last_read_message_id: mine1.id }] } }
      },
    })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    FakeWebSocket.last.open('u1')
    await flush()
    expect(readersOf).toBe(mine1.id)
    expect(tl.readBy.value).toEqual({ u2: mine1.id })
    FakeWebSocket.last.receive({ type: 'message.read', dialog_id: 'd1', user_id: 'u2', last_read_message_id: mine2.id })
    expect(tl.readBy.value).toEqual({ u2: mine2.id })
    // One request per loaded window; live events take it from there.
    expect(calls.filter((c) => c.url.pathname.endsWith('/readers'))).toHaveLength(1)
    scope.stop()
  })

  it('asks for the read state again after a reconnect (read events were missed)', async () => {
    const mine = makeMessage({ sender_id: 'u1' })
    let readers = 0
    const { fetch } = createFakeFetch({
      'GET /dialogs/d1/messages': () => page([mine]),
      'GET /dialogs/d1/messages/:id/readers': () => {
        readers++
        return { body: { data: readers > 1 ? [{ user_id: 'u3', display_name: 'Carol', last_read_message_id: mine.id }] : [] } }
      },
    })
    const { ctx, scope } = createTestContext(fetch)
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    FakeWebSocket.last.open('u1')
    await flush()
    expect(tl.readBy.value).toEqual({})
    FakeWebSocket.last.serverClose(1006)
    await new Promise((r) => setTimeout(r, 700))
    FakeWebSocket.last.open('u1')
    await flush()
    expect(readers).toBe(2)
    expect(tl.readBy.value).toEqual({ u3: mine.id })
    scope.stop()
  })

  it('learns which messages are mine from the socket when config.userId is absent', async () => {
    const mine = makeMessage({ sender_id: 'u1' })
    let readers = 0
    const { fetch } = createFakeFetch({
      'GET /dialogs/d1/messages': () => page([mine]),
      'GET /dialogs/d1/messages/:id/readers': () => {
        readers++
        return { body: { data: [] } }
      },
    })
    const { ctx, scope } = createTestContext(fetch, { userId: undefined })
    const tl = scope.run(() => useMessages(ctx, 'd1'))!
    await flush()
    expect(readers).toBe(0)
    expect(tl.lastOwnMessage.value).toBeNull()
    FakeWebSocket.last.open('u1')
    await flush()
    expect(readers).toBe(1)
    expect(tl.lastOwnMessage.value?.id).toBe(mine.id)
    scope.stop()
  })
})
