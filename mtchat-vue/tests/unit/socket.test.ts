import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, MTChatSocket } from '../../src/core/socket'
import type { SocketStatus } from '../../src/core/socket'
import { FakeWebSocket } from '../helpers/fakes'

function makeSocket(extra: Partial<ConstructorParameters<typeof MTChatSocket>[0]> = {}) {
  return new MTChatSocket({
    url: 'ws://chat.test/api/v1/ws',
    token: 'jwt',
    WebSocket: FakeWebSocket,
    random: () => 0, // no jitter: deterministic delays
    heartbeatInterval: 0,
    ...extra,
  })
}

describe('backoffDelay', () => {
  it('grows exponentially and is capped', () => {
    const opts = { initialDelay: 500, maxDelay: 8000, factor: 2, jitter: 0 }
    expect([1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, opts))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000])
  })
  it('jitter only shortens the delay', () => {
    const d = backoffDelay(10, { maxDelay: 15000, jitter: 0.5 }, () => 0.999)
    expect(d).toBeLessThanOrEqual(15000)
    expect(d).toBeGreaterThan(7000)
  })
})

describe('MTChatSocket', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('connects with the token and emits connected and typed events', () => {
    const socket = makeSocket()
    const connected = vi.fn()
    const onNew = vi.fn()
    socket.on('connected', connected)
    socket.onEvent('message.new', onNew)
    socket.connect()
    expect(FakeWebSocket.last.url).toBe('ws://chat.test/api/v1/ws?token=jwt')
    FakeWebSocket.last.open('u7')
    expect(connected).toHaveBeenCalledWith({ userId: 'u7', reconnect: false })
    expect(socket.userId).toBe('u7')
    FakeWebSocket.last.receive({ type: 'message.new', dialog_id: 'd1', message: { id: 'm1' } })
    expect(onNew).toHaveBeenCalledWith(expect.objectContaining({ dialog_id: 'd1' }))
  })

  it('reconnects with capped exponential backoff and flags the reconnect', async () => {
    const socket = makeSocket({ backoff: { initialDelay: 100, maxDelay: 400, factor: 2, jitter: 0 } })
    const retries: number[] = []
    const statuses: SocketStatus[] = []
    const connected = vi.fn()
    socket.on('retry', (r) => retries.push(r.delay))
    socket.on('status', (s) => statuses.push(s))
    socket.on('connected', connected)
    socket.connect()
    FakeWebSocket.last.open()
    for (let i = 0; i < 4; i++) {
      FakeWebSocket.last.serverClose(1006)
      await vi.advanceTimersByTimeAsync(1000)
    }
    expect(retries).toEqual([100, 200, 400, 400])
    expect(FakeWebSocket.instances).toHaveLength(5)
    FakeWebSocket.last.open()
    expect(connected).toHaveBeenLastCalledWith({ userId: 'u1', reconnect: true })
    expect(statuses).toContain('reconnecting')
    expect(socket.status).toBe('open')
    // A successful connection resets the backoff.
    FakeWebSocket.last.serverClose(1006)
    expect(retries.at(-1)).toBe(100)
  })

  it('does not reconnect after disconnect() or an auth close code', async () => {
    const socket = makeSocket()
    const errors = vi.fn()
    socket.on('error', errors)
    socket.connect()
    FakeWebSocket.last.open()
    FakeWebSocket.last.serverClose(4401)
    await vi.advanceTimersByTimeAsync(60000)
    expect(FakeWebSocket.instances).toHaveLength(1)
    expect(errors).toHaveBeenCalled()
    expect(socket.status).toBe('closed')

    socket.connect()
    FakeWebSocket.last.open()
    socket.disconnect()
    await vi.advanceTimersByTimeAsync(60000)
    expect(FakeWebSocket.instances).toHaveLength(2)
  })

  it('pings on the heartbeat and recycles a silent connection', async () => {
    const socket = makeSocket({ heartbeatInterval: 1000, pongTimeout: 500, backoff: { initialDelay: 100, jitter: 0 } })
    socket.connect()
    const first = FakeWebSocket.last
    first.open()
    await vi.advanceTimersByTimeAsync(1000)
    expect(first.sent).toContainEqual({ type: 'ping' })
    first.receive({ type: 'pong' })
    await vi.advanceTimersByTimeAsync(1000) // second ping, no answer this time
    await vi.advanceTimersByTimeAsync(600)
    expect(first.readyState).toBe(3)
    await vi.advanceTimersByTimeAsync(200)
    expect(FakeWebSocket.instances.length).toBe(2)
  })

  it('sends typing only while open', () => {
    const socket = makeSocket()
    expect(socket.sendTyping('d1')).toBe(false)
    socket.connect()
    FakeWebSocket.last.open()
    expect(socket.sendTyping('d1')).toBe(true)
    expect(FakeWebSocket.last.sent).toContainEqual({ type: 'typing', dialog_id: 'd1' })
  })

  it('ignores malformed frames', () => {
    const socket = makeSocket()
    const any = vi.fn()
    socket.on('event', any)
    socket.connect()
    FakeWebSocket.last.onmessage?.({ data: 'not json' })
    FakeWebSocket.last.onmessage?.({ data: JSON.stringify({ nope: 1 }) })
    expect(any).not.toHaveBeenCalled()
  })
})
