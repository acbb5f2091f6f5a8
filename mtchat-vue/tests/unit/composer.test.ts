import type { Editor } from '@tiptap/core'
import { EditorContent } from '@tiptap/vue-3'
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import Composer from '../../src/components/Composer.vue'
import type { Participant } from '../../src/core/types'
import { ChatContextKey } from '../../src/vue/context'
import { createFakeFetch, createTestContext, FakeWebSocket, makeMessage } from '../helpers/fakes'

const participants: Participant[] = [
  { user_id: 'u1', display_name: 'Me', company: null, is_online: true },
  { user_id: 'u2', display_name: 'Bob Builder', company: 'ACME', is_online: false },
]

async function mountComposer(props: Record<string, unknown> = {}) {
  const { ctx, scope } = createTestContext(createFakeFetch().fetch)
  const wrapper = mount(Composer, {
    props: { dialogId: 'd1', participants, replyTo: null, replyName: '', editing: null, ...props },
    global: { provide: { [ChatContextKey as symbol]: ctx } },
    attachTo: document.body,
  })
  await flushPromises()
  const editor = wrapper.findComponent(EditorContent).props('editor') as Editor
  const key = (key: string, init: KeyboardEventInit = {}) =>
    editor.view.dom.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }))
  return { wrapper, editor, key, scope }
}

describe('Composer', () => {
  beforeEach(() => FakeWebSocket.reset())

  it('sends on Enter and clears; Shift+Enter does not send', async () => {
    const { wrapper, editor, key, scope } = await mountComposer()
    editor.commands.setContent('<p>Hello <strong>there</strong></p>', { emitUpdate: true })
    key('Enter', { shiftKey: true })
    expect(wrapper.emitted('submit')).toBeUndefined()
    key('Enter')
    const [payload] = wrapper.emitted('submit')![0] as [{ html: string; attachments: unknown[] }]
    expect(payload.html).toContain('<strong>there</strong>')
    expect(payload.attachments).toEqual([])
    expect(editor.isEmpty).toBe(true)
    wrapper.unmount()
    scope.stop()
  })

  it('does not send an empty message', async () => {
    const { wrapper, key, scope } = await mountComposer()
    key('Enter')
    expect(wrapper.emitted('submit')).toBeUndefined()
    wrapper.unmount()
    scope.stop()
  })

  it('asks to edit the last message on ArrowUp in an empty editor only', async () => {
    const { wrapper, editor, key, scope } = await mountComposer()
    key('ArrowUp')
    expect(wrapper.emitted('edit-last')).toHaveLength(1)
    editor.commands.setContent('<p>draft</p>', { emitUpdate: true })
    key('ArrowUp')
    expect(wrapper.emitted('edit-last')).toHaveLength(1)
    wrapper.unmount()
    scope.stop()
  })

  it('loads the message being edited, keeps mention spans, and saves', async () => {
    const m = makeMessage({ sender_id: 'u1', content: '<p>Hi <span data-mention="u2">@Bob Builder</span></p>' })
    const { wrapper, editor, key, scope } = await mountComposer()
    await wrapper.setProps({ editing: m })
    expect(editor.getHTML()).toContain('<span data-mention="u2">@Bob Builder</span>')
    expect(wrapper.find('[data-testid="composer-context"]').text()).toContain('Editing')
    key('Enter')
    const [payload] = wrapper.emitted('submit')![0] as [{ html: string }]
    expect(payload.html).toBe('<p>Hi <span data-mention="u2">@Bob Builder</span></p>')
    wrapper.unmount()
    scope.stop()
  })

  it('emits typing on input and cancel on Escape while replying', async () => {
    const { wrapper, editor, key, scope } = await mountComposer({ replyTo: makeMessage(), replyName: 'Bob' })
    editor.commands.setContent('<p>x</p>', { emitUpdate: true })
    expect(wrapper.emitted('typing')).toBeTruthy()
    expect(wrapper.find('[data-testid="composer-context"]').text()).toContain('Replying to Bob')
    key('Escape')
    expect(wrapper.emitted('cancel')).toHaveLength(1)
    wrapper.unmount()
    scope.stop()
  })
})
