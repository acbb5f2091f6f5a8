// E2E of `make demo` as a newcomer runs it (issue #8): make a clean checkout of the repository, run
// `make demo` there in the background (it installs the venv, runs npm ci and builds the SDK and the demo
// itself), wait until it says it is ready, then drive the seed's "contact the organizer" flow in
// Chromium as two users of different tenants and check the host's webhook inbox shows message.new.
// Screenshots go to e2e/screenshots/ (and the log of `make demo` to e2e/screenshots/make-demo.log).
//
// Run: `make test-demo` (or `node --test e2e/` here; needs this folder's `npm ci` for playwright-core
// and Debian's /usr/bin/chromium; never downloads a browser).
//
// Environment (all optional):
//   DEMO_E2E_SOURCE=head       (default) `git clone` of this repository at HEAD: the committed tree only
//   DEMO_E2E_SOURCE=worktree   a copy of the files git would commit now (tracked + untracked, not ignored),
//                              to try uncommitted work before committing it
//   DEMO_E2E_KEEP=1            keep the checkout (its path is printed) instead of deleting it
//   DEMO_E2E_READY_TIMEOUT_S   how long `make demo` may take to install, build and start (default 900)
//   DEMO_E2E_README_SHOT=1     also write the README's screenshot, docs/img/demo.png
//   DEMO_E2E_TMPDIR            where the checkout goes (default /dev/shm when writable, else the OS's temp
//                              folder: the checkout's ~35,000 files are written and deleted much faster in RAM)
//   CHROMIUM                   browser binary (default /usr/bin/chromium)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import {
  accessSync, constants, copyFileSync, createWriteStream, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync,
  symlinkSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const SHOTS = join(HERE, 'screenshots')
const SOURCE = process.env.DEMO_E2E_SOURCE ?? 'head'
const KEEP = process.env.DEMO_E2E_KEEP === '1'
const READY_TIMEOUT_MS = Number(process.env.DEMO_E2E_READY_TIMEOUT_S ?? 900) * 1000
const README_SHOT = process.env.DEMO_E2E_README_SHOT === '1'
const TMP = process.env.DEMO_E2E_TMPDIR ?? (writable('/dev/shm') ? '/dev/shm' : tmpdir())

function writable(dir) {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

// Variables of the caller that must not leak into `make demo`: make's own (a nested make would inherit
// its flags), npm's (we run inside `npm run e2e`), the test runner's, an activated venv, and every
// setting MTChat or the demo reads. What is left (PATH, HOME, pip's and npm's configuration) is what
// a newcomer's shell has.
const DROP_ENV = /^(MAKE|MFLAGS$|npm_|INIT_CWD$|NODE_TEST_CONTEXT$|VIRTUAL_ENV$|PYTHONPATH$|MTCHAT_|DEMO_|PORT$|DATABASE_URL$|REDIS_URL$|JWT_|ADMIN_|WEBHOOK_|S3_|CORS_|NOTIFICATION_|ARCHIVE_|RATE_LIMIT_)/i

let checkout
let demo // the `make demo` process, leader of its own process group
let demoExit = null
let log = ''
let browser
let demoUrl
let mtchatUrl
const timings = {}

const since = (t0) => Math.round((Date.now() - t0) / 100) / 10

function git(args, cwd = ROOT) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** A clone of HEAD: exactly what is committed, nothing built or installed. */
function checkoutHead(dir) {
  const sha = git(['rev-parse', 'HEAD'])
  git(['clone', '--quiet', '--no-checkout', ROOT, dir])
  git(['checkout', '--quiet', '--detach', sha], dir)
  return `git clone of ${ROOT} at ${sha.slice(0, 12)}`
}

/** The files git would commit now (tracked and untracked, minus ignored and deleted ones). */
function checkoutWorktree(dir) {
  const files = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean)
  let n = 0
  for (const file of files) {
    const src = join(ROOT, file)
    const dst = join(dir, file)
    let st
    try {
      st = lstatSync(src)
    } catch {
      continue // deleted in the work tree, not yet committed
    }
    mkdirSync(dirname(dst), { recursive: true })
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst)
    else if (st.isFile()) copyFileSync(src, dst) // keeps the mode (executable scripts)
    else continue
    n += 1
  }
  return `copy of the ${n} committable files of ${ROOT}'s work tree`
}

/** Two distinct ports nobody listens on (held open together, so they differ). */
async function freePorts(count) {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise((res, rej) => {
    const s = createServer()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => res(s))
  })))
  const ports = servers.map((s) => s.address().port)
  await Promise.all(servers.map((s) => new Promise((res) => s.close(res))))
  return ports
}

async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  let lastErr
  while (Date.now() < deadline) {
    if (demoExit !== null) break
    try {
      if (await fn()) return
    } catch (e) {
      lastErr = e
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  const why = demoExit !== null ? `make demo exited with ${demoExit}` : `${timeoutMs / 1000}s passed`
  throw new Error(`gave up waiting for ${what} (${why})${lastErr ? `: ${lastErr}` : ''}\n`
    + `--- make demo (last lines; full log in e2e/screenshots/make-demo.log) ---\n${log.slice(-6000)}`)
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** Ctrl-C, as in the terminal that runs `make demo`: SIGINT to the whole process group; SIGKILL after 20 s. */
async function stopDemo() {
  if (!demo || !groupAlive(demo.pid)) return 'not running'
  process.kill(-demo.pid, 'SIGINT')
  const deadline = Date.now() + 20_000
  while (groupAlive(demo.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  if (!groupAlive(demo.pid)) return 'stopped by SIGINT'
  process.kill(-demo.pid, 'SIGKILL')
  return 'killed after 20 s'
}

// If the runner itself is interrupted, do not leave the demo running.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    if (demo && groupAlive(demo.pid)) process.kill(-demo.pid, 'SIGKILL')
    process.exit(130)
  })
}
process.once('exit', () => {
  if (demo && groupAlive(demo.pid)) process.kill(-demo.pid, 'SIGKILL')
})

before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  const t0 = Date.now()
  checkout = mkdtempSync(join(TMP, 'mtchat-demo-e2e-'))
  const what = SOURCE === 'worktree' ? checkoutWorktree(checkout)
    : SOURCE === 'head' ? checkoutHead(checkout)
    : assert.fail(`DEMO_E2E_SOURCE must be "head" or "worktree", not ${JSON.stringify(SOURCE)}`)
  timings.checkout_s = since(t0)
  console.log(`demo e2e: ${what} → ${checkout}`)

  const [demoPort, mtchatPort] = await freePorts(2)
  demoUrl = `http://127.0.0.1:${demoPort}`
  mtchatUrl = `http://127.0.0.1:${mtchatPort}`
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !DROP_ENV.test(k)))
  Object.assign(env, { DEMO_PORT: String(demoPort), MTCHAT_PORT: String(mtchatPort), PYTHONUNBUFFERED: '1' })

  const logFile = createWriteStream(join(SHOTS, 'make-demo.log'))
  const t1 = Date.now()
  demo = spawn('make', ['demo'], { cwd: checkout, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  for (const stream of [demo.stdout, demo.stderr]) {
    stream.on('data', (d) => {
      log += d
      logFile.write(d)
    })
  }
  demo.on('exit', (code, signal) => {
    demoExit = code ?? signal
    logFile.end()
  })
  await waitFor(() => log.includes(`MTChat demo is ready: ${demoUrl}`), READY_TIMEOUT_MS, '"MTChat demo is ready"')
  await waitFor(async () => (await fetch(`${demoUrl}/health`)).ok, 10_000, 'the host backend')
  await waitFor(async () => (await fetch(`${mtchatUrl}/health/ready`)).ok, 10_000, 'MTChat')
  timings.make_demo_ready_s = since(t1)
  console.log(`demo e2e: make demo ready after ${timings.make_demo_ready_s}s on ${demoUrl} (MTChat ${mtchatUrl})`)

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
})

after(async () => {
  await browser?.close()
  const how = await stopDemo()
  const t0 = Date.now()
  if (checkout && !KEEP) rmSync(checkout, { recursive: true, force: true })
  else if (checkout) console.log(`demo e2e: checkout kept in ${checkout}`)
  timings.cleanup_s = since(t0)
  console.log(`demo e2e: make demo ${how}; timings ${JSON.stringify(timings)}`)
})

const pages = new Map() // name → page, for screenshots when the flow fails

async function signIn(context, userId, name, tenant) {
  const page = await context.newPage()
  pages.set(userId, page)
  page.on('pageerror', (e) => console.error(`[${userId}] pageerror:`, e.message))
  page.on('console', (m) => m.type() === 'error' && console.error(`[${userId}] console:`, m.text()))
  await page.goto(`${demoUrl}/tenders`)
  await page.getByTestId('user-switch').waitFor()
  await page.getByTestId('user-switch').selectOption(userId)
  const whoami = page.getByTestId('whoami')
  await whoami.filter({ hasText: name }).waitFor()
  assert.match(await whoami.innerText(), new RegExp(`tenant ${tenant}`), `${userId} is in ${tenant}`)
  return page
}

async function shot(page, name) {
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
}

async function sendMessage(page, text) {
  const editor = page.locator('.mtchat [contenteditable="true"]').first()
  await editor.waitFor({ timeout: 20_000 })
  await editor.click()
  await page.keyboard.type(text)
  await page.keyboard.press('Enter')
}

test('carrier (tenant B) contacts the organizer (tenant A) in the demo of a clean checkout; message.new reaches the host', async () => {
  const t0 = Date.now()
  try {
    await contactTheOrganizer()
  } catch (e) {
    for (const [user, page] of pages) await page.screenshot({ path: join(SHOTS, `failed-${user}.png`) }).catch(() => {})
    throw e
  }
  timings.flow_s = since(t0)
})

async function contactTheOrganizer() {
  // The checkout is fresh, and so is its database: these texts are unique without a stamp.
  const question = 'Добрый день! Готовы взять тендер #1234 Москва → Санкт-Петербург, ставка обсуждаема.'
  const answer = 'Здравствуйте! Пришлите, пожалуйста, данные машины и водителя.'
  const details = 'Volvo FH, тент 20 т, 82 м³. Водитель Иванов И. И., загрузка 5 декабря с 9:00.'
  const viewport = { width: 1280, height: 800 }

  // 1. Carrier of tenant-xyz: tenders list → "Связаться с организатором" → the chat opens.
  const carrierCtx = await browser.newContext({ viewport })
  const carrier = await signIn(carrierCtx, 'user-2', 'Борис', 'tenant-xyz')
  await shot(carrier, '01-tenders-carrier')
  await carrier.locator('tr[data-tender="tender-uuid-123"]').getByTestId('contact').click()
  await carrier.waitForURL(/\/chats\?dialog=/, { timeout: 15_000 })
  const dialogId = new URL(carrier.url()).searchParams.get('dialog')
  assert.ok(dialogId, 'navigated to the dialog')

  // 2. Organizer of tenant-abc has the same dialog open (own browser context) before anything is sent.
  const orgCtx = await browser.newContext({ viewport })
  const organizer = await signIn(orgCtx, 'user-1', 'Анна', 'tenant-abc')
  await organizer.goto(`${demoUrl}/chats?dialog=${dialogId}`)
  await organizer.locator('[data-testid="full-chat"][data-connected="true"]').waitFor({ timeout: 20_000 })
  await organizer.locator('.mtchat [contenteditable="true"]').first().waitFor({ timeout: 20_000 })
  await carrier.locator('[data-testid="full-chat"][data-connected="true"]').waitFor({ timeout: 20_000 })

  // 3. Carrier writes; it arrives live in the organizer's open chat (no reload), and the answer comes back.
  await sendMessage(carrier, question)
  await carrier.locator('.mtchat').getByText(question).first().waitFor({ timeout: 15_000 })
  await shot(carrier, '02-chat-carrier-sent')
  await organizer.locator('.mtchat').getByText(question).first().waitFor({ timeout: 20_000 })
  await sendMessage(organizer, answer)
  await carrier.locator('.mtchat').getByText(answer).first().waitFor({ timeout: 20_000 })
  await organizer.locator('.mtchat').getByText(answer).first().waitFor({ timeout: 15_000 })
  await sendMessage(carrier, details)
  await organizer.locator('.mtchat').getByText(details).first().waitFor({ timeout: 20_000 })
  await shot(organizer, '03-chat-organizer-live')
  if (README_SHOT) {
    mkdirSync(join(ROOT, 'docs', 'img'), { recursive: true })
    await organizer.screenshot({ path: join(ROOT, 'docs', 'img', 'demo.png') })
  }

  // 4. Tender card with the inline chat, as the organizer.
  await organizer.goto(`${demoUrl}/tenders/tender-uuid-123`)
  await organizer.locator('.inline-chat .mtchat').waitFor({ timeout: 15_000 })
  await organizer.locator('.inline-chat').getByText(question).first().waitFor({ timeout: 20_000 })
  await shot(organizer, '04-tender-card-inline')

  // 5. Webhook inbox shows message.new (its signature verified by the host backend).
  await organizer.goto(`${demoUrl}/webhooks`)
  await organizer.locator('tr[data-event="message.new"]').first().waitFor({ timeout: 30_000 })
  await shot(organizer, '05-webhook-inbox')
  const inbox = await (await fetch(`${demoUrl}/api/webhooks`)).json()
  const ev = inbox.data.find((e) => e.event === 'message.new' && e.data?.dialog_id === dialogId
    && e.data?.message?.sender_id === 'user-2')
  assert.ok(ev, 'message.new of the carrier\'s message reached the host')
  assert.equal(ev.verified, true, 'the webhook signature verified')
  assert.ok(ev.data.participants.includes('user-1'), 'the organizer is to be notified')

  // 6. Admin panel lists the dialog.
  await organizer.goto(`${demoUrl}/admin`)
  await organizer.getByText('Обсуждение тендера #1234').first().waitFor({ timeout: 15_000 })
  await shot(organizer, '06-admin')

  await carrierCtx.close()
  await orgCtx.close()
}

test('Ctrl-C stops `make demo` and everything it started', async () => {
  await browser?.close()
  browser = undefined
  const t0 = Date.now()
  const how = await stopDemo()
  timings.stop_s = since(t0)
  assert.equal(how, 'stopped by SIGINT', 'make demo and its processes exit on Ctrl-C')
  await assert.rejects(fetch(`${demoUrl}/health`), 'the host backend port is closed')
  await assert.rejects(fetch(`${mtchatUrl}/health`), 'the MTChat port is closed')
})
