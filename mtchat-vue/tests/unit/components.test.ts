import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import MessageList from '../../src/components/MessageList.vue'
import MTChat from '../../src/components/MTChat.vue'
import { sanitizeHtml } from '../../src/core/sanitize'
import type { DialogItem, Message } from '../../src/core/types'
import { ChatContextKey } from '../../src/vue/context'
import { baseConfig, createFakeFetch, createTestContext, FakeWebSocket, makeMessage } from '../helpers/fakes'

function mountList(messages: Message[], locale: 'ru' | 'en' = 'en', extra: Record<string, unknown> = {}) {
  const { ctx, scope } = createTestContext(createFakeFetch().fetch, { locale })
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
      nameOf: (id: string | null | undefined) => (id === 'u3' ? 'Carol' : id ?? ''),
      readers: null,
      ...extra,
    },
    global: { provide: { [ChatContextKey as symbol]: ctx } },
  })
  return { wrapper, scope }
}

describe('sanitizeHtml', () => {
  it('keeps the allow-list and mention spans, drops scripts, handlers and bad URLs', () => {
    const out = sanitizeHtml(
      '<p onclick="x()">Hi <span data-mention="u2" class="x">@Bob</span> <a href="javascript:alert(1)">bad</a> <a href="https://ok.test">ok</a><img src=x onerror=alert(1)><script>alert(1)</script></p>',
    )
    expect(out).toContain('<span data-mention="u2">@Bob</span>')
    expect(out).not.toMatch(/onclick|onerror|<img|<script|javascript:/)
    expect(out).toContain('href="https://ok.test"')
    expect(out).toContain('rel="noopener noreferrer nofollow"')
  })
})

describe('MessageList', () => {
  beforeEach(() => FakeWebSocket.reset())

  it('renders message HTML sanitized, with mentions', () => {
    const { wrapper, scope } = mountList([
      makeMessage({ content: '<p><strong>bold</strong> <span data-mention="u1">@Ann</span><img src=x onerror="window.__xss=1"></p>' }),
    ])
    const content = wrapper.find('.mtchat-msg__content')
    expect(content.find('strong').text()).toBe('bold')
    expect(content.find('[data-mention="u1"]').text()).toBe('@Ann')
    expect(content.find('img').exists()).toBe(false)
    expect(content.html()).not.toContain('onerror')
    scope.stop()
  })

  it('shows an escaped XSS payload as text', () => {
    const payload = '&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;'
    const { wrapper, scope } = mountList([makeMessage({ content: `<p>${payload}</p>` })])
    const content = wrapper.find('.mtchat-msg__content')
    expect(content.text()).toBe('<img src=x onerror=alert(1)><script>alert(2)</script>')
    expect(content.find('img').exists()).toBe(false)
    expect(content.find('script').exists()).toBe(false)
    scope.stop()
  })

  it('renders system messages in the UI language and tolerates unknown shapes', () => {
    const msgs = [
      makeMessage({ message_type: 'system', sender_id: null, content: JSON.stringify({ event: 'joined', user_id: 'u2', display_name: 'Bob' }) }),
      makeMessage({ message_type: 'system', sender_id: null, content: JSON.stringify({ event: 'left', user_id: 'u3' }) }),
      makeMessage({ message_type: 'system', sender_id: null, content: JSON.stringify({ event: 'created' }) }),
      makeMessage({ message_type: 'system', sender_id: null, content: JSON.stringify({ event: 'teleported', foo: 1 }) }),
      makeMessage({ message_type: 'system', sender_id: null, content: '<b>plain</b> text' }),
    ]
    const ru = mountList(msgs, 'ru')
    expect(ru.wrapper.findAll('.mtchat-system').map((w) => w.text())).toEqual([
      'Bob теперь в чате',
      'Carol покинул(а) чат',
      'Чат создан',
      'Системное сообщение',
      'plain text',
    ])
    ru.scope.stop()
    const en = mountList(msgs.slice(0, 1), 'en')
    expect(en.wrapper.find('.mtchat-system').text()).toBe('Bob joined the chat')
    en.scope.stop()
  })

  it('shows the unread divider, the edited mark, quotes and read ticks', () => {
    const quoted = makeMessage({ content: '<p>original question</p>', sender_name: 'Bob' })
    const mine = makeMessage({ sender_id: 'u1', reply_to_id: quoted.id, last_edited_at: new Date().toISOString() })
    const { wrapper, scope } = mountList([quoted, mine], 'en', { firstUnreadId: mine.id, readBy: { u2: mine.id } })
    expect(wrapper.find('[data-testid="unread-divider"]').exists()).toBe(true)
    expect(wrapper.find('.mtchat-msg__edited').text()).toBe('edited')
    expect(wrapper.find('[data-testid="quote"]').text()).toContain('original question')
    expect(wrapper.find('[data-testid="read-receipt"]').classes()).toContain('is-read')
    scope.stop()
  })

  it('emits jump-to when a quote is clicked', async () => {
    const m = makeMessage({ reply_to_id: 'not-loaded' })
    const { wrapper, scope } = mountList([m])
    await wrapper.find('[data-testid="quote"]').trigger('click')
    expect(wrapper.emitted('jump-to')?.[0]).toEqual(['not-loaded'])
    scope.stop()
  })
})

describe('<MTChat mode="inline">', () => {
  const dialog: DialogItem = {
    id: 'd1',
    object_id: 'T-1',
    object_type: 'tender',
    title: 'Tender 1',
    object_url: null,
    created_at: '2024-01-01T00:00:00Z',
    last_message_at: null,
    participants_count: 2,
    participants: [],
    i_am_participant: false,
    can_join: true,
    unread_count: 0,
    is_archived: false,
    is_pinned: false,
    notifications_enabled: true,
  }

  beforeEach(() => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('shows a prefilled join prompt, not the messages, to a potential participant, and joins', async () => {
    let joined = false
    const { fetch, calls } = createFakeFetch({
      'GET /dialogs/by-object/tender/T-1': () => ({ body: { data: { ...dialog, i_am_participant: joined, can_join: !joined } } }),
      'GET /dialogs/d1': () => ({ body: { data: { ...dialog, i_am_participant: joined, can_join: !joined } } }),
      'GET /dialogs/d1/participants': () => ({ body: { data: [] } }),
      'POST /dialogs/d1/join': () => {
        joined = true
        return { body: { data: { status: 'joined', dialog_id: 'd1' } } }
      },
      'GET /dialogs/d1/messages': () => ({ body: { data: { messages: [], has_more_before: false, has_more_after: false, first_unread_message_id: null } } }),
    })
    vi.stubGlobal('fetch', fetch)
    const wrapper = mount(MTChat, {
      props: {
        config: { ...baseConfig, locale: 'ru', userProfile: { display_name: 'Анна', company: 'ООО Ромашка' } },
        mode: 'inline',
        objectType: 'tender',
        objectId: 'T-1',
      },
      attachTo: document.body,
    })
    await flushPromises()
    const prompt = wrapper.find('[data-testid="join-prompt"]')
    expect(prompt.exists()).toBe(true)
    expect(prompt.text()).toContain('Присоединиться к чату')
    expect((wrapper.find('input[name="display_name"]').element as HTMLInputElement).value).toBe('Анна')
    expect((wrapper.find('input[name="company"]').element as HTMLInputElement).value).toBe('ООО Ромашка')
    expect(wrapper.find('.mtchat-messages').exists()).toBe(false)
    expect(calls.some((c) => c.url.pathname.endsWith('/messages'))).toBe(false)

    await prompt.trigger('submit')
    await flushPromises()
    const join = calls.find((c) => c.url.pathname.endsWith('/join'))
    expect(join?.body).toEqual({ display_name: 'Анна', company: 'ООО Ромашка' })
    expect(wrapper.emitted('dialog-joined')?.[0]).toEqual([{ dialogId: 'd1' }])
    await flushPromises()
    expect(wrapper.find('[data-testid="join-prompt"]').exists()).toBe(false)
    expect(wrapper.find('.mtchat-messages').exists()).toBe(true)
    wrapper.unmount()
  })

  it('emits connected from the socket', async () => {
    vi.stubGlobal('fetch', createFakeFetch({}).fetch)
    const wrapper = mount(MTChat, { props: { config: baseConfig, mode: 'inline', objectType: 'tender', objectId: 'none' } })
    await flushPromises()
    FakeWebSocket.last.open('u1')
    expect(wrapper.emitted('connected')?.[0]).toEqual([{ userId: 'u1', reconnect: false }])
    expect(wrapper.text()).toContain('Chat not found')
    wrapper.unmount()
  })
})
