import { inject, type ComputedRef, type InjectionKey, type ShallowRef } from 'vue'
import type { MTChatClient } from '../core/client'
import type { Emitter } from '../core/emitter'
import type { MTChatError } from '../core/errors'
import type { MTChatSocket } from '../core/socket'
import type { DialogItem, Message, MTChatConfig } from '../core/types'
import type { Translator } from '../i18n'

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected'

/** Events the Vue layer raises; `<MTChat>` re-emits the public ones to the host. */
export interface ChatEvents {
  connected: { userId: string; reconnect: boolean }
  disconnected: { code: number; reason: string; willReconnect: boolean }
  error: MTChatError
  'message-sent': Message
  'dialog-selected': DialogItem
  'dialog-joined': { dialogId: string }
  'dialog-left': { dialogId: string }
  /** Per-user state changed locally (pin, archive, mute, read). */
  'dialog-changed': { dialogId: string; patch: Partial<DialogItem> }
}

/** Everything the composables share; created once per `<MTChat>` by `useMTChat`. */
export interface ChatContext {
  config: ComputedRef<MTChatConfig>
  client: MTChatClient
  socket: MTChatSocket
  status: ShallowRef<ConnectionStatus>
  /** The current user (config.userId, else the socket's `connected` frame). */
  userId: ComputedRef<string | null>
  i18n: ComputedRef<Translator>
  events: Emitter<ChatEvents>
  /** Normalise any failure to an `MTChatError`, emit `error`, and return it. */
  reportError(err: unknown): MTChatError
}

export const ChatContextKey: InjectionKey<ChatContext> = Symbol('mtchat')

export function useChatContext(): ChatContext {
  const ctx = inject(ChatContextKey, null)
  if (!ctx) throw new Error('MTChat: no chat context; use inside <MTChat> or call provideChatContext()')
  return ctx
}
