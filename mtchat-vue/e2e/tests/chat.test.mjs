// Two users in two browser contexts against a real `mtchat serve`: live messages, reply, edit,
// delete, read receipts, mentions, XSS, file upload with preview, join from "Доступные".
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { makePng, openAs, screenshotPath, startStack, waitConnected } from '../lib/stack.mjs'

const alice = { id: 'alice', name: 'Алиса Петрова', company: 'ООО Логистик', tenant: 't1', scope1: ['logistics'], scope2: ['manager'] }
const bob = { id: 'bob', name: 'Борис Иванов', company: 'ТрансКарго', tenant: 't2', scope1: [], scope2: [] }
const carol = { id: 'carol', name: 'Карина Смирнова', company: 'ООО Логистик', tenant: 't1', scope1: ['logistics'], scope2: ['manager'] }
const T = 15_000

let stack
let dialog
let other
let A // alice's page
let B // bob's page

// A message whose own text (not a quote of it) contains `text`.
const msg = (page, text) => page.locator('.mtchat-msg').filter({ has: page.locator('.mtchat-msg__content', { hasText: text }) })
const editor = (page) => page.locator('.mtchat-editor__content')

async function typeAndSend(page, text) {
  await editor(page).click()
  await page.keyboard.type(text)
  await page.keyboard.press('Enter')
}

describe('full mode, two users', { timeout: 240_000 }, () => {
  before(async () => {
    stack = await startStack()
    const scope = { tenant_uid: 't1', scope_level1: ['logistics'], scope_level2: ['manager'] }
    dialog = await stack.server.createDialog({
      object_type: 'tender',
      object_id: 'T-100',
      title: 'Тендер #100: Москва → Казань',
      object_url: 'https://tms.example/tenders/100',
      participants: [
        { user_id: alice.id, display_name: alice.name, company: alice.company },
        { user_id: bob.id, display_name: bob.name, company: bob.company },
      ],
      access_scopes: [scope],
    })
    other = await stack.server.createDialog({
      object_type: 'order',
      object_id: 'O-7',
      title: 'Заказ O-7',
      participants: [{ user_id: alice.id, display_name: alice.name, company: alice.company }],
    })
    await stack.server.postAs(other.id, alice.id, 'Черновик заказа')
    A = (await openAs(stack, alice, { dialogId: dialog.id })).page
    B = (await openAs(stack, bob, { dialogId: dialog.id })).page
    await Promise.all([waitConnected(A), waitConnected(B)])
  })

  after(async () => {
    await stack?.close()
  })

  it('lists the dialog in "Участвую" with pinned/unread UI and shows the chat', async () => {
    await A.locator(`.mtchat-dialog[data-dialog-id="${dialog.id}"]`).waitFor({ timeout: T })
    await A.locator(`.mtchat-dialog[data-dialog-id="${other.id}"]`).waitFor({ timeout: T })
    assert.equal(await A.locator('[role="tab"][data-tab="participating"]').textContent().then((s) => s.trim().startsWith('Участвую')), true)
    await A.locator('.mtchat-chat__title', { hasText: 'Тендер #100' }).waitFor({ timeout: T })
  })

  it('delivers a message live to the other user', async () => {
    await typeAndSend(A, 'Привет, Борис! Когда сможете подать машину?')
    await msg(B, 'Когда сможете подать машину?').waitFor({ timeout: T })
    await msg(A, 'Когда сможете подать машину?').waitFor({ timeout: T })
    assert.equal(await msg(A, 'Когда сможете подать машину?').count(), 1)
  })

  it('shows the read receipt once the other user has read it', async () => {
    const mine = msg(A, 'Когда сможете подать машину?')
    await mine.locator('[data-testid="read-receipt"].is-read').waitFor({ timeout: T })
    await mine.locator('[data-testid="read-receipt"]').click()
    await mine.locator('[data-testid="readers"]', { hasText: bob.name }).waitFor({ timeout: T })
    await mine.locator('[data-testid="read-receipt"]').click()
  })

  it('replies with a quote, and the quote jumps to the original', async () => {
    const original = msg(B, 'Когда сможете подать машину?')
    await original.hover()
    await original.locator('[data-action="reply"]').click()
    await B.locator('[data-testid="composer-context"]').waitFor()
    await B.keyboard.type('Завтра к 9:00')
    await B.keyboard.press('Enter')
    const reply = msg(A, 'Завтра к 9:00')
    await reply.waitFor({ timeout: T })
    await reply.locator('[data-testid="quote"]', { hasText: 'Когда сможете подать машину?' }).waitFor()
    await reply.locator('[data-testid="quote"]').click()
    await A.locator('.mtchat-msg.is-highlighted', { hasText: 'Когда сможете подать машину?' }).waitFor({ timeout: T })
  })

  it('edits a message (button and ↑ in an empty editor) with an "edited" mark on both sides', async () => {
    await typeAndSend(A, 'Ставка 50000 руб')
    await msg(B, 'Ставка 50000 руб').waitFor({ timeout: T })
    // ↑ in the empty editor edits my last message.
    await editor(A).click()
    await A.keyboard.press('ArrowUp')
    await A.locator('[data-testid="composer-context"]', { hasText: 'Редактирование' }).waitFor()
    await A.keyboard.press('End')
    await A.keyboard.type(' с НДС')
    await A.keyboard.press('Enter')
    const edited = msg(B, 'Ставка 50000 руб с НДС')
    await edited.waitFor({ timeout: T })
    await edited.locator('.mtchat-msg__edited', { hasText: 'изменено' }).waitFor()
  })

  it('deletes a message for everyone; a reply to it says the original is gone', async () => {
    await typeAndSend(A, 'Это сообщение будет удалено')
    const original = msg(B, 'Это сообщение будет удалено')
    await original.waitFor({ timeout: T })
    await original.hover()
    await original.locator('[data-action="reply"]').click()
    await B.keyboard.type('Ок, понял')
    await B.keyboard.press('Enter')
    await msg(A, 'Ок, понял').locator('[data-testid="quote"]', { hasText: 'Это сообщение будет удалено' }).waitFor({ timeout: T })
    const m = msg(A, 'Это сообщение будет удалено')
    await m.hover()
    await m.locator('[data-action="delete"]').click()
    await original.waitFor({ state: 'detached', timeout: T })
    await m.waitFor({ state: 'detached', timeout: T })
    for (const page of [A, B]) {
      const quote = msg(page, 'Ок, понял').locator('[data-testid="quote"]')
      await quote.filter({ hasText: 'Сообщение удалено' }).waitFor({ timeout: T })
      assert.equal(await quote.isDisabled(), true)
    }
  })

  it('inserts an @mention from the participant list', async () => {
    await editor(A).click()
    await A.keyboard.type('Уточните, @Бор')
    await A.locator('[data-testid="mention-list"]', { hasText: bob.name }).waitFor({ timeout: T })
    await A.keyboard.press('Enter')
    await A.keyboard.type('пожалуйста')
    await A.keyboard.press('Enter')
    const m = msg(B, 'Уточните')
    await m.waitFor({ timeout: T })
    await m.locator(`[data-mention="${bob.id}"]`, { hasText: `@${bob.name}` }).waitFor()
  })

  it('shows an XSS payload as text', async () => {
    const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    await typeAndSend(A, payload)
    const m = msg(B, '<img src=x')
    await m.waitFor({ timeout: T })
    assert.equal((await m.locator('.mtchat-msg__content').innerText()).trim(), payload)
    assert.equal(await m.locator('.mtchat-msg__content img, .mtchat-msg__content script').count(), 0)
    assert.equal(await B.evaluate(() => window.__xss), undefined)
    assert.equal(await A.evaluate(() => window.__xss), undefined)
  })

  it('uploads an image with progress and shows a preview and gallery to the other user', async () => {
    await A.locator('[data-testid="file-input"]').setInputFiles({ name: 'route-map.png', mimeType: 'image/png', buffer: makePng(48, 32) })
    await A.locator('[data-testid="upload"].is-done').waitFor({ timeout: T })
    await editor(A).click()
    await A.keyboard.type('Схема маршрута')
    await A.keyboard.press('Enter')
    const m = msg(B, 'Схема маршрута')
    await m.waitFor({ timeout: T })
    const img = m.locator('[data-testid="attachment-image"] img')
    await img.waitFor({ timeout: T })
    await B.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: T })
    await m.locator('[data-testid="attachment-image"]').click()
    await B.locator('[data-testid="gallery"] img').waitFor({ timeout: T })
    await B.keyboard.press('Escape')
    await B.locator('[data-testid="gallery"]').waitFor({ state: 'detached' })
  })

  it('shows the typing indicator', async () => {
    await editor(B).click()
    await B.keyboard.type('печатаю')
    await A.locator('.mtchat-typing', { hasText: 'печатает' }).waitFor({ timeout: T })
    await B.keyboard.press('Control+A')
    await B.keyboard.press('Backspace')
  })

  it('takes desktop screenshots (light and info pane)', async () => {
    await A.locator('[aria-label="Информация о чате"]').click()
    await A.locator('.mtchat-info .mtchat-people__item', { hasText: bob.name }).waitFor({ timeout: T })
    await A.locator(`.mtchat-info [data-user-id="${bob.id}"] .mtchat-dot.is-online`).waitFor({ timeout: T })
    await A.screenshot({ path: screenshotPath('full-desktop-1280.png') })
  })

  it('lets a potential participant join from "Доступные"', async () => {
    const { page: C } = await openAs(stack, carol)
    await waitConnected(C)
    await C.locator('[role="tab"][data-tab="available"]').click()
    const item = C.locator(`[data-list="available"] .mtchat-dialog[data-dialog-id="${dialog.id}"]`)
    await item.waitFor({ timeout: T })
    await item.locator('button').click()
    const prompt = C.locator('[data-testid="join-prompt"]')
    await prompt.waitFor({ timeout: T })
    assert.equal(await prompt.locator('input[name="display_name"]').inputValue(), carol.name)
    assert.equal(await C.locator('.mtchat-msg').count(), 0, 'messages are hidden before joining')
    await prompt.locator('button[type="submit"]').click()
    await msg(C, 'Привет, Борис!').waitFor({ timeout: T })
    await C.locator('[role="tab"][data-tab="participating"]').click()
    await C.locator(`[data-list="participating"] .mtchat-dialog[data-dialog-id="${dialog.id}"]`).waitFor({ timeout: T })
    const joined = await C.evaluate(() => window.__mtchatEvents.filter((e) => e.name === 'dialog-joined').length)
    assert.equal(joined, 1)
    // Everyone sees the system message in their language.
    await A.locator('.mtchat-system', { hasText: `${carol.name} теперь в чате` }).waitFor({ timeout: T })
    await C.context().close()
  })

  it('works on a 375 px phone: one column at a time with a back button', async () => {
    const { page: P, context } = await openAs(stack, bob, { width: 375, height: 740 })
    await waitConnected(P)
    await P.locator(`.mtchat-dialog[data-dialog-id="${dialog.id}"]`).waitFor({ timeout: T })
    assert.equal(await P.locator('.mtchat-full__chat').isVisible(), false)
    await P.screenshot({ path: screenshotPath('full-phone-375-list.png') })
    await P.locator(`.mtchat-dialog[data-dialog-id="${dialog.id}"] button`).click()
    await msg(P, 'Завтра к 9:00').waitFor({ timeout: T })
    // A fresh page knows Alice read Bob's reply long ago (stored read state, not a live event).
    await msg(P, 'Завтра к 9:00').locator('[data-testid="read-receipt"].is-read').waitFor({ timeout: T })
    assert.equal(await P.locator('.mtchat-full__list').isVisible(), false)
    await P.screenshot({ path: screenshotPath('full-phone-375-chat.png') })
    await P.locator('.mtchat-chat__back').click()
    await P.locator('.mtchat-full__list').waitFor({ state: 'visible' })
    await context.close()
  })

  it('renders the dark theme in English', async () => {
    const { page: D, context } = await openAs(stack, alice, { dialogId: dialog.id, theme: 'dark', locale: 'en' })
    await waitConnected(D)
    await D.locator('[role="tab"][data-tab="participating"]', { hasText: 'My chats' }).waitFor()
    await msg(D, 'Завтра к 9:00').waitFor({ timeout: T })
    await D.locator('.mtchat-system', { hasText: 'joined the chat' }).waitFor({ timeout: T })
    await D.screenshot({ path: screenshotPath('full-desktop-dark-en.png') })
    await context.close()
  })
})
