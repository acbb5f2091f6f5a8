// Inline mode inside a host card: a potential participant sees the join prompt (profile prefilled),
// not the messages; after joining, the conversation.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openAs, screenshotPath, startStack, waitConnected } from '../lib/stack.mjs'

const owner = { id: 'org-1', name: 'Ольга Организатор', company: 'ТендерПро', tenant: 't9', scope1: [], scope2: [] }
const dave = { id: 'dave', name: 'Денис Перевозчик', company: 'ИП Денисов', tenant: 't1', scope1: ['carriers'], scope2: ['bidder'] }
const T = 15_000

let stack
let dialog

describe('inline mode', { timeout: 120_000 }, () => {
  before(async () => {
    stack = await startStack()
    dialog = await stack.server.createDialog({
      object_type: 'tender',
      object_id: 'T-200',
      title: 'Тендер #200',
      participants: [{ user_id: owner.id, display_name: owner.name, company: owner.company }],
      access_scopes: [{ tenant_uid: 't1', scope_level1: ['carriers'], scope_level2: ['bidder'] }],
    })
    await stack.server.postAs(dialog.id, owner.id, 'Вопросы по тендеру задавайте здесь')
  })
  after(async () => stack?.close())

  it('shows a prefilled join prompt to a potential participant, then the messages', async () => {
    const { page } = await openAs(stack, dave, { mode: 'inline', objectType: 'tender', objectId: 'T-200', cardTitle: 'Тендер #200' })
    await waitConnected(page)
    const prompt = page.locator('[data-testid="join-prompt"]')
    await prompt.waitFor({ timeout: T })
    assert.equal(await prompt.locator('input[name="display_name"]').inputValue(), dave.name)
    assert.equal(await prompt.locator('input[name="company"]').inputValue(), dave.company)
    assert.equal(await page.locator('.mtchat-msg').count(), 0)
    await page.screenshot({ path: screenshotPath('inline-join-prompt.png') })
    await prompt.locator('button[type="submit"]').click()
    await page.locator('.mtchat-msg', { hasText: 'Вопросы по тендеру' }).waitFor({ timeout: T })
    await page.locator('.mtchat-editor__content').click()
    await page.keyboard.type('Готовы взять рейс')
    await page.keyboard.press('Enter')
    await page.locator('.mtchat-msg--mine', { hasText: 'Готовы взять рейс' }).waitFor({ timeout: T })
    await page.screenshot({ path: screenshotPath('inline-chat.png') })
  })

  it('shows the conversation directly to a participant', async () => {
    const { page } = await openAs(stack, owner, { mode: 'inline', objectType: 'tender', objectId: 'T-200' })
    await page.locator('.mtchat-msg', { hasText: 'Готовы взять рейс' }).waitFor({ timeout: T })
    assert.equal(await page.locator('[data-testid="join-prompt"]').count(), 0)
    await page.locator('.mtchat-system', { hasText: `${dave.name} теперь в чате` }).waitFor({ timeout: T })
  })

  it('says so when the object has no accessible dialog', async () => {
    const { page } = await openAs(stack, dave, { mode: 'inline', objectType: 'tender', objectId: 'NOPE' })
    await page.locator('.mtchat-empty', { hasText: 'Чат не найден' }).waitFor({ timeout: T })
  })
})
