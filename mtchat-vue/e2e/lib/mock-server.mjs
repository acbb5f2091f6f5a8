// DEVELOPMENT AID ONLY: an in-memory imitation of the Chat/Management API and WebSocket, so the
// SDK can be clicked through before a real server runs (`MTCHAT_E2E_MOCK=1 npm run e2e`).
// The e2e suite proper runs against the real `mtchat serve` (the default). Not a contract.
import { createHmac, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

let seq = 0
const newId = () => {
  const t = Date.now().toString(16).padStart(12, '0')
  const c = (seq++).toString(16).padStart(4, '0')
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${c.slice(1)}-8000-${randomUUID().slice(-12)}`
}

export function startMockServer({ port, jwtSecret, adminToken, publicUrl }) {
  const dialogs = new Map() // id → {dialog, participants: Map(user → state), scopes, messages: []}
  const files = new Map()
  const sockets = new Set()
  const online = new Map()

  const verify = (token) => {
    const [h, p, s] = (token ?? '').split('.')
    if (!h || !p || !s) return null
    const sig = createHmac('sha256', jwtSecret).update(`${h}.${p}`).digest('base64url')
    if (sig !== s) return null
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    return claims.exp * 1000 > Date.now() ? claims : null
  }
  const matches = (u, scope) =>
    u.tenant_uid === scope.tenant_uid &&
    (!scope.scope_level1?.length || (u.scope_level1 ?? []).some((x) => scope.scope_level1.includes(x))) &&
    (!scope.scope_level2?.length || (u.scope_level2 ?? []).some((x) => scope.scope_level2.includes(x)))
  const isMember = (d, uid) => d.participants.has(uid)
  const canSee = (d, u) => isMember(d, u.sub) || d.scopes.some((s) => matches(u, s))

  const send = (uid, event) => {
    for (const ws of sockets) if (ws.uid === uid && ws.readyState === 1) ws.send(JSON.stringify(event))
  }
  const fanout = (d, event, except) => {
    for (const uid of d.participants.keys()) if (uid !== except) send(uid, event)
  }

  const item = (d, uid) => {
    const p = d.participants.get(uid)
    const last = d.messages.at(-1)
    return {
      ...d.dialog,
      participants_count: d.participants.size,
      participants: [...d.participants.values()].map((x) => ({ user_id: x.user_id, display_name: x.display_name, company: x.company })),
      i_am_participant: !!p,
      can_join: !p,
      unread_count: p ? d.messages.filter((m) => m.sender_id !== uid && (!p.last_read || m.id > p.last_read)).length : 0,
      is_archived: p?.is_archived ?? false,
      is_pinned: p?.is_pinned ?? false,
      notifications_enabled: p?.notifications_enabled ?? true,
      last_message: p && last ? { id: last.id, content: last.content, sender_id: last.sender_id, sender_name: last.sender_name, sent_at: last.sent_at, message_type: last.message_type } : null,
    }
  }

  const addMessage = (d, { sender, content, type = 'user', reply_to = null, attachments = [], cmid = null }) => {
    if (cmid) {
      const dup = d.messages.find((m) => m.client_message_id === cmid && m.sender_id === sender)
      if (dup) return dup
    }
    const p = sender ? d.participants.get(sender) : null
    const m = {
      id: newId(),
      dialog_id: d.dialog.id,
      seq: (d.lastSeq = (d.lastSeq ?? 0) + 1),
      sender_id: sender,
      sender_name: p?.display_name ?? null,
      message_type: type,
      content,
      reply_to_id: reply_to,
      mentions: [...content.matchAll(/data-mention="([^"]+)"/g)].map((x) => x[1]),
      attachments,
      sent_at: new Date().toISOString(),
      last_edited_at: null,
      client_message_id: cmid,
    }
    d.messages.push(m)
    d.dialog.last_message_at = m.sent_at
    fanout(d, { type: 'message.new', dialog_id: d.dialog.id, message: m })
    return m
  }

  const addParticipant = (d, p, joinedAs) => {
    d.participants.set(p.user_id, {
      user_id: p.user_id,
      display_name: p.display_name ?? p.user_id,
      company: p.company ?? null,
      joined_as: joinedAs,
      joined_at: new Date().toISOString(),
      last_read: null,
      is_archived: false,
      is_pinned: false,
      notifications_enabled: true,
    })
  }

  const escape = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  const clean = (html) => (/^\s*</.test(html) ? html.replace(/<(\/?)(script|img|iframe)[^>]*>/gi, '') : `<p>${escape(html)}</p>`)

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x')
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': '*' }
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end()
    const chunks = []
    for await (const c of req) chunks.push(c)
    const raw = Buffer.concat(chunks)
    const body = raw.length && (req.headers['content-type'] ?? '').includes('json') ? JSON.parse(raw.toString()) : {}
    const reply = (status, data, extra) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...cors, ...extra })
      res.end(status === 204 ? undefined : JSON.stringify(data))
    }
    const ok = (data, status = 200) => reply(status, { data })
    const fail = (status, code) => reply(status, { error: { code, message: code } })
    const path = url.pathname
    if (path === '/health') return ok({ status: 'ok' })
    if (path.startsWith('/files/')) {
      const f = files.get(decodeURIComponent(path.slice(7)))
      if (req.method === 'PUT') {
        files.set(decodeURIComponent(path.slice(7)), { body: raw, type: req.headers['content-type'] })
        return reply(200, {})
      }
      if (!f) return fail(404, 'ATTACHMENT_NOT_FOUND')
      res.writeHead(200, { 'Content-Type': f.type ?? 'application/octet-stream', ...cors })
      return res.end(f.body)
    }
    const auth = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    let m
    if ((m = path.match(/^\/api\/v1\/management(\/.*)$/))) {
      if (auth !== adminToken) return fail(401, 'UNAUTHORIZED')
      const sub = m[1]
      if (sub === '/dialogs' && req.method === 'POST') {
        const id = newId()
        const d = {
          dialog: { id, object_id: body.object_id, object_type: body.object_type, title: body.title ?? null, object_url: body.object_url ?? null, created_at: new Date().toISOString(), last_message_at: null },
          participants: new Map(),
          scopes: body.access_scopes ?? [],
          messages: [],
        }
        for (const p of body.participants ?? []) addParticipant(d, typeof p === 'string' ? { user_id: p } : p, 'participant')
        dialogs.set(id, d)
        addMessage(d, { sender: null, type: 'system', content: JSON.stringify({ event: 'created' }) })
        for (const uid of d.participants.keys()) send(uid, { type: 'dialog.added', dialog_id: id })
        return ok(d.dialog, 201)
      }
      if ((m = sub.match(/^\/dialogs\/([^/]+)\/messages$/))) {
        const d = dialogs.get(m[1])
        if (!d) return fail(404, 'DIALOG_NOT_FOUND')
        return ok(addMessage(d, { sender: body.sender_id ?? null, type: body.sender_id ? 'user' : 'system', content: clean(body.content) }), 201)
      }
      return fail(404, 'NOT_FOUND')
    }
    const u = verify(auth)
    if (!u) return fail(401, 'UNAUTHORIZED')
    const uid = u.sub
    const api = path.replace(/^\/api\/v1/, '')
    if (api === '/dialogs') {
      const type = url.searchParams.get('type')
      const search = (url.searchParams.get('search') ?? '').toLowerCase()
      const archived = url.searchParams.get('archived') === 'true'
      const list = [...dialogs.values()]
        .filter((d) => (type === 'available' ? !isMember(d, uid) && canSee(d, u) : isMember(d, uid) && d.participants.get(uid).is_archived === archived))
        .filter((d) => !search || (d.dialog.title ?? '').toLowerCase().includes(search))
        .map((d) => item(d, uid))
        .sort((a, b) => Number(b.is_pinned) - Number(a.is_pinned) || String(b.last_message_at).localeCompare(String(a.last_message_at)))
      return reply(200, { data: list, next_cursor: null })
    }
    if ((m = api.match(/^\/dialogs\/by-object\/([^/]+)\/([^/]+)$/))) {
      const d = [...dialogs.values()].reverse().find((x) => x.dialog.object_type === decodeURIComponent(m[1]) && x.dialog.object_id === decodeURIComponent(m[2]) && canSee(x, u))
      return d ? ok(item(d, uid)) : fail(404, 'DIALOG_NOT_FOUND')
    }
    if (api === '/upload/presign') {
      const key = `${body.dialog_id}/${randomUUID()}/${body.filename}`
      return ok({ upload_url: `${publicUrl}/files/${encodeURIComponent(key)}`, method: 'PUT', headers: { 'Content-Type': body.content_type }, s3_key: key, expires_in: 900 })
    }
    if ((m = api.match(/^\/attachments\/([^/]+)\/url$/))) {
      for (const d of dialogs.values())
        for (const msg of d.messages)
          for (const a of msg.attachments) if (a.id === m[1]) return ok({ url: a.url, thumbnail_url: a.url, expires_in: 3600 })
      return fail(404, 'ATTACHMENT_NOT_FOUND')
    }
    if (!(m = api.match(/^\/dialogs\/([^/]+)(\/.*)?$/))) return fail(404, 'NOT_FOUND')
    const d = dialogs.get(m[1])
    const rest = m[2] ?? ''
    if (!d || !canSee(d, u)) return fail(404, 'DIALOG_NOT_FOUND')
    const member = isMember(d, uid)
    if (rest === '' && req.method === 'GET') return ok(item(d, uid))
    if (rest === '/join') {
      if (!member) {
        addParticipant(d, { user_id: uid, display_name: body.display_name ?? u.name, company: body.company ?? u.company }, 'joined')
        fanout(d, { type: 'participant.joined', dialog_id: d.dialog.id, user_id: uid, display_name: body.display_name ?? u.name })
        addMessage(d, { sender: null, type: 'system', content: JSON.stringify({ event: 'joined', user_id: uid, display_name: body.display_name ?? u.name }) })
      }
      return ok({ status: 'joined', dialog_id: d.dialog.id })
    }
    if (rest === '/participants') {
      return ok([...d.participants.values()].map((p) => ({ user_id: p.user_id, display_name: p.display_name, company: p.company, joined_as: p.joined_as, joined_at: p.joined_at, is_online: (online.get(p.user_id) ?? 0) > 0 })))
    }
    if (!member) return fail(403, 'NOT_PARTICIPANT')
    const state = d.participants.get(uid)
    if (rest === '/leave') {
      d.participants.delete(uid)
      addMessage(d, { sender: null, type: 'system', content: JSON.stringify({ event: 'left', user_id: uid, display_name: state.display_name }) })
      fanout(d, { type: 'participant.left', dialog_id: d.dialog.id, user_id: uid })
      return ok({ status: 'left', dialog_id: d.dialog.id })
    }
    for (const [action, patch] of [['/archive', { is_archived: true }], ['/unarchive', { is_archived: false }], ['/pin', { is_pinned: true }], ['/unpin', { is_pinned: false }]]) {
      if (rest === action) {
        Object.assign(state, patch)
        return ok({ ok: true })
      }
    }
    if (rest === '/notifications') {
      state.notifications_enabled = !!body.enabled
      return ok({ ok: true })
    }
    if (rest === '/read') {
      if (!state.last_read || body.last_read_message_id > state.last_read) {
        state.last_read = body.last_read_message_id
        fanout(d, { type: 'message.read', dialog_id: d.dialog.id, user_id: uid, last_read_message_id: state.last_read })
      }
      return ok({ ok: true })
    }
    if (rest === '/messages' && req.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? 50)
      const all = d.messages
      let page
      let before = false
      let after = false
      if (url.searchParams.get('before')) {
        const older = all.filter((x) => x.id < url.searchParams.get('before'))
        page = older.slice(-limit)
        before = older.length > limit
        after = true
      } else if (url.searchParams.has('after_seq')) {
        const from = Number(url.searchParams.get('after_seq'))
        const newer = all.filter((x) => x.seq > from)
        page = newer.slice(0, limit)
        before = all.some((x) => x.seq <= from)
        after = newer.length > limit
      } else if (url.searchParams.get('after')) {
        const newer = all.filter((x) => x.id > url.searchParams.get('after'))
        page = newer.slice(0, limit)
        after = newer.length > limit
      } else if (url.searchParams.get('around')) {
        const i = all.findIndex((x) => x.id === url.searchParams.get('around'))
        const start = Math.max(0, i - Math.floor(limit / 2))
        page = all.slice(start, start + limit)
        before = start > 0
        after = start + limit < all.length
      } else {
        page = all.slice(-limit)
        before = all.length > limit
      }
      const firstUnread = all.find((x) => x.sender_id !== uid && (!state.last_read || x.id > state.last_read))
      return ok({ messages: page, has_more_before: before, has_more_after: after, first_unread_message_id: firstUnread?.id ?? null })
    }
    if (rest === '/messages' && req.method === 'POST') {
      const attachments = (body.attachments ?? []).map((a) => ({ id: newId(), filename: a.filename, content_type: a.content_type ?? 'application/octet-stream', size: a.size ?? 0, width: null, height: null, url: `${publicUrl}/files/${encodeURIComponent(a.s3_key)}`, thumbnail_url: null }))
      return ok(addMessage(d, { sender: uid, content: clean(body.content ?? ''), reply_to: body.reply_to ?? null, attachments, cmid: body.client_message_id ?? null }), 201)
    }
    if ((m = rest.match(/^\/messages\/([^/]+)(\/readers)?$/))) {
      const msg = d.messages.find((x) => x.id === m[1])
      if (!msg) return fail(404, 'MESSAGE_NOT_FOUND')
      if (m[2]) return ok([...d.participants.values()].filter((p) => p.user_id !== msg.sender_id && p.last_read && p.last_read >= msg.id).map((p) => ({ user_id: p.user_id, display_name: p.display_name })))
      if (req.method === 'GET') return ok(msg)
      if (msg.sender_id !== uid) return fail(403, 'NOT_MESSAGE_AUTHOR')
      if (req.method === 'PUT') {
        msg.content = clean(body.content)
        msg.last_edited_at = new Date().toISOString()
        fanout(d, { type: 'message.edited', dialog_id: d.dialog.id, message: msg })
        return ok(msg)
      }
      if (req.method === 'DELETE') {
        d.messages = d.messages.filter((x) => x.id !== msg.id)
        fanout(d, { type: 'message.deleted', dialog_id: d.dialog.id, message_id: msg.id })
        return reply(204)
      }
    }
    return fail(404, 'NOT_FOUND')
  })

  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x')
    const u = url.pathname === '/api/v1/ws' ? verify(url.searchParams.get('token')) : null
    if (!u) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n')
      return socket.destroy()
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.uid = u.sub
      sockets.add(ws)
      online.set(u.sub, (online.get(u.sub) ?? 0) + 1)
      const presence = (is_online) => {
        for (const d of dialogs.values()) if (isMember(d, u.sub)) fanout(d, { type: 'presence.update', user_id: u.sub, is_online }, u.sub)
      }
      presence(true)
      ws.send(JSON.stringify({ type: 'connected', user_id: u.sub }))
      ws.on('message', (data) => {
        const e = JSON.parse(String(data))
        if (e.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }))
        if (e.type === 'typing') {
          const d = dialogs.get(e.dialog_id)
          if (d && isMember(d, u.sub)) fanout(d, { type: 'typing', dialog_id: e.dialog_id, user_id: u.sub }, u.sub)
        }
      })
      ws.on('close', () => {
        sockets.delete(ws)
        online.set(u.sub, (online.get(u.sub) ?? 1) - 1)
        if (!online.get(u.sub)) presence(false)
      })
    })
  })

  // State outlives close()/listen(), so a "restart" keeps the data like the real server's database.
  const listen = () => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  const close = () =>
    new Promise((resolve) => {
      for (const ws of sockets) ws.terminate()
      server.close(() => resolve())
      server.closeAllConnections?.()
    })
  return listen().then(() => ({ listen, close }))
}
