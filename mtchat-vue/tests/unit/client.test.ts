import { describe, expect, it } from 'vitest'
import { MTChatClient } from '../../src/core/client'
import { MTChatError } from '../../src/core/errors'
import { createFakeFetch, makeMessage } from '../helpers/fakes'

describe('MTChatClient', () => {
  it('sends the bearer token and unwraps data', async () => {
    const msg = makeMessage()
    const { fetch, calls } = createFakeFetch({ 'GET /dialogs/d1/messages/:id': () => ({ body: { data: msg } }) })
    const client = new MTChatClient({ baseUrl: 'http://chat.test/', token: 'abc', fetch })
    const got = await client.getMessage('d1', msg.id)
    expect(got).toEqual(msg)
    expect(calls[0]?.headers.Authorization).toBe('Bearer abc')
    expect(calls[0]?.url.href).toBe(`http://chat.test/api/v1/dialogs/d1/messages/${msg.id}`)
    expect(calls[0]?.headers['X-Scope-Config']).toBeUndefined()
  })

  it('builds the dialog list query and keeps next_cursor', async () => {
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs': () => ({ body: { data: [], next_cursor: 'c2' } }),
    })
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', fetch })
    const page = await client.listDialogs({ type: 'available', search: 'тендер', archived: false, limit: 20, cursor: 'c1' })
    expect(page).toEqual({ data: [], next_cursor: 'c2' })
    const q = calls[0]!.url.searchParams
    expect(q.get('type')).toBe('available')
    expect(q.get('search')).toBe('тендер')
    expect(q.get('archived')).toBe('false')
    expect(q.get('limit')).toBe('20')
    expect(q.get('cursor')).toBe('c1')
  })

  it('omits empty query values', async () => {
    const { fetch, calls } = createFakeFetch({ 'GET /dialogs': () => ({ body: { data: [], next_cursor: null } }) })
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', fetch })
    await client.listDialogs({ type: 'participating', search: '' })
    expect(calls[0]!.url.search).toBe('?type=participating')
  })

  it('sends X-Scope-Config when a dev scope is configured', async () => {
    const { fetch, calls } = createFakeFetch({ 'GET /unread': () => ({ body: { data: { total: 0, dialogs: {} } } }) })
    const scope = { tenant_uid: 't1', scope_level1: ['a'], scope_level2: [] }
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', scopeConfig: scope, fetch })
    await client.getUnread()
    expect(JSON.parse(calls[0]!.headers['X-Scope-Config']!)).toEqual(scope)
  })

  it('turns the error envelope into MTChatError with code and status', async () => {
    const { fetch } = createFakeFetch({
      'POST /dialogs/d1/messages': () => ({ status: 403, body: { error: { code: 'NOT_PARTICIPANT', message: 'join first' } } }),
    })
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', fetch })
    const err = await client.sendMessage('d1', { content: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MTChatError)
    expect(err).toMatchObject({ code: 'NOT_PARTICIPANT', status: 403, message: 'join first' })
  })

  it('reads Retry-After on 429', async () => {
    const { fetch } = createFakeFetch({
      'GET /unread': () => ({ status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'RATE_LIMITED', message: 'slow' } } }),
    })
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', fetch })
    await expect(client.getUnread()).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfter: 7 })
  })

  it('reports network failures as NETWORK_ERROR', async () => {
    const client = new MTChatClient({
      baseUrl: 'http://chat.test',
      token: 't',
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    })
    await expect(client.getUnread()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 })
  })

  it('handles 204 on delete and posts JSON bodies', async () => {
    const { fetch, calls } = createFakeFetch({
      'DELETE /dialogs/d1/messages/m1': () => ({ status: 204 }),
      'POST /dialogs/d1/read': () => ({ body: { data: { ok: true } } }),
      'POST /dialogs/d1/join': () => ({ body: { data: { status: 'joined', dialog_id: 'd1' } } }),
    })
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', fetch })
    await expect(client.deleteMessage('d1', 'm1')).resolves.toBeUndefined()
    await client.markRead('d1', 'm9')
    expect(calls[1]!.body).toEqual({ last_read_message_id: 'm9' })
    await client.joinDialog('d1', { display_name: ' Ann ', company: '' })
    expect(calls[2]!.body).toEqual({ display_name: 'Ann' })
  })

  it('reads the token through a getter on every call', async () => {
    let token = 'one'
    const { fetch, calls } = createFakeFetch({ 'GET /unread': () => ({ body: { data: { total: 0, dialogs: {} } } }) })
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: () => token, fetch })
    await client.getUnread()
    token = 'two'
    await client.getUnread()
    expect(calls.map((c) => c.headers.Authorization)).toEqual(['Bearer one', 'Bearer two'])
  })

  it('escapes path segments (object ids are host strings)', async () => {
    const { fetch, calls } = createFakeFetch({})
    const client = new MTChatClient({ baseUrl: 'http://chat.test', token: 't', fetch })
    await client.getDialogByObject('tender', 'a/b?c').catch(() => undefined)
    expect(calls[0]!.url.pathname).toBe('/api/v1/dialogs/by-object/tender/a%2Fb%3Fc')
  })
})
