import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useConnectionBanner } from '../../src/vue/useConnectionBanner'
import { createFakeFetch, createTestContext, FakeWebSocket } from '../helpers/fakes'

describe('useConnectionBanner', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('ignores a quick reconnect, shows a long outage, then "restored" briefly', async () => {
    const { ctx, scope } = createTestContext(createFakeFetch().fetch)
    const banner = scope.run(() => useConnectionBanner(ctx, { delay: 1000, restoredFor: 2000 }))!
    FakeWebSocket.last.open('u1')
    await vi.advanceTimersByTimeAsync(0)
    expect(banner.value).toBeNull()

    FakeWebSocket.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(600) // backoff ≤ 500 ms fires, new socket
    FakeWebSocket.last.open('u1')
    await vi.advanceTimersByTimeAsync(2000)
    expect(banner.value).toBeNull()

    FakeWebSocket.last.serverClose(1006)
    await vi.advanceTimersByTimeAsync(1100)
    expect(banner.value).toBe('offline')
    FakeWebSocket.last.serverClose(1006) // the retry fails too
    await vi.advanceTimersByTimeAsync(1500)
    FakeWebSocket.last.open('u1')
    await vi.advanceTimersByTimeAsync(0)
    expect(banner.value).toBe('restored')
    await vi.advanceTimersByTimeAsync(2100)
    expect(banner.value).toBeNull()
    scope.stop()
  })
})
