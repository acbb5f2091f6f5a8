import { Emitter } from './emitter'
import type { ClientEvent, ServerEvent, ServerEventOf, ServerEventType } from './types'
import { withToken } from './urls'

/** Minimal surface of the WebSocket constructor we use (injectable for tests). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: { code: number; reason?: string }) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onerror: ((ev: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}
export type WebSocketCtor = new (url: string) => WebSocketLike

export interface BackoffOptions {
  /** First delay, ms. Default 500. */
  initialDelay?: number
  /** Upper bound of a delay, ms. Default 15000. */
  maxDelay?: number
  /** Growth factor. Default 2. */
  factor?: number
  /** Fraction of the delay randomised (0..1). Default 0.3. */
  jitter?: number
}

export interface MTChatSocketOptions {
  /** WebSocket endpoint without the token, e.g. `wss://chat.example.com/api/v1/ws`. */
  url: string
  /** Token, or a function returning the current one (read at each (re)connect). */
  token: string | (() => string)
  /** Injected constructor; defaults to the global `WebSocket`. */
  WebSocket?: WebSocketCtor
  /** Heartbeat interval, ms (0 disables). Default 25000. */
  heartbeatInterval?: number
  /** A missing `pong` after this long counts as a dead connection, ms. Default 10000. */
  pongTimeout?: number
  backoff?: BackoffOptions
  /** Reconnect after an unexpected close. Default true. */
  reconnect?: boolean
  /** Injected randomness for the jitter (tests). */
  random?: () => number
}

export type SocketStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface SocketEvents {
  /** The server's `connected` frame; `reconnect` is true when it follows an earlier session. */
  connected: { userId: string; reconnect: boolean }
  /** Connection lost (an automatic reconnect follows unless `willReconnect` is false). */
  disconnected: { code: number; reason: string; willReconnect: boolean }
  status: SocketStatus
  /** Every server event, parsed. */
  event: ServerEvent
  /** A reconnect attempt is scheduled after `delay` ms. */
  retry: { attempt: number; delay: number }
  error: { message: string }
}

/** Close codes after which reconnecting is pointless without a new token. */
const AUTH_CLOSE_CODES = new Set([4401, 4403, 1008])

/** Delay of reconnect attempt `attempt` (1-based): capped exponential backoff with jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelay ?? 500
  const max = options.maxDelay ?? 15000
  const factor = options.factor ?? 2
  const jitter = Math.min(Math.max(options.jitter ?? 0.3, 0), 1)
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1))
  // Jitter only shortens the delay, so `max` stays a hard cap.
  return Math.round(base * (1 - jitter * random()))
}

/**
 * WebSocket client of SPEC §5.4: heartbeat `ping`, capped exponential backoff reconnect, typed events.
 * It knows nothing about messages: consumers catch up (`messages?after_seq=`) on `connected` with `reconnect: true`.
 */
export class MTChatSocket {
  private readonly emitter = new Emitter<SocketEvents>()
  private readonly typed = new Emitter<{ [K in ServerEventType]: ServerEventOf<K> }>()
  private ws: WebSocketLike | null = null
  private readonly Ctor: WebSocketCtor
  private attempt = 0
  private everConnected = false
  private manualClose = false
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null
  private pongTimer: ReturnType<typeof setTimeout> | null = null
  private _status: SocketStatus = 'idle'
  private _userId: string | null = null

  constructor(private readonly options: MTChatSocketOptions) {
    const ctor = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketCtor | undefined)
    if (!ctor) throw new Error('MTChat: no WebSocket available; pass options.WebSocket')
    this.Ctor = ctor
  }

  get status(): SocketStatus {
    return this._status
  }

  /** The user id from the last `connected` frame. */
  get userId(): string | null {
    return this._userId
  }

  on<K extends keyof SocketEvents>(type: K, handler: (payload: SocketEvents[K]) => void): () => void {
    return this.emitter.on(type, handler)
  }

  /** Subscribe to one server event type, e.g. `onEvent('message.new', e => …)`. */
  onEvent<K extends ServerEventType>(type: K, handler: (event: ServerEventOf<K>) => void): () => void {
    return this.typed.on(type, handler as (payload: ServerEventOf<ServerEventType>) => void)
  }

  connect(): void {
    this.manualClose = false
    if (this.ws) return
    this.clearRetry()
    this.setStatus(this.everConnected || this.attempt > 0 ? 'reconnecting' : 'connecting')
    const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token
    let ws: WebSocketLike
    try {
      ws = new this.Ctor(withToken(this.options.url, token))
    } catch (err) {
      this.emitter.emit('error', { message: err instanceof Error ? err.message : String(err) })
      this.scheduleReconnect()
      return
    }
    this.ws = ws
    ws.onopen = () => {
      this.startHeartbeat()
    }
    ws.onmessage = (ev) => this.handleFrame(ev.data)
    ws.onerror = () => {
      // The close event follows; reconnecting is handled there.
    }
    ws.onclose = (ev) => this.handleClose(ws, ev.code, ev.reason ?? '')
  }

  private handleClose(ws: WebSocketLike, code: number, reason: string): void {
    if (this.ws !== ws) return
    this.ws = null
    this.stopHeartbeat()
    const auth = AUTH_CLOSE_CODES.has(code)
    const willReconnect = !this.manualClose && !auth && this.options.reconnect !== false
    if (auth) this.emitter.emit('error', { message: `WebSocket closed by the server (${code}): unauthorized` })
    this.emitter.emit('disconnected', { code, reason, willReconnect })
    if (willReconnect) this.scheduleReconnect()
    else this.setStatus('closed')
  }

  /** Close a connection we consider dead without waiting for the browser's close event. */
  private drop(reason: string): void {
    const ws = this.ws
    if (!ws) return
    try {
      ws.close(4000, reason)
    } catch {
      /* ignore */
    }
    this.handleClose(ws, 4000, reason)
  }

  /** Close for good (no reconnect). */
  disconnect(): void {
    this.manualClose = true
    this.clearRetry()
    this.stopHeartbeat()
    const ws = this.ws
    this.ws = null
    if (ws) {
      try {
        ws.close(1000, 'client closed')
      } catch {
        /* already closed */
      }
      this.emitter.emit('disconnected', { code: 1000, reason: 'client closed', willReconnect: false })
    }
    this.setStatus('closed')
  }

  /** Drop the current connection and reconnect now (e.g. after the browser comes back online). */
  reconnectNow(): void {
    this.attempt = 0
    this.clearRetry()
    if (this.ws) this.drop('reconnect')
    else this.connect()
  }

  /** Send a client event; returns false when not connected (typing and ping are fire-and-forget). */
  send(event: ClientEvent): boolean {
    if (!this.ws || this.ws.readyState !== 1) return false
    this.ws.send(JSON.stringify(event))
    return true
  }

  sendTyping(dialogId: string): boolean {
    return this.send({ type: 'typing', dialog_id: dialogId })
  }

  /** Remove all listeners and close. */
  destroy(): void {
    this.disconnect()
    this.emitter.clear()
    this.typed.clear()
  }

  private handleFrame(data: unknown): void {
    if (typeof data !== 'string') return
    let event: ServerEvent
    try {
      event = JSON.parse(data) as ServerEvent
    } catch {
      return
    }
    if (!event || typeof event !== 'object' || typeof event.type !== 'string') return
    this.clearPongTimer()
    if (event.type === 'connected') {
      const reconnect = this.everConnected
      this.everConnected = true
      this.attempt = 0
      this._userId = event.user_id
      this.setStatus('open')
      this.emitter.emit('connected', { userId: event.user_id, reconnect })
    }
    this.emitter.emit('event', event)
    this.typed.emit(event.type, event as never)
  }

  private scheduleReconnect(): void {
    this.attempt += 1
    const delay = backoffDelay(this.attempt, this.options.backoff, this.options.random)
    this.setStatus('reconnecting')
    this.emitter.emit('retry', { attempt: this.attempt, delay })
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.connect()
    }, delay)
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatInterval ?? 25000
    if (interval <= 0) return
    this.stopHeartbeat()
    this.heartbeatTimer = setInterval(() => {
      if (!this.send({ type: 'ping' })) return
      if (this.pongTimer) return
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null
        // No frame at all since the ping: the connection is half-open; recycle it.
        this.drop('heartbeat timeout')
      }, this.options.pongTimeout ?? 10000)
    }, interval)
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    this.heartbeatTimer = null
    this.clearPongTimer()
  }

  private clearPongTimer(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer)
    this.pongTimer = null
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  private setStatus(status: SocketStatus): void {
    if (this._status === status) return
    this._status = status
    this.emitter.emit('status', status)
  }
}
