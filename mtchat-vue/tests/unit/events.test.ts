import type { Editor } from '@tiptap/core'
import { EditorContent } from '@tiptap/vue-3'
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import MTChat from '../../src/components/MTChat.vue'
import type { DialogItem, Message } from '../../src/core/types'
import { baseConfig, createFakeFetch, FakeWebSocket, makeDialog, makeMessage } from '../helpers/fakes'

const dialog = (id: string, extra: Partial<DialogItem> = {}): DialogItem => makeDialog(id, { last_message_at: null, ...extra })

const emptyPage = { messages: [], has_more_before: false, has_more_after: false, first_unread_message_id: null }

describe('<MTChat> events (SPEC §7)', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
    vi.stubGlobal('confirm', () => true)
  })
  afterEach(() => vi.unstubAllGlobals())

  it('emits connected, dialog-selected, message-sent, error, dialog-left, dialog-joined and disconnected', async () => {
    const state = { memberOfD1: true, memberOfX: false }
    const d1 = () => dialog('d1', { i_am_participant: state.memberOfD1 })
    const x = () => dialog('x', { i_am_participant: state.memberOfX, can_join: !state.memberOfX })
    let sent: Message | null = null
    const { fetch } = createFakeFetch({
      'GET /dialogs': (req) => {
        const available = req.url.searchParams.get('type') === 'available'
        const all = [d1(), x()].filter((d) => (available ? d.can_join && !d.i_am_participant : d.i_am_participant))
        return { body: { data: req.url.searchParams.get('archived') === 'true' ? [] : all, next_cursor: null } }
      },
      'GET /dialogs/d1': () => ({ body: { data: d1() } }),
      'GET /dialogs/x': () => ({ body: { data: x() } }),
      'GET /dialogs/:id/participants': () => ({ body: { data: [] } }),
      'GET /dialogs/:id/messages': () => ({ body: { data: emptyPage } }),
      'POST /dialogs/d1/messages': (req) => {
        const body = req.body as { content: string; client_message_id: string }
        sent = makeMessage({ sender_id: 'u1', content: body.content, client_message_id: body.client_message_id })
        return { status: 201, body: { data: sent } }
      },
      'POST /dialogs/d1/read': () => ({ body: { data: {} } }),
      'POST /dialogs/d1/pin': () => ({ status: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'boom' } } }),
      'POST /dialogs/d1/leave': () => {
        state.memberOfD1 = false
        return { body: { data: { status: 'left', dialog_id: 'd1' } } }
      },
      'POST /dialogs/x/join': () => {
        state.memberOfX = true
        return { body: { data: { status: 'joined', dialog_id: 'x' } } }
      },
    })
    vi.stubGlobal('fetch', fetch)
    const wrapper = mount(MTChat, { props: { config: baseConfig }, attachTo: document.body })
    await flushPromises()

    FakeWebSocket.last.open('u1')
    expect(wrapper.emitted('connected')).toEqual([[{ userId: 'u1', reconnect: false }]])

    await wrapper.find('[data-dialog-id="d1"] button').trigger('click')
    await flushPromises()
    expect(wrapper.emitted('dialog-selected')?.[0]?.[0]).toMatchObject({ id: 'd1' })

    const editor = wrapper.findComponent(EditorContent).props('editor') as Editor
    editor.commands.setContent('<p>hello</p>', { emitUpdate: true })
    editor.view.dom.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }))
    await flushPromises()
    expect(wrapper.emitted('message-sent')).toEqual([[sent]])

    await wrapper.find('.mtchat-chat__info-toggle').trigger('click')
    const pin = wrapper.findAll('.mtchat-info button').find((b) => b.text() === 'Pin')!
    await pin.trigger('click')
    await flushPromises()
    expect(wrapper.emitted('error')?.[0]?.[0]).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 })

    await wrapper.find('[data-testid="leave"]').trigger('click')
    await flushPromises()
    expect(wrapper.emitted('dialog-left')).toEqual([[{ dialogId: 'd1' }]])
    expect(wrapper.find('.mtchat-full').attributes('data-view')).toBe('list')

    await wrapper.find('[data-tab="available"]').trigger('click')
    await wrapper.find('[data-dialog-id="x"] button').trigger('click')
    await flushPromises()
    await wrapper.find('[data-testid="join-prompt"]').trigger('submit')
    await flushPromises()
    expect(wrapper.emitted('dialog-joined')).toEqual([[{ dialogId: 'x' }]])
    expect(wrapper.find('.mtchat-messages').exists()).toBe(true)

    FakeWebSocket.last.serverClose(1006)
    expect(wrapper.emitted('disconnected')).toEqual([[{ code: 1006, reason: '', willReconnect: true }]])
    wrapper.unmount()
  })

  it('reports an auth close of the socket as error + disconnected without reconnecting', async () => {
    vi.stubGlobal('fetch', createFakeFetch({ 'GET /dialogs': () => ({ body: { data: [], next_cursor: null } }) }).fetch)
    const wrapper = mount(MTChat, { props: { config: baseConfig } })
    await flushPromises()
    FakeWebSocket.last.serverClose(4401)
    expect(wrapper.emitted('error')?.[0]?.[0]).toMatchObject({ code: 'SOCKET_ERROR' })
    expect(wrapper.emitted('disconnected')).toEqual([[{ code: 4401, reason: '', willReconnect: false }]])
    wrapper.unmount()
  })
})
