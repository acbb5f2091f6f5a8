/**
 * Wire types of the MTChat Chat API and WebSocket protocol (SPEC §5).
 * Field names are the server's (snake_case) on purpose: these objects are passed through untouched.
 */

export type Locale = 'ru' | 'en'
export type Theme = 'light' | 'dark'

/** Access scope of a user (dev only on the client: production scopes come from the signed token). */
export interface ScopeConfig {
  tenant_uid: string
  scope_level1?: string[]
  scope_level2?: string[]
}

/** Profile used to prefill the join prompt; the server defaults to the token's claims. */
export interface UserProfile {
  display_name?: string
  company?: string
  email?: string
  phone?: string
}

/** Configuration of the `<MTChat>` component and of `createMTChatClients`. */
export interface MTChatConfig {
  /** Base URL of the MTChat server, e.g. `https://chat.example.com` (no trailing `/api/v1`). */
  baseUrl: string
  /** User JWT minted by the host backend. */
  token: string
  /** The current user's id (the token's `sub`); learned from the socket's `connected` frame if omitted. */
  userId?: string
  /** Development only: sent as the `X-Scope-Config` header, honoured only by a server with `MTCHAT_DEV=true`. */
  scopeConfig?: ScopeConfig
  userProfile?: UserProfile
  /** UI language, default `ru`. */
  locale?: Locale
  /** Colour theme, default `light`. */
  theme?: Theme
  /** WebSocket URL; default derived from `baseUrl` (`http→ws`, `/api/v1/ws`). */
  wsUrl?: string
}

export type MessageType = 'user' | 'system'
export type DialogListType = 'participating' | 'available'

export interface ParticipantSummary {
  user_id: string
  display_name: string | null
  company: string | null
}

export interface LastMessage {
  id: string
  content: string
  sender_id: string | null
  sender_name: string | null
  sent_at: string
  message_type: MessageType
}

export interface DialogItem {
  id: string
  object_id: string
  object_type: string
  title: string | null
  object_url: string | null
  created_at: string
  last_message_at: string | null
  participants_count: number
  participants: ParticipantSummary[]
  i_am_participant: boolean
  can_join: boolean
  unread_count: number
  is_archived: boolean
  is_pinned: boolean
  notifications_enabled: boolean
  last_message?: LastMessage | null
  meta?: Record<string, unknown> | null
}

export interface Participant {
  user_id: string
  display_name: string | null
  company: string | null
  email?: string | null
  phone?: string | null
  joined_as?: 'participant' | 'joined'
  joined_at?: string
  is_online: boolean
  last_read_message_id?: string | null
}

export interface Attachment {
  id: string
  filename: string
  content_type: string
  size: number
  width?: number | null
  height?: number | null
  url?: string | null
  thumbnail_url?: string | null
}

export interface Message {
  id: string
  dialog_id: string
  /**
   * Position in the dialog: 1, 2, 3 … in commit order, never reused (a deleted message leaves a gap).
   * The timeline is ordered by it. `0` on an optimistic message the server has not stored yet.
   */
  seq: number
  sender_id: string | null
  sender_name: string | null
  message_type: MessageType
  /** Sanitized HTML for user messages; structured JSON (string or object) for system messages. */
  content: string
  reply_to_id: string | null
  mentions: string[]
  attachments: Attachment[]
  sent_at: string
  last_edited_at: string | null
  client_message_id?: string | null
}

export interface MessagesPage {
  messages: Message[]
  has_more_before: boolean
  has_more_after: boolean
  first_unread_message_id: string | null
}

export interface DialogListPage {
  data: DialogItem[]
  next_cursor: string | null
}

export interface Reader {
  user_id: string
  display_name?: string | null
  read_at?: string | null
  last_read_message_id?: string | null
}

export interface JoinResult {
  status: 'joined'
  dialog_id: string
}

export interface LeaveResult {
  status: 'left'
  dialog_id: string
}

export interface UnreadSummary {
  total: number
  dialogs: Record<string, number>
}

export interface PresignRequest {
  dialog_id: string
  filename: string
  content_type: string
  size: number
}

export interface PresignResult {
  upload_url: string
  method: 'PUT' | 'POST'
  headers?: Record<string, string>
  s3_key: string
  expires_in: number
}

export interface AttachmentUrl {
  url: string
  thumbnail_url: string | null
  expires_in: number
}

/** An uploaded file referenced when sending a message. */
export interface AttachmentInput {
  s3_key: string
  filename: string
  content_type?: string
  size?: number
}

export interface SendMessageInput {
  content: string
  reply_to?: string | null
  attachments?: AttachmentInput[]
  client_message_id?: string
}

/** At most one of `before`, `after`, `around` (message ids) or `after_seq`. */
export interface MessagesQuery {
  limit?: number
  before?: string
  after?: string
  around?: string
  /** Messages with a greater `seq`, ascending: catch-up that works even if the anchor was deleted. */
  after_seq?: number
}

export interface DialogsQuery {
  type: DialogListType
  search?: string
  archived?: boolean
  limit?: number
  cursor?: string | null
}

export interface JoinInput extends UserProfile {}

// ---- WebSocket: server → client (SPEC §5.4) ----

export interface ConnectedEvent { type: 'connected'; user_id: string }
export interface MessageNewEvent { type: 'message.new'; dialog_id: string; message: Message }
export interface MessageEditedEvent { type: 'message.edited'; dialog_id: string; message: Message }
export interface MessageDeletedEvent { type: 'message.deleted'; dialog_id: string; message_id: string }
export interface MessageReadEvent {
  type: 'message.read'
  dialog_id: string
  user_id: string
  last_read_message_id: string
}
export interface ParticipantJoinedEvent {
  type: 'participant.joined'
  dialog_id: string
  user_id: string
  display_name?: string | null
}
export interface ParticipantLeftEvent { type: 'participant.left'; dialog_id: string; user_id: string }
export type DialogEventType =
  | 'dialog.added'
  | 'dialog.removed'
  | 'dialog.updated'
  | 'dialog.deleted'
  | 'dialog.archived'
  | 'dialog.unarchived'
/** `dialog.added` / `dialog.removed`: you were added/removed; the others concern a dialog you are in. */
export interface DialogEvent<T extends DialogEventType = DialogEventType> {
  type: T
  dialog_id: string
}
export interface PresenceUpdateEvent { type: 'presence.update'; user_id: string; is_online: boolean }
export interface TypingEvent { type: 'typing'; dialog_id: string; user_id: string }
export interface PongEvent { type: 'pong' }
export interface ErrorEvent { type: 'error'; message: string }

export type ServerEvent =
  | ConnectedEvent
  | MessageNewEvent
  | MessageEditedEvent
  | MessageDeletedEvent
  | MessageReadEvent
  | ParticipantJoinedEvent
  | ParticipantLeftEvent
  | DialogEvent<'dialog.added'>
  | DialogEvent<'dialog.removed'>
  | DialogEvent<'dialog.updated'>
  | DialogEvent<'dialog.deleted'>
  | DialogEvent<'dialog.archived'>
  | DialogEvent<'dialog.unarchived'>
  | PresenceUpdateEvent
  | TypingEvent
  | PongEvent
  | ErrorEvent

export type ServerEventType = ServerEvent['type']

/** Narrow the union by its `type`. */
export type ServerEventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>

// ---- WebSocket: client → server ----

export type ClientEvent = { type: 'ping' } | { type: 'typing'; dialog_id: string }

/** Payload of a system message once parsed (see `parseSystemContent`). */
export interface SystemContent {
  event: 'joined' | 'left' | 'added' | 'removed' | 'created' | (string & {})
  user_id?: string | null
  display_name?: string | null
  [key: string]: unknown
}

/** Every server → client event type, at runtime (checked against the server's protocol in tests). */
export const SERVER_EVENT_TYPES = [
  'connected',
  'message.new',
  'message.edited',
  'message.deleted',
  'message.read',
  'participant.joined',
  'participant.left',
  'dialog.added',
  'dialog.removed',
  'dialog.updated',
  'dialog.deleted',
  'dialog.archived',
  'dialog.unarchived',
  'presence.update',
  'typing',
  'pong',
  'error',
] as const satisfies readonly ServerEventType[]

// Compile-time check that the list above covers the whole union.
type MissingEventTypes = Exclude<ServerEventType, (typeof SERVER_EVENT_TYPES)[number]>
const _allEventTypesListed: MissingEventTypes extends never ? true : false = true
void _allEventTypesListed
