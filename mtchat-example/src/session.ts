import { computed, reactive } from 'vue'

export interface DemoUser {
  id: string
  name: string
  company: string
  tenant_uid: string
  scope_level1: string[]
  scope_level2: string[]
  role: string
}

interface SessionState {
  users: DemoUser[]
  user: DemoUser | null
  token: string
  mtchatUrl: string
  expiresAt: number
}

const STORAGE_KEY = 'mtchat-demo-user'

export const session = reactive<SessionState>({ users: [], user: null, token: '', mtchatUrl: '', expiresAt: 0 })

/** Calls the demo host backend; `X-Demo-User` stands in for the host's own login session. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (session.user) headers['X-Demo-User'] = session.user.id
  const res = await fetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) {
    const msg = body?.error?.message ?? body?.detail ?? res.statusText
    throw new Error(typeof msg === 'string' ? msg : JSON.stringify(msg))
  }
  return body as T
}

export async function loadUsers(): Promise<void> {
  const { data } = await api<{ data: DemoUser[] }>('/api/users')
  session.users = data
  const saved = localStorage.getItem(STORAGE_KEY)
  await switchUser(data.find((u) => u.id === saved)?.id ?? data[0].id)
}

/** Signs in as another demo user: the host backend mints a short-lived MTChat user token. */
export async function switchUser(userId: string): Promise<void> {
  const { data } = await api<{ data: { token: string; expires_at: number; user: DemoUser; mtchat_url: string } }>(
    '/api/session',
    { method: 'POST', body: JSON.stringify({ user_id: userId }) },
  )
  session.user = data.user
  session.token = data.token
  session.mtchatUrl = data.mtchat_url
  session.expiresAt = data.expires_at
  localStorage.setItem(STORAGE_KEY, userId)
}

export const chatConfig = computed(() => ({
  baseUrl: session.mtchatUrl,
  token: session.token,
  userId: session.user?.id,
  userProfile: session.user ? { display_name: session.user.name, company: session.user.company } : undefined,
  locale: 'ru' as const,
  theme: 'light' as const,
}))
