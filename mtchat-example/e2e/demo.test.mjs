// E2E: the seed's "contact the organizer" flow in Chromium, as two users of different tenants.
// Starts run.py (MTChat on :8080 + host backend on :8090), drives the UI, checks the webhook inbox.
// Run: node --test e2e/   (needs `npm run build` first and /usr/bin/chromium; never downloads a browser)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const HERE = dirname(fileURLToPath(import.meta.url))
const EXAMPLE = resolve(HERE, '..')
const ROOT = resolve(EXAMPLE, '..')
const SHOTS = join(HERE, 'screenshots')
const PY = process.env.PYTHON ?? join(ROOT, '.venv', 'bin', 'python')
const DEMO_URL = 'http://127.0.0.1:8090'
const DATA_DIR = join(ROOT, '.mtchat', 'demo-e2e')

let proc
let browser
let log = ''

async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  let lastErr
  while (Date.now() < deadline) {
    try {
      if (await fn()) return
    } catch (e) {
      lastErr = e
      if (String(e).includes('exited with')) break
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${lastErr}` : ''}\n--- run.py log ---\n${log.slice(-4000)}`)
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  rmSync(DATA_DIR, { recursive: true, force: true })
  proc = spawn(PY, [join(EXAMPLE, 'run.py')], {
    cwd: ROOT,
    env: { ...process.env, MTCHAT_DATA_DIR: DATA_DIR, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  proc.stdout.on('data', (d) => (log += d))
  proc.stderr.on('data', (d) => (log += d))
  await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`run.py exited with ${proc.exitCode}`)
    return log.includes('MTChat demo is ready')
  }, 90_000, 'run.py readiness')
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
})

after(async () => {
  await browser?.close()
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM')
    await new Promise((r) => proc.once('exit', r))
  }
})

async function signIn(context, userId) {
  const page = await context.newPage()
  page.on('pageerror', (e) => console.error(`[${userId}] pageerror:`, e.message))
  await page.goto(`${DEMO_URL}/tenders`)
  await page.getByTestId('user-switch').waitFor()
  await page.getByTestId('user-switch').selectOption(userId)
  await page.getByTestId('whoami').filter({ hasText: userId === 'user-1' ? 'Анна' : 'Борис' }).waitFor()
  return page
}

test('carrier (tenant B) contacts the organizer (tenant A); organizer sees it; webhook inbox shows message.new', async () => {
  const text = `Добрый день! Готовы взять тендер #1234, ставка обсуждаема ${Date.now()}`

  // 1. Carrier of tenant-xyz: tenders list → "Связаться с организатором".
  const carrierCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  const carrier = await signIn(carrierCtx, 'user-2')
  await page_shot(carrier, '01-tenders-carrier')
  await carrier.locator('tr[data-tender="tender-uuid-123"]').getByTestId('contact').click()
  await carrier.waitForURL(/\/chats\?dialog=/, { timeout: 15_000 })
  const dialogId = new URL(carrier.url()).searchParams.get('dialog')
  assert.ok(dialogId, 'navigated to the dialog')

  // 2. Send a message in the full chat.
  const editor = carrier.locator('.mtchat [contenteditable="true"]').first()
  await editor.waitFor({ timeout: 20_000 })
  await editor.click()
  await carrier.keyboard.type(text)
  await carrier.keyboard.press('Enter')
  await carrier.locator('.mtchat').getByText(text).first().waitFor({ timeout: 15_000 })
  await page_shot(carrier, '02-chat-carrier-sent')

  // 3. Organizer of tenant-abc in a second context sees it (full chat page, same dialog).
  const orgCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  const organizer = await signIn(orgCtx, 'user-1')
  await organizer.goto(`${DEMO_URL}/chats?dialog=${dialogId}`)
  await organizer.locator('.mtchat').getByText(text).first().waitFor({ timeout: 20_000 })
  await page_shot(organizer, '03-chat-organizer-sees')

  // 4. Tender card with the inline chat, as the organizer.
  await organizer.goto(`${DEMO_URL}/tenders/tender-uuid-123`)
  await organizer.locator('.inline-chat .mtchat').waitFor({ timeout: 15_000 })
  await organizer.locator('.inline-chat').getByText(text).first().waitFor({ timeout: 20_000 })
  await page_shot(organizer, '04-tender-card-inline')

  // 5. Webhook inbox shows message.new (signature verified by the host backend).
  await organizer.goto(`${DEMO_URL}/webhooks`)
  await organizer.locator('tr[data-event="message.new"]').first().waitFor({ timeout: 30_000 })
  await page_shot(organizer, '05-webhook-inbox')
  const inbox = await (await fetch(`${DEMO_URL}/api/webhooks`)).json()
  const ev = inbox.data.find((e) => e.event === 'message.new' && e.data?.dialog_id === dialogId)
  assert.ok(ev, 'message.new for the dialog reached the host')
  assert.equal(ev.verified, true)
  assert.ok(ev.data.participants.includes('user-1'), 'organizer is to be notified')

  // 6. Admin panel renders the dialog with both participants.
  await organizer.goto(`${DEMO_URL}/admin`)
  await organizer.getByText('Обсуждение тендера #1234').first().waitFor({ timeout: 15_000 })
  await page_shot(organizer, '06-admin')

  await carrierCtx.close()
  await orgCtx.close()
})

async function page_shot(page, name) {
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
}
