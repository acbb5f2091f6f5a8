import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import DialogList from '../../src/components/DialogList.vue'
import MTChat from '../../src/components/MTChat.vue'
import type { DialogItem } from '../../src/core/types'
import { ChatContextKey } from '../../src/vue/context'
import { baseConfig, createFakeFetch, createTestContext, FakeWebSocket, makeDialog } from '../helpers/fakes'

const dialog = (id: string, extra: Partial<DialogItem> = {}): DialogItem => makeDialog(id, { title: `Тендер ${id}`, ...extra })

describe('DialogList', () => {
  beforeEach(() => FakeWebSocket.reset())

  function mountList(props: Partial<InstanceType<typeof DialogList>['$props']> = {}) {
    const { ctx, scope } = createTestContext(createFakeFetch().fetch, { locale: 'ru' })
    const wrapper = mount(DialogList, {
      props: {
        participating: [
          dialog('a', { is_pinned: true, unread_count: 3, last_message: { id: 'm', content: '<p>Груз <b>готов</b></p>', sender_id: 'u2', sender_name: 'Борис', sent_at: '2024-01-01T10:00:00Z', message_type: 'user' } }),
          dialog('b', { notifications_enabled: false }),
        ],
        available: [dialog('x', { i_am_participant: false, can_join: true, participants_count: 5 })],
        archived: [],
        hasMore: { participating: false, available: false, archived: false },
        loading: false,
        selectedId: 'b',
        search: '',
        ...props,
      },
      global: { provide: { [ChatContextKey as symbol]: ctx } },
    })
    return { wrapper, scope }
  }

  it('shows tabs with the unread total, previews, pins, badges and the selection', () => {
    const { wrapper, scope } = mountList()
    const tabs = wrapper.findAll('[role="tab"]')
    expect(tabs.map((t) => t.text())).toEqual(['Участвую 33 непрочитанных', 'Доступные 1'])
    // The badge digit is decoration; screen readers get the words.
    expect(tabs[0]!.find('.mtchat-badge').attributes('aria-hidden')).toBe('true')
    expect(tabs[0]!.attributes('aria-selected')).toBe('true')
    const first = wrapper.find('[data-dialog-id="a"]')
    expect(first.text()).toContain('Борис: Груз готов')
    expect(first.find('.mtchat-dialog__pin').exists()).toBe(true)
    expect(first.find('.mtchat-badge').text()).toBe('3')
    expect(wrapper.find('[data-dialog-id="b"]').classes()).toContain('is-selected')
    expect(wrapper.find('[data-dialog-id="b"] .mtchat-dialog__muted').exists()).toBe(true)
    scope.stop()
  })

  it('switches tabs with the keyboard and emits select / search / archive', async () => {
    const { wrapper, scope } = mountList()
    await wrapper.find('[role="tablist"]').trigger('keydown', { key: 'ArrowRight' })
    expect(wrapper.find('[data-list="available"]').exists()).toBe(true)
    expect(wrapper.find('[data-dialog-id="x"]').text()).toContain('5 участников')
    await wrapper.find('[data-dialog-id="x"] button').trigger('click')
    expect(wrapper.emitted('select')?.[0]?.[0]).toMatchObject({ id: 'x' })
    await wrapper.find('input[type="search"]').setValue('газ')
    expect(wrapper.emitted('update:search')?.[0]).toEqual(['газ'])
    await wrapper.find('[data-tab="participating"]').trigger('click')
    await wrapper.find('.mtchat-list__archive-toggle').trigger('click')
    expect(wrapper.emitted('load-archived')).toHaveLength(1)
    expect(wrapper.find('.mtchat-list__archive-toggle').attributes('aria-expanded')).toBe('true')
    scope.stop()
  })
})

describe('<MTChat mode="full">', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('loads both lists, opens a dialog, emits dialog-selected and switches the narrow view', async () => {
    const d = dialog('d1')
    const { fetch } = createFakeFetch({
      'GET /dialogs': (req) =>
        req.url.searchParams.get('type') === 'available' ? { body: { data: [], next_cursor: null } } : { body: { data: [d], next_cursor: null } },
      'GET /dialogs/d1': () => ({ body: { data: d } }),
      'GET /dialogs/d1/participants': () => ({ body: { data: [] } }),
      'GET /dialogs/d1/messages': () => ({ body: { data: { messages: [], has_more_before: false, has_more_after: false, first_unread_message_id: null } } }),
    })
    vi.stubGlobal('fetch', fetch)
    const wrapper = mount(MTChat, { props: { config: { ...baseConfig, theme: 'dark' } }, attachTo: document.body })
    await flushPromises()
    expect(wrapper.find('.mtchat').attributes('data-theme')).toBe('dark')
    expect(wrapper.find('.mtchat-full').attributes('data-view')).toBe('list')
    await wrapper.find('[data-dialog-id="d1"] button').trigger('click')
    await flushPromises()
    expect(wrapper.emitted('dialog-selected')?.[0]?.[0]).toMatchObject({ id: 'd1' })
    expect(wrapper.find('.mtchat-full').attributes('data-view')).toBe('chat')
    expect(wrapper.find('.mtchat-chat__title').text()).toBe('Тендер d1')
    await wrapper.find('.mtchat-chat__header [aria-expanded]').trigger('click')
    expect(wrapper.find('.mtchat-full').attributes('data-view')).toBe('info')
    expect(wrapper.find('.mtchat-info').exists()).toBe(true)
    await wrapper.find('.mtchat-chat__back').trigger('click')
    expect(wrapper.find('.mtchat-full').attributes('data-view')).toBe('list')
    wrapper.unmount()
  })
})
