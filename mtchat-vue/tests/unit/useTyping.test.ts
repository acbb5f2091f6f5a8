import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useTyping } from '../../src/vue/useTyping'
import { createFakeFetch, createTestContext, FakeWebSocket, makeMessage } from '../helpers/fakes'

describe('useTyping', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('throttles outgoing typing frames', () => {
    const { ctx, scope } = createTestContext(createFakeFetch().fetch)
    const typing = scope.run(() => useTyping(ctx, 'd1', { throttle: 3000 }))!
    FakeWebSocket.last.open('u1')
    typing.notifyTyping()
    typing.notifyTyping()
    vi.advanceTimersByTime(3100)
    typing.notifyTyping()
    expect(FakeWebSocket.last.sent.filter((e) => (e as { type: string }).type === 'typing')).toHaveLength(2)
    scope.stop()
  })

  it('shows incoming typers for a while, not myself, and clears on their message', () => {
    const { ctx, scope } = createTestContext(createFakeFetch().fetch)
    const typing = scope.run(() => useTyping(ctx, 'd1', { showFor: 5000 }))!
    const ws = FakeWebSocket.last
    ws.open('u1')
    ws.receive({ type: 'typing', dialog_id: 'd1', user_id: 'u2' })
    ws.receive({ type: 'typing', dialog_id: 'd1', user_id: 'u1' })
    ws.receive({ type: 'typing', dialog_id: 'd2', user_id: 'u3' })
    ws.receive({ type: 'typing', dialog_id: 'd1', user_id: 'u4' })
    expect(typing.typingUserIds.value).toEqual(['u2', 'u4'])
    ws.receive({ type: 'message.new', dialog_id: 'd1', message: makeMessage({ sender_id: 'u4' }) })
    expect(typing.typingUserIds.value).toEqual(['u2'])
    vi.advanceTimersByTime(5001)
    expect(typing.typingUserIds.value).toEqual([])
    scope.stop()
  })
})
