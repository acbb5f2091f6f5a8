// The server restarts mid-session: the banner shows and clears, and messages sent while the
// clients were disconnected appear exactly once.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openAs, screenshotPath, sleep, startStack, waitConnected } from '../lib/stack.mjs'

const alice = { id: 'alice', name: 'Алиса', company: 'ООО Логистик', tenant: 't1' }
const bob = { id: 'bob', name: 'Борис', company: 'ТрансКарго', tenant: 't1' }
const T = 20_000

let stack
let dialog

describe('reconnect after a server restart', { timeout: 180_000 }, () => {
  before(async () => {
    stack = await startStack()
    dialog = await stack.server.createDialog({
      object_type: 'route',
      object_id: 'R-1',
      title: 'Рейс R-1',
      participants: [
        { user_id: alice.id, display_name: alice.name },
        { user_id: bob.id, display_name: bob.name },
      ],
    })
  })
  after(async () => stack?.close())

  it('shows the banner, clears it, and merges the missed messages without doubles', async () => {
    const { page: A } = await openAs(stack, alice, { dialogId: dialog.id })
    const { page: B } = await openAs(stack, bob, { dialogId: dialog.id })
    await Promise.all([waitConnected(A), waitConnected(B)])
    // The catch-up's history requests, and any history request that failed.
    const history = []
    for (const page of [A, B]) {
      page.on('response', (r) => {
        const url = new URL(r.url())
        if (url.pathname.endsWith(`/dialogs/${dialog.id}/messages`) && r.request().method() === 'GET') history.push({ query: url.search, status: r.status() })
      })
    }
    await A.locator('.mtchat-editor__content').click()
    await A.keyboard.type('До перезапуска')
    await A.keyboard.press('Enter')
    await B.locator('.mtchat-msg', { hasText: 'До перезапуска' }).waitFor({ timeout: T })

    await stack.server.stop()
    await A.locator('[data-testid="connection-banner"].mtchat-banner--offline').waitFor({ timeout: T })
    await B.locator('[data-testid="connection-banner"].mtchat-banner--offline').waitFor({ timeout: T })
    await A.screenshot({ path: screenshotPath('reconnect-banner.png') })

    await stack.server.start()
    // Sent right after the restart, while the browsers are still waiting out their backoff.
    const missed = ['Пропущенное 1', 'Пропущенное 2', 'Пропущенное 3']
    for (const text of missed) await stack.server.postAs(dialog.id, bob.id, text)

    for (const page of [A, B]) {
      await waitConnected(page, 2)
      await page.locator('[data-testid="connection-banner"]').waitFor({ state: 'detached', timeout: T })
      for (const text of missed) await page.locator('.mtchat-msg', { hasText: text }).waitFor({ timeout: T })
    }
    // Each page caught up by seq (after_seq=<confirmed seq>), not by the id of a message that may be gone.
    const catchUps = history.filter((h) => h.query.includes('after_seq='))
    assert.ok(catchUps.length >= 2, `catch-up requests: ${JSON.stringify(history)}`)
    assert.deepEqual(history.filter((h) => h.status !== 200), [])
    assert.deepEqual(history.filter((h) => /[?&]after=/.test(h.query)), [])
    // Live again: one more message travels over the new sockets.
    await B.locator('.mtchat-editor__content').click()
    await B.keyboard.type('После перезапуска')
    await B.keyboard.press('Enter')
    await A.locator('.mtchat-msg', { hasText: 'После перезапуска' }).waitFor({ timeout: T })
    await sleep(500)
    for (const page of [A, B]) {
      for (const text of [...missed, 'До перезапуска', 'После перезапуска']) {
        assert.equal(await page.locator('.mtchat-msg', { hasText: text }).count(), 1, `${text} appears once`)
      }
    }
  })
})
