import { beforeEach, describe, expect, it } from 'vitest'
import type { DialogItem } from '../../src/core/types'
import { sortDialogs, useDialogs } from '../../src/vue/useDialogs'
import { createFakeFetch, createTestContext, FakeWebSocket, flush, makeDialog, makeMessage } from '../helpers/fakes'

const dialog = makeDialog

describe('useDialogs', () => {
  beforeEach(() => FakeWebSocket.reset())

  it('sorts pinned first, then by activity', () => {
    const list = sortDialogs([
      dialog('a', { last_message_at: '2024-01-03T00:00:00Z' }),
      dialog('b', { last_message_at: '2024-01-01T00:00:00Z', is_pinned: true }),
      dialog('c', { last_message_at: '2024-01-05T00:00:00Z' }),
    ])
    expect(list.map((d) => d.id)).toEqual(['b', 'c', 'a'])
  })

  it('loads both lists and counts live messages as unread except in the open dialog', async () => {
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs': (req) =>
        req.url.searchParams.get('type') === 'available'
          ? { body: { data: [dialog('x', { i_am_participant: false, can_join: true })], next_cursor: null } }
          : { body: { data: [dialog('a'), dialog('b')], next_cursor: 'next' } },
    })
    const { ctx, scope } = createTestContext(fetch)
    const d = scope.run(() => useDialogs(ctx))!
    FakeWebSocket.last.open('u1')
    await flush()
    expect(d.participating.value.map((x) => x.id)).toEqual(['a', 'b'])
    expect(d.available.value.map((x) => x.id)).toEqual(['x'])
    expect(d.hasMore.value.participating).toBe(true)
    expect(calls.find((c) => c.url.searchParams.get('type') === 'participating')?.url.searchParams.get('archived')).toBe('false')

    d.activeId.value = 'a'
    const ws = FakeWebSocket.last
    ws.receive({ type: 'message.new', dialog_id: 'b', message: makeMessage({ dialog_id: 'b', content: '<p>new</p>', sent_at: '2024-02-01T00:00:00Z' }) })
    ws.receive({ type: 'message.new', dialog_id: 'a', message: makeMessage({ dialog_id: 'a', sent_at: '2024-01-15T00:00:00Z' }) })
    ws.receive({ type: 'message.new', dialog_id: 'b', message: makeMessage({ dialog_id: 'b', sender_id: 'u1', sent_at: '2024-02-02T00:00:00Z' }) })
    expect(d.participating.value.map((x) => [x.id, x.unread_count])).toEqual([
      ['b', 1],
      ['a', 0],
    ])
    expect(d.participating.value[0]?.last_message?.sender_id).toBe('u1')
    scope.stop()
  })

  it('searches with a debounce and supersedes stale answers', async () => {
    const { fetch, calls } = createFakeFetch({ 'GET /dialogs': () => ({ body: { data: [], next_cursor: null } }) })
    const { ctx, scope } = createTestContext(fetch)
    const d = scope.run(() => useDialogs(ctx, { searchDebounce: 10 }))!
    await flush()
    d.search.value = 'ten'
    d.search.value = 'tender'
    await new Promise((r) => setTimeout(r, 30))
    const searches = calls.map((c) => c.url.searchParams.get('search')).filter(Boolean)
    expect(searches).toEqual(['tender', 'tender'])
    scope.stop()
  })

  it('moves a dialog to the archive on dialog-changed and refreshes on reconnect', async () => {
    let listCalls = 0
    const { fetch } = createFakeFetch({
      'GET /dialogs': (req) => {
        listCalls++
        return req.url.searchParams.get('type') === 'participating' && req.url.searchParams.get('archived') === 'false'
          ? { body: { data: [dialog('a'), dialog('b')], next_cursor: null } }
          : { body: { data: [], next_cursor: null } }
      },
    })
    const { ctx, scope } = createTestContext(fetch)
    const d = scope.run(() => useDialogs(ctx))!
    FakeWebSocket.last.open('u1')
    await flush()
    await d.loadArchived()
    ctx.events.emit('dialog-changed', { dialogId: 'a', patch: { is_archived: true } })
    expect(d.participating.value.map((x) => x.id)).toEqual(['b'])
    expect(d.archived.value.map((x) => x.id)).toEqual(['a'])
    const before = listCalls
    FakeWebSocket.last.serverClose(1006)
    await new Promise((r) => setTimeout(r, 700))
    FakeWebSocket.last.open('u1')
    await flush()
    expect(listCalls).toBeGreaterThan(before)
    scope.stop()
  })
})
