import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, ref } from 'vue'
import DialogList from '../../src/components/DialogList.vue'
import ImageGallery from '../../src/components/ImageGallery.vue'
import InfoPane from '../../src/components/InfoPane.vue'
import MessageList from '../../src/components/MessageList.vue'
import MTChat from '../../src/components/MTChat.vue'
import type { Attachment, DialogItem, Message } from '../../src/core/types'
import { ChatContextKey } from '../../src/vue/context'
import { baseConfig, createFakeFetch, createTestContext, FakeWebSocket, makeDialog, makeMessage } from '../helpers/fakes'

const dialog = (id: string, extra: Partial<DialogItem> = {}): DialogItem => makeDialog(id, { object_url: 'https://tms.example/t/1', ...extra })

const image = (id: string, filename = `${id}.png`): Attachment => ({
  id,
  filename,
  content_type: 'image/png',
  size: 100,
  width: 10,
  height: 10,
  url: `https://files.test/${id}`,
  thumbnail_url: `https://files.test/${id}?thumb`,
})

const key = (el: Element, k: string, init: KeyboardEventInit = {}) =>
  el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }))
const active = () => document.activeElement as HTMLElement | null

function provideCtx(locale: 'ru' | 'en' = 'en', fetchRoutes = {}) {
  const { ctx, scope } = createTestContext(createFakeFetch(fetchRoutes).fetch, { locale })
  return { ctx, scope, global: { provide: { [ChatContextKey as symbol]: ctx } } }
}

describe('DialogList keyboard', () => {
  beforeEach(() => FakeWebSocket.reset())

  function mountList(extra: Record<string, unknown> = {}) {
    const { scope, global } = provideCtx()
    const wrapper = mount(DialogList, {
      props: {
        participating: [dialog('a'), dialog('b'), dialog('c')],
        available: [dialog('x', { i_am_participant: false, can_join: true })],
        archived: [dialog('z', { is_archived: true })],
        hasMore: { participating: false, available: false, archived: false },
        loading: false,
        selectedId: 'b',
        search: '',
        ...extra,
      },
      global,
      attachTo: document.body,
    })
    const button = (id: string) => wrapper.find<HTMLButtonElement>(`[data-dialog-id="${id}"] button`).element
    return { wrapper, scope, button }
  }

  it('is one Tab stop (the selected dialog) and ↑/↓/Home/End move between items', async () => {
    const { wrapper, scope, button } = mountList()
    expect(['a', 'b', 'c'].map((id) => button(id).tabIndex)).toEqual([-1, 0, -1])
    button('b').focus()
    key(button('b'), 'ArrowDown')
    expect(active()).toBe(button('c'))
    await nextTick()
    // The Tab stop follows focus, so Tab out and back in returns to the same item.
    expect(['a', 'b', 'c'].map((id) => button(id).tabIndex)).toEqual([-1, -1, 0])
    key(button('c'), 'Home')
    expect(active()).toBe(button('a'))
    key(button('a'), 'ArrowUp')
    expect(active()).toBe(button('a'))
    key(button('a'), 'End')
    expect(active()).toBe(button('c'))
    wrapper.unmount()
    scope.stop()
  })

  it('includes the opened archive section in the arrow navigation', async () => {
    const { wrapper, scope, button } = mountList()
    await wrapper.find('.mtchat-list__archive-toggle').trigger('click')
    expect(wrapper.emitted('load-archived')).toHaveLength(1)
    expect(wrapper.find('[data-list="archived"] [data-dialog-id="z"]').exists()).toBe(true)
    button('c').focus()
    key(button('c'), 'ArrowDown')
    expect(active()).toBe(button('z'))
    wrapper.unmount()
    scope.stop()
  })

  it('switches tabs with ←/→/Home/End and focuses the new tab', async () => {
    const { wrapper, scope } = mountList()
    const tablist = wrapper.find('[role="tablist"]').element
    key(tablist, 'End')
    await nextTick()
    expect(active()?.dataset.tab).toBe('available')
    expect(wrapper.find('[data-list="available"]').exists()).toBe(true)
    key(tablist, 'Home')
    await nextTick()
    expect(active()?.dataset.tab).toBe('participating')
    key(tablist, 'ArrowLeft')
    await nextTick()
    expect(active()?.dataset.tab).toBe('available')
    wrapper.unmount()
    scope.stop()
  })

  it('focusItem() focuses a dialog, else the Tab stop, else the search box', async () => {
    const { wrapper, scope, button } = mountList()
    const vm = wrapper.vm as unknown as { focusItem(id: string | null): void }
    vm.focusItem('c')
    expect(active()).toBe(button('c'))
    vm.focusItem(null)
    expect(active()).toBe(button('c')) // the last focused item is the Tab stop
    await wrapper.setProps({ participating: [], archived: [] })
    vm.focusItem(null)
    expect(active()?.getAttribute('type')).toBe('search')
    wrapper.unmount()
    scope.stop()
  })
})

describe('MessageList keyboard', () => {
  beforeEach(() => FakeWebSocket.reset())

  function mountMessages(messages: Message[], extra: Record<string, unknown> = {}) {
    const { scope, global } = provideCtx()
    const wrapper = mount(MessageList, {
      props: {
        messages,
        pending: {},
        readBy: {},
        firstUnreadId: null,
        focusId: null,
        hasMoreBefore: false,
        hasMoreAfter: false,
        loading: false,
        loadingOlder: false,
        nameOf: (id: string | null | undefined) => id ?? '',
        readers: null,
        ...extra,
      },
      global,
      attachTo: document.body,
    })
    const el = (m: Message) => wrapper.find<HTMLElement>(`[data-message-id="${m.id}"]`).element
    return { wrapper, scope, el }
  }

  it('makes only the newest message and its controls tabbable; ↑/↓/Home/End move focus', async () => {
    const a = makeMessage({ sender_id: 'u1', content: '<p>see <a href="https://x.test">link</a></p>' })
    const b = makeMessage({ message_type: 'system', sender_id: null, content: '{"event":"created"}' })
    const c = makeMessage({ sender_id: 'u1', attachments: [image('i1')] })
    const { wrapper, scope, el } = mountMessages([a, b, c])
    const tabbable = (m: Message) => [...el(m).querySelectorAll<HTMLElement>('button, a')].map((x) => x.tabIndex)
    expect([a, b, c].map((m) => el(m).tabIndex)).toEqual([-1, -1, 0])
    expect(new Set(tabbable(a))).toEqual(new Set([-1]))
    expect(new Set(tabbable(c))).toEqual(new Set([0]))

    el(c).focus()
    key(el(c), 'ArrowUp')
    expect(active()).toBe(el(b)) // system messages are stops too
    key(el(b), 'ArrowUp')
    expect(active()).toBe(el(a))
    await nextTick()
    await nextTick()
    expect([a, b, c].map((m) => el(m).tabIndex)).toEqual([0, -1, -1])
    expect(new Set(tabbable(a))).toEqual(new Set([0])) // its link and buttons
    key(el(a), 'End')
    expect(active()).toBe(el(c))
    key(el(c), 'Home')
    expect(active()).toBe(el(a))
    wrapper.unmount()
    scope.stop()
  })

  it('asks for older messages on ↑ at the top of the loaded window', () => {
    const a = makeMessage()
    const { wrapper, scope, el } = mountMessages([a], { hasMoreBefore: true })
    el(a).focus()
    key(el(a), 'ArrowUp')
    expect(wrapper.emitted('load-older')).toHaveLength(1)
    wrapper.unmount()
    scope.stop()
  })

  it('Esc closes the readers popup (focus back on its tick), else hands focus to the editor', async () => {
    const a = makeMessage({ sender_id: 'u1' })
    const { wrapper, scope, el } = mountMessages([a], { readers: { messageId: a.id, items: [], loading: false } })
    expect(wrapper.find('[data-testid="readers"]').exists()).toBe(true)
    el(a).focus()
    key(el(a), 'Escape')
    expect(wrapper.emitted('close-readers')).toHaveLength(1)
    expect(active()?.dataset.testid).toBe('read-receipt')
    await wrapper.setProps({ readers: null })
    key(el(a), 'Escape')
    expect(wrapper.emitted('escape')).toHaveLength(1)
    wrapper.unmount()
    scope.stop()
  })

  it('keeps focus in the timeline when the focused message is deleted', async () => {
    const a = makeMessage()
    const b = makeMessage({ sender_id: 'u1' })
    const c = makeMessage()
    const { wrapper, scope, el } = mountMessages([a, b, c])
    el(b).focus()
    await nextTick()
    await wrapper.setProps({ messages: [a, c] })
    await flushPromises()
    expect(active()).toBe(el(c))
    wrapper.unmount()
    scope.stop()
  })

  it('shows a deleted original as such (not a jump target) and a loading one as loading', () => {
    const gone = makeMessage({ reply_to_id: 'deleted-id' })
    const pending = makeMessage({ reply_to_id: 'not-yet' })
    const { wrapper, scope } = mountMessages([gone, pending], { quotes: { 'deleted-id': null } })
    const [q1, q2] = wrapper.findAll('[data-testid="quote"]')
    expect(q1!.text()).toBe('Message deleted')
    expect(q1!.attributes('disabled')).toBeDefined()
    expect(q2!.text()).toBe('Loading…')
    expect(q2!.attributes('disabled')).toBeUndefined()
    wrapper.unmount()
    scope.stop()
  })
})

describe('ImageGallery', () => {
  beforeEach(() => FakeWebSocket.reset())
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('is a modal on <body>: ←/→/Home/End page, Tab stays inside, Esc closes and focus returns', async () => {
    const { scope, global } = provideCtx('ru')
    const images = [image('a'), image('b'), image('c')]
    const Host = defineComponent({
      setup() {
        const open = ref(false)
        const index = ref(0)
        return () =>
          h('div', { class: 'mtchat' }, [
            h('button', { id: 'opener', onClick: () => (open.value = true) }, 'open'),
            open.value
              ? h(ImageGallery, {
                  images,
                  index: index.value,
                  'onUpdate:index': (i: number) => (index.value = i),
                  onClose: () => (open.value = false),
                })
              : null,
          ])
      },
    })
    const wrapper: VueWrapper = mount(Host, { global, attachTo: document.body })
    const opener = document.getElementById('opener')!
    opener.focus()
    opener.click()
    await flushPromises()
    const gallery = document.querySelector<HTMLElement>('[data-testid="gallery"]')!
    // Teleported out of the widget, still themed.
    expect(gallery.closest('.mtchat')).toBeNull()
    expect(gallery.closest('.mtchat-layer')?.getAttribute('data-theme')).toBe('light')
    expect(gallery.getAttribute('aria-modal')).toBe('true')
    expect(gallery.getAttribute('aria-label')).toBe('Просмотр изображений')
    expect(active()).toBe(gallery)
    const caption = () => document.querySelector('[data-testid="gallery-caption"]')!.textContent
    expect(caption()).toBe('a.png · 1/3')

    key(gallery, 'ArrowRight')
    await flushPromises()
    expect(caption()).toBe('b.png · 2/3')
    expect(document.querySelector<HTMLImageElement>('[data-testid="gallery"] img')!.src).toBe('https://files.test/b')
    key(gallery, 'End')
    await flushPromises()
    expect(caption()).toBe('c.png · 3/3')
    key(gallery, 'ArrowRight')
    await flushPromises()
    expect(caption()).toBe('a.png · 1/3') // wraps around
    key(gallery, 'ArrowLeft')
    await flushPromises()
    expect(caption()).toBe('c.png · 3/3')
    ;(document.querySelector('[data-testid="gallery-prev"]') as HTMLButtonElement).click()
    await flushPromises()
    expect(caption()).toBe('b.png · 2/3')

    const buttons = [...gallery.querySelectorAll('button')]
    expect(buttons.map((b) => b.getAttribute('aria-label'))).toEqual(['Закрыть', 'Предыдущее', 'Следующее'])
    for (let i = 0; i < 5; i++) {
      key(active()!, 'Tab', { shiftKey: i % 2 === 1 })
      expect(gallery.contains(active())).toBe(true)
    }

    key(active()!, 'Escape')
    await flushPromises()
    expect(document.querySelector('[data-testid="gallery"]')).toBeNull()
    expect(active()).toBe(opener)
    wrapper.unmount()
    scope.stop()
  })
})

describe('InfoPane keyboard', () => {
  beforeEach(() => FakeWebSocket.reset())

  it('closes on Esc and can take focus on its heading', async () => {
    const { scope, global } = provideCtx()
    const wrapper = mount(InfoPane, { props: { dialog: dialog('d1'), participants: [], busy: false }, global, attachTo: document.body })
    ;(wrapper.vm as unknown as { focusHeading(): void }).focusHeading()
    expect(active()?.tagName).toBe('H3')
    key(active()!, 'Escape')
    expect(wrapper.emitted('close')).toHaveLength(1)
    wrapper.unmount()
    scope.stop()
  })
})

describe('<MTChat> accessibility', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('names every button and icon, and Esc in the timeline moves focus to the editor', async () => {
    const d = dialog('d1', { is_pinned: true, unread_count: 2, notifications_enabled: false })
    const other = makeMessage({ content: '<p>question</p>' })
    const messages = [
      other,
      makeMessage({ sender_id: 'u1', reply_to_id: other.id, attachments: [image('i1'), { ...image('f1', 'doc.pdf'), content_type: 'application/pdf' }] }),
    ]
    const { fetch } = createFakeFetch({
      'GET /dialogs': (req) => ({ body: { data: req.url.searchParams.get('type') === 'available' ? [] : [d], next_cursor: null } }),
      'GET /dialogs/d1': () => ({ body: { data: d } }),
      'GET /dialogs/d1/participants': () => ({ body: { data: [{ user_id: 'u2', display_name: 'Bob', company: null, is_online: true }] } }),
      'GET /dialogs/d1/messages': () => ({ body: { data: { messages, has_more_before: true, has_more_after: false, first_unread_message_id: null } } }),
      'GET /dialogs/d1/messages/:id/readers': () => ({ body: { data: [] } }),
      'POST /dialogs/d1/read': () => ({ body: { data: {} } }),
    })
    vi.stubGlobal('fetch', fetch)
    const wrapper = mount(MTChat, { props: { config: baseConfig, dialogId: 'd1' }, attachTo: document.body })
    await flushPromises()
    await wrapper.find('.mtchat-chat__info-toggle').trigger('click')
    await flushPromises()

    const unnamed = wrapper
      .findAll('button, a, [role="img"], [role="tab"], input')
      .filter((w) => {
        const el = w.element as HTMLElement
        if (el.getAttribute('aria-hidden') === 'true') return false
        const label = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.closest('label')?.textContent
        return !label?.trim() && !el.textContent?.trim()
      })
      .map((w) => w.html().slice(0, 120))
    expect(unnamed).toEqual([])
    expect(wrapper.find('.mtchat-dialog__muted').attributes('aria-label')).toBe('Notifications off')

    const scroller = wrapper.find('.mtchat-messages__scroller').element
    const last = scroller.querySelector<HTMLElement>(`[data-message-id="${messages[1]!.id}"]`)!
    last.focus()
    key(last, 'Escape')
    await new Promise((r) => requestAnimationFrame(() => r(null))) // Tiptap focuses in the next frame
    await flushPromises()
    expect(active()?.classList.contains('ProseMirror')).toBe(true)
    wrapper.unmount()
  })
})
