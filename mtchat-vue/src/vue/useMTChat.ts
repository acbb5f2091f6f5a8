import { computed, onScopeDispose, provide, shallowRef, toValue, type MaybeRefOrGetter } from 'vue'
import { createMTChatClients, type CreateClientsOptions } from '../core/create'
import { Emitter } from '../core/emitter'
import { MTChatError, toMTChatError } from '../core/errors'
import type { MTChatConfig } from '../core/types'
import { createTranslator } from '../i18n'
import { ChatContextKey, type ChatContext, type ChatEvents, type ConnectionStatus } from './context'

export interface UseMTChatOptions extends CreateClientsOptions {
  /** Connect the socket immediately. Default true. */
  autoConnect?: boolean
  /** `provide` the context to descendants. Default true. */
  provide?: boolean
}

/**
 * Create the API client and socket for `config`, track the connection, and provide the context
 * the other composables inject. The socket is closed when the calling scope is disposed.
 */
export function useMTChat(config: MaybeRefOrGetter<MTChatConfig>, options: UseMTChatOptions = {}): ChatContext {
  const cfg = computed(() => toValue(config))
  // Clients read the token through a getter, so a refreshed token is used by the next request/reconnect.
  const live: MTChatConfig = {
    get baseUrl() { return cfg.value.baseUrl },
    get token() { return cfg.value.token },
    get scopeConfig() { return cfg.value.scopeConfig },
    get wsUrl() { return cfg.value.wsUrl },
  }
  const { client, socket } = createMTChatClients(live, options)
  const events = new Emitter<ChatEvents>()
  const status = shallowRef<ConnectionStatus>('idle')
  const socketUserId = shallowRef<string | null>(null)
  const userId = computed(() => cfg.value.userId ?? socketUserId.value)
  const i18n = computed(() => createTranslator(cfg.value.locale ?? 'ru'))

  const offs = [
    socket.on('status', (s) => {
      if (s === 'open') status.value = 'connected'
      else if (s === 'closed') status.value = 'disconnected'
      else if (s === 'reconnecting') status.value = 'reconnecting'
      else if (s === 'connecting') status.value = 'connecting'
    }),
    socket.on('connected', (e) => {
      socketUserId.value = e.userId
      events.emit('connected', e)
    }),
    socket.on('disconnected', (e) => events.emit('disconnected', e)),
    socket.on('error', (e) => events.emit('error', new MTChatError('SOCKET_ERROR', e.message))),
  ]

  const ctx: ChatContext = {
    config: cfg,
    client,
    socket,
    status,
    userId,
    i18n,
    events,
    reportError(err) {
      const e = toMTChatError(err)
      events.emit('error', e)
      return e
    },
  }

  if (options.provide !== false) provide(ChatContextKey, ctx)
  if (options.autoConnect !== false) socket.connect()

  // Back online: retry now instead of waiting out the current backoff delay.
  const onOnline = () => {
    if (socket.status === 'reconnecting') socket.reconnectNow()
  }
  if (typeof window !== 'undefined') window.addEventListener('online', onOnline)
  offs.push(() => {
    if (typeof window !== 'undefined') window.removeEventListener('online', onOnline)
  })

  onScopeDispose(() => {
    for (const off of offs) off()
    socket.destroy()
    events.clear()
  })
  return ctx
}
