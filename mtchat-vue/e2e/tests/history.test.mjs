// Long history: infinite scroll upward (before=), jump to the first unread (around=), and a reply
// to an old message whose quote jumps back into history.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { mintToken, openAs, startStack, waitConnected } from '../lib/stack.mjs'

const alice = { id: 'alice', name: 'Алиса', tenant: 't1' }
const bob = { id: 'bob', name: 'Борис', tenant: 't1' }
const T = 20_000
const N = 120

let stack
let dialog
const ids = []

const exact = (page, text) =>
  page.locator('.mtchat-msg').filter({ has: page.locator('.mtchat-msg__content', { hasText: new RegExp(`^\\s*${text}\\s*$`) }) })

describe('history', { timeout: 180_000 }, () => {
  before(async () => {
    stack = await startStack()
    dialog = await stack.server.createDialog({
      object_type: 'route',
      object_id: 'R-77',
      title: 'Рейс R-77',
      participants: [
        { user_id: alice.id, display_name: alice.name },
        { user_id: bob.id, display_name: bob.name },
      ],
    })
    for (let i = 1; i <= N; i++) ids.push((await stack.server.postAs(dialog.id, alice.id, `Сообщение ${i}`)).id)
    // Bob has read the first 20.
    await stack.server.user(mintToken({ sub: bob.id, tenant: 't1' }), 'POST', `/dialogs/${dialog.id}/read`, { last_read_message_id: ids[19] })
  })
  after(async () => stack?.close())

  it('jumps to the first unread, scrolls up through history, and quotes an old message', async () => {
    const { page: B } = await openAs(stack, bob, { dialogId: dialog.id })
    await waitConnected(B)
    await exact(B, `Сообщение ${N}`).waitFor({ timeout: T })
    assert.equal(await exact(B, 'Сообщение 21').count(), 0, 'the first unread is outside the first page')

    await B.locator('[data-testid="jump-unread"]').click()
    await exact(B, 'Сообщение 21').waitFor({ timeout: T })
    const dividerBeforeFirstUnread = await B.evaluate(() => {
      const divider = document.querySelector('[data-testid="unread-divider"]')
      const next = divider?.nextElementSibling
      return next?.querySelector('.mtchat-msg__content')?.textContent?.trim() ?? null
    })
    assert.equal(dividerBeforeFirstUnread, 'Сообщение 21')

    // Infinite scroll upward until the very first message is loaded.
    for (let i = 0; i < 20 && (await exact(B, 'Сообщение 1').count()) === 0; i++) {
      await B.locator('.mtchat-messages__scroller').evaluate((el) => (el.scrollTop = 0))
      await B.waitForTimeout(300)
    }
    await exact(B, 'Сообщение 1').waitFor({ timeout: T })
    // And down again (after=) past the end of the window the jump loaded.
    for (let i = 0; i < 20 && (await exact(B, 'Сообщение 80').count()) === 0; i++) {
      await B.locator('.mtchat-messages__scroller').evaluate((el) => (el.scrollTop = el.scrollHeight))
      await B.waitForTimeout(300)
    }
    for (const n of [1, 2, 3, 21, 50, 80]) assert.equal(await exact(B, `Сообщение ${n}`).count(), 1, `message ${n} once`)

    const old = exact(B, 'Сообщение 3')
    await old.scrollIntoViewIfNeeded()
    await old.hover()
    await old.locator('[data-action="reply"]').click()
    await B.keyboard.type('Ответ на старое')
    await B.keyboard.press('Enter')
    await B.locator('.mtchat-msg--mine', { hasText: 'Ответ на старое' }).waitFor({ timeout: T })

    // Alice opens the dialog fresh: the quote shows the old text and jumps into history.
    const { page: A } = await openAs(stack, alice, { dialogId: dialog.id })
    const reply = A.locator('.mtchat-msg', { hasText: 'Ответ на старое' })
    await reply.waitFor({ timeout: T })
    await reply.locator('[data-testid="quote"]', { hasText: 'Сообщение 3' }).waitFor({ timeout: T })
    assert.equal(await exact(A, 'Сообщение 3').count(), 0)
    await reply.locator('[data-testid="quote"]').click()
    await A.locator('.mtchat-msg.is-highlighted').filter({ has: A.locator('.mtchat-msg__content', { hasText: /^\s*Сообщение 3\s*$/ }) }).waitFor({ timeout: T })
    // And back to the live end.
    await A.locator('[aria-label="К последним сообщениям"]').click()
    await reply.waitFor({ timeout: T })
  })
})
