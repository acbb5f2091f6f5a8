// E2E harness: a real `mtchat serve`, a static server for the built host page, tokens, the
// Management API and a Debian Chromium driven by playwright-core (no browser download).
import { spawn } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
export const E2E_DIR = resolve(here, '..')
export const PKG_DIR = resolve(E2E_DIR, '..')
export const REPO_DIR = resolve(PKG_DIR, '..')
export const SCREENSHOTS = join(E2E_DIR, 'screenshots')
const LOG_DIR = join(E2E_DIR, '.tmp')

export const JWT_SECRET = 'e2e-user-secret-0123456789abcdef'
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef'

export function mtchatBin() {
  const bin = process.env.MTCHAT_BIN ?? join(REPO_DIR, '.venv', 'bin', 'mtchat')
  if (!existsSync(bin)) {
    throw new Error(`mtchat server not found at ${bin}: run \`python -m venv .venv && .venv/bin/pip install -e ./mtchat-server\` or set MTCHAT_BIN`)
  }
  return bin
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createNetServer()
    srv.unref()
    srv.on('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => res(port))
    })
  })
}

const b64url = (buf) => Buffer.from(buf).toString('base64url')

/** HS256 user token with the claims of SPEC §5.1. */
export function mintToken({ sub, tenant = 't1', scope1 = [], scope2 = [], name, company, ttl = 3600 }) {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = b64url(
    JSON.stringify({
      sub,
      exp: Math.floor(Date.now() / 1000) + ttl,
      tenant_uid: tenant,
      scope_level1: scope1,
      scope_level2: scope2,
      ...(name ? { name } : {}),
      ...(company ? { company } : {}),
    }),
  )
  const sig = createHmac('sha256', JWT_SECRET).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${sig}`
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** One `mtchat serve` process; `restart()` keeps the port and the data directory. */
export class ChatServer {
  constructor({ port, appOrigin }) {
    this.port = port
    this.appOrigin = appOrigin
    this.url = `http://127.0.0.1:${port}`
    this.dataDir = mkdtempSync(join(tmpdir(), 'mtchat-e2e-'))
    this.proc = null
    this.starts = 0
  }

  env() {
    return {
      ...process.env,
      MTCHAT_DEV: 'true',
      JWT_SECRET,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      MTCHAT_DATA_DIR: this.dataDir,
      CORS_ALLOWED_ORIGINS: this.appOrigin,
      PUBLIC_URL: this.url,
      ARCHIVE_AFTER_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '100000',
      NOTIFICATION_DELAY_SECONDS: '3600',
      LOG_LEVEL: 'warning',
    }
  }

  async start() {
    if (process.env.MTCHAT_E2E_MOCK) {
      // Development aid only (see mock-server.mjs); the suite's real target is `mtchat serve`.
      if (this.mock) await this.mock.listen()
      else {
        const { startMockServer } = await import('./mock-server.mjs')
        this.mock = await startMockServer({ port: this.port, jwtSecret: JWT_SECRET, adminToken: ADMIN_TOKEN, publicUrl: this.url })
      }
      this.proc = { mock: true }
      return
    }
    mkdirSync(LOG_DIR, { recursive: true })
    this.starts += 1
    const log = createWriteStream(join(LOG_DIR, `server-${this.port}-${this.starts}.log`))
    const proc = spawn(mtchatBin(), ['serve', '--host', '127.0.0.1', '--port', String(this.port)], {
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    proc.stdout.pipe(log)
    proc.stderr.pipe(log)
    let output = ''
    const keep = (chunk) => (output = (output + chunk).slice(-4000))
    proc.stdout.on('data', keep)
    proc.stderr.on('data', keep)
    this.proc = proc
    let exited = null
    proc.once('close', (code) => (exited = code ?? -1))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (exited !== null) {
        await sleep(100) // let the pipes drain
        const tail = output.trim().split('\n').slice(-3).join(' | ')
        throw new Error(`mtchat serve exited with ${exited} (${tail}); full log: ${log.path}`)
      }
      try {
        const r = await fetch(`${this.url}/health`)
        if (r.ok) return
      } catch {
        /* not up yet */
      }
      await sleep(150)
    }
    throw new Error(`mtchat serve did not become healthy; see ${log.path}`)
  }

  async stop() {
    if (this.proc?.mock) {
      this.proc = null
      await this.mock.close()
      return
    }
    const proc = this.proc
    if (!proc || proc.exitCode !== null) return
    this.proc = null
    const done = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await done
    clearTimeout(timer)
  }

  async restart() {
    await this.stop()
    await this.start()
  }

  async dispose() {
    await this.stop()
    rmSync(this.dataDir, { recursive: true, force: true })
  }

  /** Management API call with the admin token; returns `data`. */
  async admin(method, path, body, headers = {}) {
    const r = await fetch(`${this.url}/api/v1/management${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text}`)
    return text ? JSON.parse(text).data : undefined
  }

  createDialog(body) {
    return this.admin('POST', '/dialogs', body, { 'Idempotency-Key': randomUUID() })
  }

  postAs(dialogId, senderId, content) {
    return this.admin('POST', `/dialogs/${dialogId}/messages`, { content, sender_id: senderId })
  }

  /** Chat API call as a user token. */
  async user(token, method, path, body) {
    const r = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text}`)
    return text ? JSON.parse(text).data : undefined
  }

  /** Presign + PUT as a user (what the SDK does); returns the attachment ref for `sendMessage`. */
  async uploadAs(token, dialogId, filename, contentType, bytes) {
    const p = await this.user(token, 'POST', '/upload/presign', { dialog_id: dialogId, filename, content_type: contentType, size: bytes.length })
    const r = await fetch(p.upload_url, { method: p.method || 'PUT', headers: { 'Content-Type': contentType, ...p.headers }, body: bytes })
    if (!r.ok) throw new Error(`upload ${filename} → ${r.status} ${await r.text()}`)
    return { s3_key: p.s3_key, filename, content_type: contentType, size: bytes.length }
  }
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** Serve the built host page (e2e/dist). */
export async function startStatic(port) {
  const root = join(E2E_DIR, 'dist')
  if (!existsSync(join(root, 'index.html'))) throw new Error('e2e/dist missing: run `node e2e/run.mjs` (it builds first)')
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = resolve(root, '.' + (path === '/' ? '/index.html' : path))
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' })
    res.end(readFileSync(file))
  })
  await new Promise((r) => server.listen(port, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) }
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** Start server + static page; the caller disposes with `stack.close()`. */
export async function startStack() {
  const appPort = await freePort()
  const app = await startStatic(appPort)
  const server = new ChatServer({ port: await freePort(), appOrigin: app.url })
  await server.start()
  const browser = await launchBrowser()
  return {
    app,
    server,
    browser,
    async close() {
      await browser.close().catch(() => undefined)
      await server.dispose()
      await app.close()
    },
  }
}

/**
 * Open the host page as a user in a fresh browser context.
 * `user`: {id, name, company, tenant, scope1, scope2}; `opts`: {mode, dialogId, objectType, objectId, width, height, locale}.
 */
export async function openAs(stack, user, opts = {}) {
  const context = await stack.browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    deviceScaleFactor: 1,
    locale: 'ru-RU',
  })
  const page = await context.newPage()
  page.on('pageerror', (err) => console.error(`[${user.id}] pageerror:`, err.message))
  page.on('dialog', (d) => void d.accept()) // window.confirm for delete/leave
  if (process.env.E2E_DEBUG) {
    page.on('console', (m) => console.log(`[${user.id}] console.${m.type()}:`, m.text()))
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => console.log(`[${user.id}] ws →`, f.payload))
      ws.on('framereceived', (f) => console.log(`[${user.id}] ws ←`, f.payload))
    })
  }
  const token = mintToken({ sub: user.id, tenant: user.tenant, scope1: user.scope1, scope2: user.scope2, name: user.name, company: user.company })
  const q = new URLSearchParams({
    baseUrl: stack.server.url,
    token,
    userId: user.id,
    name: user.name ?? '',
    company: user.company ?? '',
    locale: opts.locale ?? 'ru',
    mode: opts.mode ?? 'full',
  })
  for (const k of ['dialogId', 'objectType', 'objectId', 'cardTitle', 'theme']) if (opts[k]) q.set(k, opts[k])
  await page.goto(`${stack.app.url}/?${q}`)
  await page.waitForSelector('.mtchat')
  return { page, context, token }
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true })
  return join(SCREENSHOTS, name)
}

/** Wait until the socket is connected (the host page logs the `connected` event). */
export async function waitConnected(page, count = 1) {
  await page.waitForFunction((n) => window.__mtchatEvents.filter((e) => e.name === 'connected').length >= n, count, { timeout: 20_000 })
}

/** A tiny valid PNG (a 24×16 red/blue image) built in memory. */
export function makePng(width = 24, height = 16) {
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3
      raw[o] = x < width / 2 ? 220 : 30
      raw[o + 1] = 40
      raw[o + 2] = x < width / 2 ? 40 : 200
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(td))
    return Buffer.concat([len, td, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 2
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

function crc32(buf) {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1))
  }
  return ~c >>> 0
}
