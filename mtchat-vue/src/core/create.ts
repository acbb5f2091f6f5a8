import { MTChatClient, type FetchLike } from './client'
import { MTChatSocket, type BackoffOptions, type WebSocketCtor } from './socket'
import type { MTChatConfig } from './types'
import { deriveWsUrl } from './urls'

export interface CreateClientsOptions {
  fetch?: FetchLike
  WebSocket?: WebSocketCtor
  heartbeatInterval?: number
  backoff?: BackoffOptions
}

export interface MTChatClients {
  client: MTChatClient
  socket: MTChatSocket
}

/** Build the API client and the socket from one `MTChatConfig` (the socket is not connected yet). */
export function createMTChatClients(config: MTChatConfig, options: CreateClientsOptions = {}): MTChatClients {
  const client = new MTChatClient({
    baseUrl: config.baseUrl,
    token: () => config.token,
    scopeConfig: config.scopeConfig,
    fetch: options.fetch,
  })
  const socket = new MTChatSocket({
    url: config.wsUrl ?? deriveWsUrl(config.baseUrl),
    token: () => config.token,
    WebSocket: options.WebSocket,
    heartbeatInterval: options.heartbeatInterval,
    backoff: options.backoff,
  })
  return { client, socket }
}
