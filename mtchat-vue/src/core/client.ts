import { MTChatError } from './errors'
import { normalizeBaseUrl } from './urls'
import type {
  AttachmentUrl,
  DialogItem,
  DialogListPage,
  DialogsQuery,
  JoinInput,
  JoinResult,
  LeaveResult,
  Message,
  MessagesPage,
  MessagesQuery,
  Participant,
  PresignRequest,
  PresignResult,
  Reader,
  ScopeConfig,
  SendMessageInput,
  UnreadSummary,
} from './types'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export interface MTChatClientOptions {
  /** Base URL of the server (without `/api/v1`). */
  baseUrl: string
  /** User token, or a function returning the current one (for hosts that refresh tokens). */
  token: string | (() => string)
  /** Dev only: sent as `X-Scope-Config`. */
  scopeConfig?: ScopeConfig
  /** Injected `fetch`; defaults to the global one. */
  fetch?: FetchLike
}

type Query = Record<string, string | number | boolean | null | undefined>

interface RequestOptions {
  query?: Query
  body?: unknown
  /** Return the whole JSON envelope instead of unwrapping `data`. */
  envelope?: boolean
}

const enc = encodeURIComponent

/**
 * Typed client of the Chat API (SPEC §5.3). Framework-free: a host can use it headlessly.
 * Every method resolves with the unwrapped `data` or rejects with an `MTChatError`.
 */
export class MTChatClient {
  readonly baseUrl: string
  private token: string | (() => string)
  private readonly scopeConfig: ScopeConfig | undefined
  private readonly fetchImpl: FetchLike

  constructor(options: MTChatClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl)
    this.token = options.token
    this.scopeConfig = options.scopeConfig
    const f = options.fetch ?? (globalThis.fetch as FetchLike | undefined)
    if (!f) throw new Error('MTChat: no fetch available; pass options.fetch')
    // Bind the global so that calling it as a method does not lose `this` (Illegal invocation).
    this.fetchImpl = options.fetch ? f : (input, init) => globalThis.fetch(input, init)
  }

  setToken(token: string | (() => string)): void {
    this.token = token
  }

  getToken(): string {
    return typeof this.token === 'function' ? this.token() : this.token
  }

  // ---- dialogs ----

  listDialogs(query: DialogsQuery): Promise<DialogListPage> {
    return this.request<DialogListPage>('GET', '/dialogs', {
      envelope: true,
      query: {
        type: query.type,
        search: query.search || undefined,
        archived: query.archived,
        limit: query.limit,
        cursor: query.cursor ?? undefined,
      },
    }).then((page) => ({ data: page.data ?? [], next_cursor: page.next_cursor ?? null }))
  }

  getDialog(dialogId: string): Promise<DialogItem> {
    return this.request('GET', `/dialogs/${enc(dialogId)}`)
  }

  getDialogByObject(objectType: string, objectId: string): Promise<DialogItem> {
    return this.request('GET', `/dialogs/by-object/${enc(objectType)}/${enc(objectId)}`)
  }

  listDialogsByObject(objectType: string, objectId: string): Promise<DialogItem[]> {
    return this.request('GET', `/dialogs/by-object/${enc(objectType)}/${enc(objectId)}/list`)
  }

  joinDialog(dialogId: string, profile: JoinInput = {}): Promise<JoinResult> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/join`, { body: dropEmpty(profile) })
  }

  leaveDialog(dialogId: string): Promise<LeaveResult> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/leave`, { body: {} })
  }

  getParticipants(dialogId: string): Promise<Participant[]> {
    return this.request('GET', `/dialogs/${enc(dialogId)}/participants`)
  }

  archive(dialogId: string): Promise<unknown> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/archive`, { body: {} })
  }

  unarchive(dialogId: string): Promise<unknown> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/unarchive`, { body: {} })
  }

  pin(dialogId: string): Promise<unknown> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/pin`, { body: {} })
  }

  unpin(dialogId: string): Promise<unknown> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/unpin`, { body: {} })
  }

  setNotifications(dialogId: string, enabled: boolean): Promise<unknown> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/notifications`, { body: { enabled } })
  }

  markRead(dialogId: string, lastReadMessageId: string): Promise<unknown> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/read`, {
      body: { last_read_message_id: lastReadMessageId },
    })
  }

  getUnread(): Promise<UnreadSummary> {
    return this.request('GET', '/unread')
  }

  // ---- messages ----

  getMessages(dialogId: string, query: MessagesQuery = {}): Promise<MessagesPage> {
    return this.request<MessagesPage>('GET', `/dialogs/${enc(dialogId)}/messages`, {
      query: { ...query },
    }).then((page) => ({
      messages: page.messages ?? [],
      has_more_before: Boolean(page.has_more_before),
      has_more_after: Boolean(page.has_more_after),
      first_unread_message_id: page.first_unread_message_id ?? null,
    }))
  }

  getMessage(dialogId: string, messageId: string): Promise<Message> {
    return this.request('GET', `/dialogs/${enc(dialogId)}/messages/${enc(messageId)}`)
  }

  sendMessage(dialogId: string, input: SendMessageInput): Promise<Message> {
    return this.request('POST', `/dialogs/${enc(dialogId)}/messages`, { body: input })
  }

  editMessage(dialogId: string, messageId: string, content: string): Promise<Message> {
    return this.request('PUT', `/dialogs/${enc(dialogId)}/messages/${enc(messageId)}`, {
      body: { content },
    })
  }

  deleteMessage(dialogId: string, messageId: string): Promise<void> {
    return this.request<unknown>('DELETE', `/dialogs/${enc(dialogId)}/messages/${enc(messageId)}`).then(
      () => undefined,
    )
  }

  getReaders(dialogId: string, messageId: string): Promise<Reader[]> {
    return this.request<Reader[] | { readers: Reader[] }>(
      'GET',
      `/dialogs/${enc(dialogId)}/messages/${enc(messageId)}/readers`,
    ).then((r) => (Array.isArray(r) ? r : (r?.readers ?? [])))
  }

  searchMessages(q: string): Promise<Message[]> {
    return this.request('GET', '/search/messages', { query: { q } })
  }

  // ---- files ----

  presignUpload(input: PresignRequest): Promise<PresignResult> {
    return this.request('POST', '/upload/presign', { body: input })
  }

  getAttachmentUrl(attachmentId: string): Promise<AttachmentUrl> {
    return this.request('GET', `/attachments/${enc(attachmentId)}/url`)
  }

  // ---- transport ----

  /** Low-level call: `path` is relative to `/api/v1`. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.baseUrl + '/api/v1' + path + buildQuery(options.query)
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.getToken()}`,
    }
    if (this.scopeConfig) headers['X-Scope-Config'] = JSON.stringify(this.scopeConfig)
    const init: RequestInit = { method, headers }
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(options.body)
    }
    let response: Response
    try {
      response = await this.fetchImpl(url, init)
    } catch (err) {
      throw new MTChatError('NETWORK_ERROR', err instanceof Error ? err.message : String(err), 0)
    }
    if (response.status === 204) return undefined as T
    const text = await response.text()
    let json: unknown = undefined
    if (text) {
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
    }
    if (!response.ok) throw errorFromResponse(response, json)
    if (options.envelope) return json as T
    if (json && typeof json === 'object' && 'data' in json) return (json as { data: T }).data
    return json as T
  }
}

function errorFromResponse(response: Response, json: unknown): MTChatError {
  const body = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  const code = typeof body?.code === 'string' ? body.code : statusCode(response.status)
  const message = typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`
  const retry = Number(response.headers.get('Retry-After'))
  return new MTChatError(code, message, response.status, Number.isFinite(retry) && retry > 0 ? retry : null)
}

function statusCode(status: number): string {
  if (status === 401) return 'UNAUTHORIZED'
  if (status === 403) return 'NOT_PARTICIPANT'
  if (status === 404) return 'NOT_FOUND'
  if (status === 429) return 'RATE_LIMITED'
  if (status >= 500) return 'INTERNAL_ERROR'
  return 'INVALID_INPUT'
}

function buildQuery(query: Query | undefined): string {
  if (!query) return ''
  const parts: string[] = []
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    parts.push(`${enc(key)}=${enc(String(value))}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

function dropEmpty<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string' ? v.trim() !== '' : v !== undefined && v !== null) {
      ;(out as Record<string, unknown>)[k] = typeof v === 'string' ? v.trim() : v
    }
  }
  return out
}
