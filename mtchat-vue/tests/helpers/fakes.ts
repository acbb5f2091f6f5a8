import { effectScope, type EffectScope } from 'vue'
import type { FetchLike } from '../../src/core/client'
import type { WebSocketLike } from '../../src/core/socket'
import type { DialogItem, Message, MTChatConfig } from '../../src/core/types'
import { useMTChat } from '../../src/vue/useMTChat'
import type { ChatContext } from '../../src/vue/context'

export interface RecordedRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body: unknown
}

type Handler = (req: RecordedRequest) => { status?: number; body?: unknown; headers?: Record<string, string> } | undefined

/** A fetch that answers from handlers matched on `METHOD /path` (query ignored) and records calls. */
export function createFakeFetch(routes: Record<string, Handler> = {}) {
  const calls: RecordedRequest[] = []
  const fetch: FetchLike = async (input, init = {}) => {
    const url = new URL(input)
    const method = (init.method ?? 'GET').toUpperCase()
    const headers = { ...(init.headers as Record<string, string>) }
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    const req = { method, url, headers, body }
    calls.push(req)
    const path = url.pathname.replace(/^\/api\/v1/, '')
    const handler = routes[`${method} ${path}`] ?? Object.entries(routes).find(([k]) => matches(k, method, path))?.[1]
    const res = handler?.(req) ?? { status: 404, body: { error: { code: 'DIALOG_NOT_FOUND', message: 'not found' } } }
    const status = res.status ?? 200
    return new Response(status === 204 ? null : JSON.stringify(res.body ?? null), {
      status,
      headers: { 'Content-Type': 'application/json', ...res.headers },
    })
  }
  return { fetch, calls, routes }
}

function matches(key: string, method: string, path: string): boolean {
  const [m, pattern] = key.split(' ')
  if (m !== method || !pattern) return false
  const re = new RegExp('^' + pattern.replace(/:[a-z_]+/g, '[^/]+') + '$')
  return re.test(path)
}

/** Controllable WebSocket double: tests call `open()`, `receive()`, `serverClose()`. */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = []
  static reset(): void {
    FakeWebSocket.instances = []
  }
  static get last(): FakeWebSocket {
    const ws = FakeWebSocket.instances[FakeWebSocket.instances.length - 1]
    if (!ws) throw new Error('no socket created')
    return ws
  }

  readyState = 0
  sent: unknown[] = []
  onopen: ((ev: unknown) => void) | null = null
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this)
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return
    this.readyState = 3
    this.onclose?.({ code, reason })
  }

  // ---- test controls ----
  open(userId = 'u1'): void {
    this.readyState = 1
    this.onopen?.({})
    this.receive({ type: 'connected', user_id: userId })
  }

  receive(event: object): void {
    this.onmessage?.({ data: JSON.stringify(event) })
  }

  serverClose(code = 1006): void {
    this.readyState = 3
    this.onclose?.({ code, reason: '' })
  }
}

let seq = 0
/** A time-ordered id like the server's UUIDv7 (lexicographic order = creation order). */
export function nextId(): string {
  seq += 1
  return `0190${String(seq).padStart(8, '0')}-0000-7000-8000-000000000000`
}

/** A server message; `seq` defaults to the same global counter as the id (so both orders agree). */
export function makeMessage(partial: Partial<Message> = {}): Message {
  const id = nextId()
  return {
    id,
    dialog_id: 'd1',
    seq,
    sender_id: 'u2',
    sender_name: 'Bob',
    message_type: 'user',
    content: '<p>hello</p>',
    reply_to_id: null,
    mentions: [],
    attachments: [],
    sent_at: new Date().toISOString(),
    last_edited_at: null,
    client_message_id: null,
    ...partial,
  }
}

/** A dialog list item as the server sends it; `extra` overrides any field. */
export function makeDialog(id: string, extra: Partial<DialogItem> = {}): DialogItem {
  return {
    id,
    object_id: `o-${id}`,
    object_type: 'tender',
    title: `Dialog ${id}`,
    object_url: null,
    created_at: '2024-01-01T00:00:00Z',
    last_message_at: '2024-01-01T00:00:00Z',
    participants_count: 2,
    participants: [],
    i_am_participant: true,
    can_join: false,
    unread_count: 0,
    is_archived: false,
    is_pinned: false,
    notifications_enabled: true,
    last_message: null,
    ...extra,
  }
}

export const baseConfig: MTChatConfig = { baseUrl: 'http://chat.test', token: 'tok', userId: 'u1', locale: 'en' }

/** Build a ChatContext outside a component, with fakes injected. */
export function createTestContext(fetch: FetchLike, config: Partial<MTChatConfig> = {}): { ctx: ChatContext; scope: EffectScope } {
  const scope = effectScope()
  const ctx = scope.run(() =>
    useMTChat({ ...baseConfig, ...config }, { fetch, WebSocket: FakeWebSocket, provide: false, heartbeatInterval: 0 }),
  )
  if (!ctx) throw new Error('no context')
  return { ctx, scope }
}

export const flush = async (times = 5): Promise<void> => {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}
