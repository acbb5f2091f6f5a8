/** Strip trailing slashes so paths can be appended. */
export function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '')
}

/** `http(s)://host/x` → `ws(s)://host/x/api/v1/ws`, relative base → current location. */
export function deriveWsUrl(baseUrl: string, location?: { protocol: string; host: string }): string {
  const base = normalizeBaseUrl(baseUrl)
  if (/^wss?:\/\//i.test(base)) return `${base}/api/v1/ws`
  if (/^https?:\/\//i.test(base)) return `${base.replace(/^http/i, 'ws')}/api/v1/ws`
  const loc = location ?? (typeof window !== 'undefined' ? window.location : undefined)
  if (!loc) throw new Error('MTChat: cannot derive the WebSocket URL from a relative baseUrl')
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}${base}/api/v1/ws`
}

export function withToken(wsUrl: string, token: string): string {
  const sep = wsUrl.includes('?') ? '&' : '?'
  return `${wsUrl}${sep}token=${encodeURIComponent(token)}`
}
