// Keyboard only (no mouse) against a real `mtchat serve`: tab order lists → chat → editor, roving
// focus in the lists and the timeline, visible focus, named controls, the image gallery (←/→, Tab
// trapped, Esc, focus back), reply / Shift+Enter / ↑-edit / Esc, info pane (pin, archive, Esc),
// the archive section, unread badge and search, join from "Доступные", leave, and the 375 px
// one-column layout with focus following the view.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { makePng, mintToken, openAs, screenshotPath, startStack, waitConnected } from '../lib/stack.mjs'

const alice = { id: 'alice', name: 'Алиса Петрова', company: 'ООО Логистик', tenant: 't1', scope1: ['logistics'], scope2: [] }
const bob = { id: 'bob', name: 'Борис Иванов', company: 'ТрансКарго', tenant: 't1', scope1: [], scope2: [] }
const T = 15_000

let stack
let route // alice + bob, with text and two images
let order // alice + bob, gets an unread message later
let open // bob only; alice's scope matches: "Доступные"
let A

/** What has keyboard focus, described. */
const focused = (page) =>
  page.evaluate(() => {
    const a = document.activeElement
    if (!a || a === document.body) return { tag: 'BODY' }
    return {
      tag: a.tagName,
      type: a.getAttribute('type'),
      role: a.getAttribute('role'),
      label: a.getAttribute('aria-label'),
      text: (a.textContent ?? '').trim().slice(0, 80),
      cls: typeof a.className === 'string' ? a.className : '',
      testid: a.getAttribute('data-testid'),
      action: a.getAttribute('data-action'),
      tab: a.getAttribute('data-tab'),
      name: a.getAttribute('name'),
      mid: a.closest('[data-message-id]')?.getAttribute('data-message-id') ?? null,
      isMessage: a.hasAttribute('data-message-id'),
      did: a.closest('[data-dialog-id]')?.getAttribute('data-dialog-id') ?? null,
      inInfo: !!a.closest('.mtchat-info'),
      inList: !!a.closest('.mtchat-list'),
      inComposer: !!a.closest('.mtchat-composer'),
      inGallery: !!a.closest('[data-testid="gallery"]'),
      editor: a.classList.contains('ProseMirror'),
      ring: getComputedStyle(a).boxShadow !== 'none' || getComputedStyle(a).textDecorationLine.includes('underline'),
    }
  })

/** Press `key` until `pred(focused)` holds; fails after `max` presses. Returns the stops passed. */
async function pressUntil(page, key, pred, max = 12) {
  const stops = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key)
    const f = await focused(page)
    stops.push(f)
    if (pred(f)) return stops
  }
  throw new Error(`${key} ×${max} never reached the target; stops: ${JSON.stringify(stops.map((s) => s.label || s.text || s.cls))}`)
}

const events = (page, name) => page.evaluate((n) => window.__mtchatEvents.filter((e) => e.name === n).map((e) => e.payload), name)
const msg = (page, text) => page.locator('.mtchat-msg').filter({ has: page.locator('.mtchat-msg__content', { hasText: text }) })

describe('keyboard only', { timeout: 240_000 }, () => {
  before(async () => {
    stack = await startStack()
    const both = [
      { user_id: alice.id, display_name: alice.name, company: alice.company },
      { user_id: bob.id, display_name: bob.name, company: bob.company },
    ]
    route = await stack.server.createDialog({ object_type: 'route', object_id: 'K-1', title: 'Рейс K-1', object_url: 'https://tms.example/routes/K-1', participants: both })
    order = await stack.server.createDialog({ object_type: 'order', object_id: 'K-2', title: 'Заказ K-2', participants: both })
    open = await stack.server.createDialog({
      object_type: 'tender',
      object_id: 'K-3',
      title: 'Тендер K-3',
      participants: [both[1]],
      access_scopes: [{ tenant_uid: 't1', scope_level1: ['logistics'], scope_level2: [] }],
    })
    await stack.server.postAs(order.id, bob.id, 'Заказ подтверждён')
    const bobToken = mintToken({ sub: bob.id, tenant: 't1' })
    const images = [
      await stack.server.uploadAs(bobToken, route.id, 'photo-1.png', 'image/png', makePng(40, 30)),
      await stack.server.uploadAs(bobToken, route.id, 'photo-2.png', 'image/png', makePng(30, 40)),
    ]
    await stack.server.user(bobToken, 'POST', `/dialogs/${route.id}/messages`, { content: '<p>Фото погрузки</p>', attachments: images })
    for (const text of ['Машина на месте', 'Начинаем погрузку']) await stack.server.postAs(route.id, bob.id, text)
    A = (await openAs(stack, alice)).page
    await waitConnected(A)
    await A.locator(`.mtchat-dialog[data-dialog-id="${route.id}"]`).waitFor({ timeout: T })
  })
  after(async () => stack?.close())

  it('tabs search → tabs → one list item → chat header → one message → editor, with visible focus', async () => {
    await A.keyboard.press('Tab')
    let f = await focused(A)
    assert.equal(f.type, 'search')
    assert.ok(f.ring, 'search box shows focus')
    await A.keyboard.press('Tab')
    f = await focused(A)
    assert.equal(f.role, 'tab')
    assert.equal(f.tab, 'participating')
    await A.keyboard.press('ArrowRight')
    assert.equal((await focused(A)).tab, 'available')
    await A.locator(`[data-list="available"] .mtchat-dialog[data-dialog-id="${open.id}"]`).waitFor({ timeout: T })
    await A.keyboard.press('ArrowLeft')
    assert.equal((await focused(A)).tab, 'participating')

    // The list is one Tab stop; ↑/↓ walk it; Enter opens.
    await A.keyboard.press('Tab')
    f = await focused(A)
    assert.ok(f.did, 'a dialog item')
    assert.ok(f.ring, 'list item shows focus')
    if (f.did !== route.id) await pressUntil(A, 'ArrowDown', (x) => x.did === route.id, 4)
    await A.keyboard.press('Enter')
    await A.locator('.mtchat-chat__title', { hasText: 'Рейс K-1' }).waitFor({ timeout: T })
    assert.equal((await events(A, 'dialog-selected')).length, 1)
    assert.equal((await focused(A)).did, route.id, 'desktop: focus stays on the list item')
    await msg(A, 'Начинаем погрузку').waitFor({ timeout: T })

    // Next stops: archive toggle, the chat header, then ONE message (the newest), never every message.
    const stops = await pressUntil(A, 'Tab', (x) => x.isMessage)
    assert.deepEqual(
      stops.slice(0, -1).map((s) => s.label ?? s.text),
      ['Архив', 'Информация о чате'],
    )
    const newest = stops.at(-1)
    assert.ok(newest.ring, 'message shows focus')
    assert.equal(newest.mid, await msg(A, 'Начинаем погрузку').getAttribute('data-message-id'))
    const toEditor = await pressUntil(A, 'Tab', (x) => x.editor, 6)
    for (const s of toEditor.slice(0, -1)) assert.ok(s.mid === newest.mid || s.inComposer || s.cls.includes('mtchat-btn--pill'), `stray stop ${JSON.stringify(s)}`)
    assert.ok(toEditor.some((s) => s.label === 'Прикрепить файл' && s.ring))
  })

  it('walks messages with ↑/↓ and opens the gallery: ←/→ page, Tab stays inside, Esc closes, focus returns', async () => {
    // Back from the editor into the timeline.
    await pressUntil(A, 'Shift+Tab', (x) => x.isMessage, 6)
    const withPhotos = await pressUntil(A, 'ArrowUp', (x) => x.text.includes('Фото погрузки'), 6)
    assert.ok(withPhotos.at(-1).ring)
    await A.keyboard.press('Tab')
    let f = await focused(A)
    assert.equal(f.testid, 'attachment-image')
    assert.equal(f.label, 'photo-1.png')
    await A.keyboard.press('Enter')
    const gallery = A.locator('[data-testid="gallery"]')
    const caption = A.locator('[data-testid="gallery-caption"]')
    await caption.filter({ hasText: 'photo-1.png · 1/2' }).waitFor({ timeout: T })
    await A.waitForFunction(() => {
      const img = document.querySelector('[data-testid="gallery"] img')
      return img && img.complete && img.naturalWidth > 0
    }, null, { timeout: T })
    // Full size: the overlay covers the viewport, not just the widget.
    const box = await gallery.boundingBox()
    assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 1280, 800])
    assert.ok((await focused(A)).inGallery)
    await A.screenshot({ path: screenshotPath('gallery.png') })
    await A.keyboard.press('ArrowRight')
    await caption.filter({ hasText: 'photo-2.png · 2/2' }).waitFor({ timeout: T })
    await A.keyboard.press('ArrowRight')
    await caption.filter({ hasText: 'photo-1.png · 1/2' }).waitFor({ timeout: T })
    await A.keyboard.press('ArrowLeft')
    await caption.filter({ hasText: 'photo-2.png · 2/2' }).waitFor({ timeout: T })
    const inside = []
    for (let i = 0; i < 5; i++) {
      await A.keyboard.press('Tab')
      inside.push(await focused(A))
    }
    assert.ok(inside.every((s) => s.inGallery && s.ring), 'Tab is trapped in the gallery')
    await pressUntil(A, 'Tab', (x) => x.label === 'Предыдущее', 3)
    await A.keyboard.press('Enter')
    await caption.filter({ hasText: 'photo-1.png · 1/2' }).waitFor({ timeout: T })
    await A.keyboard.press('Escape')
    await gallery.waitFor({ state: 'detached', timeout: T })
    f = await focused(A)
    assert.equal(f.testid, 'attachment-image', 'focus returns to the image that opened the gallery')
  })

  it('Esc goes to the editor; Shift+Enter breaks a line; ↑ edits, Esc cancels; reply and readers by keyboard', async () => {
    await A.keyboard.press('Escape') // in the timeline: hands focus to the editor
    await A.waitForFunction(() => document.activeElement?.classList.contains('ProseMirror'), null, { timeout: T })
    await A.keyboard.type('Строка 1')
    await A.keyboard.press('Shift+Enter')
    await A.keyboard.type('Строка 2')
    await A.keyboard.press('Enter')
    const two = msg(A, 'Строка 1')
    await two.waitFor({ timeout: T })
    assert.match(await two.locator('.mtchat-msg__content').innerText(), /Строка 1\s*\n\s*Строка 2/)
    await A.waitForFunction(() => window.__mtchatEvents.filter((e) => e.name === 'message-sent').length === 1, null, { timeout: T })

    await A.keyboard.press('ArrowUp')
    await A.locator('[data-testid="composer-context"]', { hasText: 'Редактирование' }).waitFor({ timeout: T })
    assert.match(await A.locator('.mtchat-editor__content').innerText(), /Строка 1/)
    await A.keyboard.press('Escape')
    await A.locator('[data-testid="composer-context"]').waitFor({ state: 'detached', timeout: T })
    assert.equal((await A.locator('.mtchat-editor__content').innerText()).trim(), '')

    // Reply to the newest message with its own button (reached backwards from the editor).
    await pressUntil(A, 'Shift+Tab', (x) => x.action === 'reply', 8)
    await A.keyboard.press('Enter')
    await A.locator('[data-testid="composer-context"]', { hasText: 'Ответ на сообщение' }).waitFor({ timeout: T })
    await A.waitForFunction(() => document.activeElement?.classList.contains('ProseMirror'), null, { timeout: T })
    await A.keyboard.type('Ответ с клавиатуры')
    await A.keyboard.press('Enter')
    const reply = msg(A, 'Ответ с клавиатуры')
    await reply.locator('[data-testid="quote"]', { hasText: 'Строка 1' }).waitFor({ timeout: T })
    // Confirmed by the server (the optimistic copy has no ✓ and no actions yet).
    await reply.locator('[data-testid="read-receipt"]').waitFor({ timeout: T })

    // Who read it: the tick opens the list, Esc closes it and focus stays on the tick.
    await pressUntil(A, 'Shift+Tab', (x) => x.testid === 'read-receipt', 8)
    await A.keyboard.press('Enter')
    await A.locator('[data-testid="readers"]').waitFor({ timeout: T })
    await A.keyboard.press('Escape')
    await A.locator('[data-testid="readers"]').waitFor({ state: 'detached', timeout: T })
    assert.equal((await focused(A)).testid, 'read-receipt')
  })

  it('info pane by keyboard: pin puts the dialog on top, archive moves it to the Архив section, Esc closes', async () => {
    await pressUntil(A, 'Shift+Tab', (x) => x.label === 'Информация о чате', 12)
    await A.keyboard.press('Enter')
    await A.locator('.mtchat-info').waitFor({ timeout: T })
    // Every control in view has a name.
    const unnamed = await A.evaluate(() =>
      [...document.querySelectorAll('.mtchat button, .mtchat a, .mtchat input, .mtchat [role="img"]')]
        .filter((el) => el.getAttribute('aria-hidden') !== 'true')
        .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || el.closest('label')?.textContent.trim()))
        .map((el) => el.outerHTML.slice(0, 100)),
    )
    assert.deepEqual(unnamed, [])

    await pressUntil(A, 'Tab', (x) => x.text === 'Закрепить', 30)
    await A.keyboard.press('Enter')
    await A.locator('.mtchat-list__items[data-list="participating"] .mtchat-dialog').first().locator('.mtchat-dialog__pin').waitFor({ timeout: T })
    assert.equal(await A.locator('.mtchat-list__items[data-list="participating"] .mtchat-dialog').first().getAttribute('data-dialog-id'), route.id)

    await pressUntil(A, 'Tab', (x) => x.text === 'В архив', 4)
    await A.keyboard.press('Enter')
    await A.locator(`[data-list="participating"] .mtchat-dialog[data-dialog-id="${route.id}"]`).waitFor({ state: 'detached', timeout: T })
    await A.locator('.mtchat-info button', { hasText: 'Из архива' }).waitFor({ timeout: T })

    await A.keyboard.press('Escape')
    await A.locator('.mtchat-info').waitFor({ state: 'detached', timeout: T })
    assert.ok((await focused(A)).cls.includes('mtchat-chat__info-toggle'), 'focus returns to the info button')

    // The archive section, opened from the keyboard, lists it; its item is the list's Tab stop.
    await pressUntil(A, 'Shift+Tab', (x) => x.text.startsWith('Архив'), 3)
    await A.keyboard.press('Enter')
    await A.locator(`[data-list="archived"] .mtchat-dialog[data-dialog-id="${route.id}"]`).waitFor({ timeout: T })
    await A.keyboard.press('Tab')
    assert.equal((await focused(A)).did, route.id)
    await A.screenshot({ path: screenshotPath('full-desktop-archive.png') })
  })

  it('shows an unread badge live and filters with the search box', async () => {
    const item = A.locator(`[data-list="participating"] .mtchat-dialog[data-dialog-id="${order.id}"]`)
    await item.locator('.mtchat-badge', { hasText: /^1$/ }).waitFor({ timeout: T }) // "Заказ подтверждён", never opened
    await stack.server.postAs(order.id, bob.id, 'Нужна доп. машина')
    await item.locator('.mtchat-badge', { hasText: /^2$/ }).waitFor({ timeout: T })
    await item.locator('.mtchat-dialog__preview', { hasText: 'Нужна доп. машина' }).waitFor({ timeout: T })
    await A.locator('[data-tab="participating"] .mtchat-badge', { hasText: /^2$/ }).waitFor({ timeout: T })
    assert.match(await item.innerText(), /2 непрочитанных/)

    await pressUntil(A, 'Shift+Tab', (x) => x.type === 'search', 6)
    await A.keyboard.type('K-2')
    await A.waitForFunction(
      (ids) => {
        const shown = [...document.querySelectorAll('[data-list="participating"] .mtchat-dialog')].map((d) => d.getAttribute('data-dialog-id'))
        return shown.length === 1 && shown[0] === ids
      },
      order.id,
      { timeout: T },
    )
    await A.keyboard.press('Control+A')
    await A.keyboard.press('Backspace')
  })

  it('joins from "Доступные" and leaves again, by keyboard; focus follows', async () => {
    await A.keyboard.press('Tab')
    await A.keyboard.press('End')
    assert.equal((await focused(A)).tab, 'available')
    const item = A.locator(`[data-list="available"] .mtchat-dialog[data-dialog-id="${open.id}"]`)
    await item.waitFor({ timeout: T })
    await A.keyboard.press('Tab')
    assert.equal((await focused(A)).did, open.id)
    await A.keyboard.press('Enter')
    const prompt = A.locator('[data-testid="join-prompt"]')
    await prompt.waitFor({ timeout: T })
    const f = (await pressUntil(A, 'Tab', (x) => x.name === 'display_name', 8)).at(-1)
    assert.ok(f.ring)
    assert.equal(await prompt.locator('input[name="display_name"]').inputValue(), alice.name)
    await A.keyboard.press('Enter')
    await A.locator('.mtchat-system', { hasText: `${alice.name} теперь в чате` }).waitFor({ timeout: T })
    assert.deepEqual(await events(A, 'dialog-joined'), [{ dialogId: open.id }])
    await A.waitForFunction(() => document.activeElement?.classList.contains('ProseMirror'), null, { timeout: T })

    await pressUntil(A, 'Shift+Tab', (x) => x.label === 'Информация о чате', 12)
    await A.keyboard.press('Enter')
    await pressUntil(A, 'Tab', (x) => x.testid === 'leave', 30)
    await A.keyboard.press('Enter') // window.confirm is accepted by the harness
    await A.locator('.mtchat-chat').waitFor({ state: 'detached', timeout: T })
    assert.deepEqual(await events(A, 'dialog-left'), [{ dialogId: open.id }])
    await A.waitForFunction(() => !!document.activeElement?.closest('.mtchat-list'), null, { timeout: T })
  })

  it('375 px: one column at a time, focus moves to the pane shown, and back again', async () => {
    const { page: P, context } = await openAs(stack, bob, { width: 375, height: 740 })
    await waitConnected(P)
    await P.locator(`.mtchat-dialog[data-dialog-id="${route.id}"]`).waitFor({ timeout: T })
    await pressUntil(P, 'Tab', (x) => x.did !== null, 4)
    await P.keyboard.press('Home')
    if ((await focused(P)).did !== route.id) await pressUntil(P, 'ArrowDown', (x) => x.did === route.id, 4)
    await P.keyboard.press('Enter')
    await P.locator('.mtchat-chat__title', { hasText: 'Рейс K-1' }).waitFor({ timeout: T })
    await P.waitForFunction(() => document.activeElement?.classList.contains('mtchat-chat__title'), null, { timeout: T })
    assert.equal(await P.locator('.mtchat-full__list').isVisible(), false)
    assert.ok((await focused(P)).ring, 'the chat title shows focus')

    await P.keyboard.press('Tab')
    assert.equal((await focused(P)).label, 'Информация о чате')
    await P.keyboard.press('Enter')
    await P.waitForFunction(() => document.activeElement?.matches('.mtchat-info h3'), null, { timeout: T })
    assert.equal(await P.locator('.mtchat-full__chat').isVisible(), false)
    await P.locator('.mtchat-info .mtchat-people__item', { hasText: alice.name }).waitFor({ timeout: T })
    await P.screenshot({ path: screenshotPath('full-phone-375-info.png') })
    await P.keyboard.press('Shift+Tab')
    assert.equal((await focused(P)).label, 'Назад')
    await P.keyboard.press('Enter')
    await P.locator('.mtchat-full__chat').waitFor({ state: 'visible', timeout: T })
    assert.ok((await focused(P)).cls.includes('mtchat-chat__info-toggle'), 'back from info lands on the info button')

    await pressUntil(P, 'Shift+Tab', (x) => x.label === 'Назад', 3)
    await P.keyboard.press('Enter')
    await P.locator('.mtchat-full__list').waitFor({ state: 'visible', timeout: T })
    assert.equal((await focused(P)).did, route.id, 'back from the chat lands on its list item')
    await context.close()
  })
})
