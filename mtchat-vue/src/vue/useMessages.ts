import { computed, onScopeDispose, shallowRef, toValue, watch, type ComputedRef, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { isLocalId, LOCAL_ID_PREFIX, randomId } from '../core/ids'
import { lastConfirmedId, firstConfirmedId, mergeMessages, removeMessage } from '../core/timeline'
import type { AttachmentInput, Message, MessagesPage, Reader } from '../core/types'
import type { ChatContext } from './context'

export interface UseMessagesOptions {
  /** Messages per page. Default 50. */
  pageSize?: number
  /** Load as soon as the dialog id is set. Default true. */
  immediate?: boolean
}

export interface SendOptions {
  replyTo?: string | null
  attachments?: AttachmentInput[]
}

export type MessageStatus = 'sending' | 'failed'

export interface UseMessagesReturn {
  messages: ShallowRef<Message[]>
  hasMoreBefore: ShallowRef<boolean>
  hasMoreAfter: ShallowRef<boolean>
  /** Where the unread divider goes (from the first page load of the dialog). */
  firstUnreadId: ShallowRef<string | null>
  loading: ShallowRef<boolean>
  loadingOlder: ShallowRef<boolean>
  /** Set after `jumpTo` so the view can scroll to and highlight it. */
  focusId: ShallowRef<string | null>
  /** Optimistic messages' state by local id. */
  pending: ShallowRef<Record<string, MessageStatus>>
  /**
   * Last read message per other user: seeded from `…/readers` of my oldest loaded message (the
   * stored state), then moved forward by live `message.read` events. Drives the "read" ticks.
   */
  readBy: ShallowRef<Record<string, string>>
  /** My own last message that can still be edited (for ↑ in an empty editor). */
  lastOwnMessage: ComputedRef<Message | null>
  reload(): Promise<void>
  loadOlder(): Promise<void>
  loadNewer(): Promise<void>
  jumpTo(messageId: string): Promise<boolean>
  jumpToLatest(): Promise<void>
  send(content: string, options?: SendOptions): Promise<Message | null>
  retry(localId: string): Promise<Message | null>
  edit(messageId: string, content: string): Promise<boolean>
  remove(messageId: string): Promise<boolean>
  markRead(messageId?: string): Promise<void>
  readers(messageId: string): Promise<Reader[]>
  find(messageId: string): Message | undefined
}

/**
 * The timeline of one dialog: paging both ways, live socket events, optimistic sends with
 * `client_message_id` (deduplicated however the REST answer and `message.new` interleave),
 * and catch-up with `after=` once the socket reconnects, so nothing is missing or doubled.
 */
export function useMessages(
  ctx: ChatContext,
  dialogId: MaybeRefOrGetter<string | null | undefined>,
  options: UseMessagesOptions = {},
): UseMessagesReturn {
  const pageSize = options.pageSize ?? 50
  const messages = shallowRef<Message[]>([])
  const hasMoreBefore = shallowRef(false)
  const hasMoreAfter = shallowRef(false)
  const firstUnreadId = shallowRef<string | null>(null)
  const loading = shallowRef(false)
  const loadingOlder = shallowRef(false)
  const focusId = shallowRef<string | null>(null)
  const pending = shallowRef<Record<string, MessageStatus>>({})
  const readBy = shallowRef<Record<string, string>>({})
  const drafts = new Map<string, { content: string; options: SendOptions }>()
  let lastReadSent: string | null = null
  /** Oldest own message whose readers we fetched: later ones are covered by that answer. */
  let readSeededFrom: string | null = null
  let generation = 0

  const id = () => toValue(dialogId) ?? null
  const me = () => ctx.userId.value

  const lastOwnMessage = computed(() => {
    const list = messages.value
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]
      if (m && !isLocalId(m.id) && m.message_type === 'user' && m.sender_id === me()) return m
    }
    return null
  })

  function noteRead(userId: string, messageId: string | null | undefined): void {
    if (!messageId || userId === me()) return
    const prev = readBy.value[userId]
    if (!prev || prev < messageId) readBy.value = { ...readBy.value, [userId]: messageId }
  }

  /**
   * Everyone who has read my oldest loaded message, with how far they read, covers every tick in
   * the window (whoever is missing has read none of my loaded messages). One request per window.
   */
  async function seedReadState(force = false): Promise<void> {
    const dialog = id()
    const mineFirst = messages.value.find((m) => !isLocalId(m.id) && m.message_type === 'user' && m.sender_id !== null && m.sender_id === me())
    if (!dialog || !mineFirst) return
    if (!force && readSeededFrom !== null && readSeededFrom <= mineFirst.id) return
    readSeededFrom = readSeededFrom !== null && readSeededFrom < mineFirst.id ? readSeededFrom : mineFirst.id
    const gen = generation
    try {
      const list = await ctx.client.getReaders(dialog, mineFirst.id)
      if (gen !== generation) return
      for (const r of list) noteRead(r.user_id, r.last_read_message_id ?? mineFirst.id)
    } catch (err) {
      // A 404 means the message was deleted meanwhile; the next window load asks again.
      if (gen === generation && (err as { status?: number }).status !== 404) ctx.reportError(err)
      if (gen === generation) readSeededFrom = null
    }
  }

  function setPage(page: MessagesPage): void {
    messages.value = page.messages.slice()
    hasMoreBefore.value = page.has_more_before
    hasMoreAfter.value = page.has_more_after
  }

  async function reload(): Promise<void> {
    const dialog = id()
    const gen = ++generation
    messages.value = []
    pending.value = {}
    readBy.value = {}
    firstUnreadId.value = null
    focusId.value = null
    hasMoreBefore.value = false
    hasMoreAfter.value = false
    lastReadSent = null
    readSeededFrom = null
    if (!dialog) return
    loading.value = true
    try {
      const page = await ctx.client.getMessages(dialog, { limit: pageSize })
      if (gen !== generation) return
      setPage(page)
      firstUnreadId.value = page.first_unread_message_id
    } catch (err) {
      if (gen === generation) ctx.reportError(err)
    } finally {
      if (gen === generation) loading.value = false
    }
    if (gen === generation) void seedReadState()
  }

  async function loadOlder(): Promise<void> {
    const dialog = id()
    const before = firstConfirmedId(messages.value)
    if (!dialog || !before || !hasMoreBefore.value || loadingOlder.value) return
    const gen = generation
    loadingOlder.value = true
    try {
      const page = await ctx.client.getMessages(dialog, { limit: pageSize, before })
      if (gen !== generation) return
      messages.value = mergeMessages(messages.value, page.messages)
      hasMoreBefore.value = page.has_more_before
      void seedReadState()
    } catch (err) {
      ctx.reportError(err)
    } finally {
      loadingOlder.value = false
    }
  }

  /** Fetch everything after the newest known message (paging until `has_more_after` is false). */
  async function fetchAfter(maxPages = 20): Promise<void> {
    const dialog = id()
    const gen = generation
    // The cursor follows the pages themselves: live messages merged meanwhile must not make us skip.
    let after = lastConfirmedId(messages.value)
    if (!dialog) return
    if (!after) return reload()
    for (let i = 0; i < maxPages && after; i++) {
      const page = await ctx.client.getMessages(dialog, { limit: pageSize, after })
      if (gen !== generation) return
      messages.value = mergeMessages(messages.value, page.messages)
      if (!page.has_more_after) return
      after = page.messages[page.messages.length - 1]?.id ?? null
    }
  }

  async function loadNewer(): Promise<void> {
    if (!hasMoreAfter.value || loadingOlder.value) return
    const dialog = id()
    const after = lastConfirmedId(messages.value)
    if (!dialog || !after) return
    const gen = generation
    loadingOlder.value = true
    try {
      const page = await ctx.client.getMessages(dialog, { limit: pageSize, after })
      if (gen !== generation) return
      messages.value = mergeMessages(messages.value, page.messages)
      hasMoreAfter.value = page.has_more_after
    } catch (err) {
      ctx.reportError(err)
    } finally {
      loadingOlder.value = false
    }
  }

  async function jumpTo(messageId: string): Promise<boolean> {
    const dialog = id()
    if (!dialog) return false
    if (messages.value.some((m) => m.id === messageId)) {
      focusId.value = null
      focusId.value = messageId
      return true
    }
    const gen = generation
    try {
      const page = await ctx.client.getMessages(dialog, { limit: pageSize, around: messageId })
      if (gen !== generation) return false
      // A window elsewhere in history replaces the current one; keep unsent local messages.
      const local = messages.value.filter((m) => isLocalId(m.id))
      setPage(page)
      messages.value = mergeMessages(messages.value, local)
      focusId.value = page.messages.some((m) => m.id === messageId) ? messageId : null
      void seedReadState()
      return focusId.value !== null
    } catch (err) {
      ctx.reportError(err)
      return false
    }
  }

  async function jumpToLatest(): Promise<void> {
    if (!hasMoreAfter.value) return
    const unread = firstUnreadId.value
    await reload()
    firstUnreadId.value = unread
  }

  function find(messageId: string): Message | undefined {
    return messages.value.find((m) => m.id === messageId)
  }

  function setPending(localId: string, status: MessageStatus | null): void {
    const next = { ...pending.value }
    if (status) next[localId] = status
    else delete next[localId]
    pending.value = next
  }

  async function deliver(localId: string, clientMessageId: string): Promise<Message | null> {
    const dialog = id()
    const draft = drafts.get(localId)
    if (!dialog || !draft) return null
    setPending(localId, 'sending')
    try {
      const message = await ctx.client.sendMessage(dialog, {
        content: draft.content,
        reply_to: draft.options.replyTo ?? undefined,
        attachments: draft.options.attachments?.length ? draft.options.attachments : undefined,
        client_message_id: clientMessageId,
      })
      drafts.delete(localId)
      setPending(localId, null)
      if (dialog === id()) {
        // Whether or not `message.new` came first, the local copy is replaced exactly once.
        messages.value = mergeMessages(removeMessage(messages.value, localId), [message])
      }
      ctx.events.emit('message-sent', message)
      void markRead(message.id)
      return message
    } catch (err) {
      setPending(localId, 'failed')
      ctx.reportError(err)
      return null
    }
  }

  async function send(content: string, opts: SendOptions = {}): Promise<Message | null> {
    const dialog = id()
    if (!dialog) return null
    if (!content.trim() && !opts.attachments?.length) return null
    const clientMessageId = randomId()
    const localId = LOCAL_ID_PREFIX + clientMessageId
    const optimistic: Message = {
      id: localId,
      dialog_id: dialog,
      sender_id: me(),
      sender_name: ctx.config.value.userProfile?.display_name ?? null,
      message_type: 'user',
      content,
      reply_to_id: opts.replyTo ?? null,
      mentions: [],
      attachments: [],
      sent_at: new Date().toISOString(),
      last_edited_at: null,
      client_message_id: clientMessageId,
    }
    drafts.set(localId, { content, options: opts })
    // Sending from a window in history: go back to the live end first.
    if (hasMoreAfter.value) await jumpToLatest()
    messages.value = mergeMessages(messages.value, [optimistic])
    return deliver(localId, clientMessageId)
  }

  function retry(localId: string): Promise<Message | null> {
    const m = find(localId)
    if (!m?.client_message_id) return Promise.resolve(null)
    // Same client_message_id: the server returns the original if the first try did land.
    return deliver(localId, m.client_message_id)
  }

  async function edit(messageId: string, content: string): Promise<boolean> {
    const dialog = id()
    if (!dialog) return false
    try {
      const message = await ctx.client.editMessage(dialog, messageId, content)
      messages.value = mergeMessages(messages.value, [message])
      return true
    } catch (err) {
      ctx.reportError(err)
      return false
    }
  }

  async function remove(messageId: string): Promise<boolean> {
    const dialog = id()
    if (!dialog) return false
    if (isLocalId(messageId)) {
      drafts.delete(messageId)
      setPending(messageId, null)
      messages.value = removeMessage(messages.value, messageId)
      return true
    }
    try {
      await ctx.client.deleteMessage(dialog, messageId)
      messages.value = removeMessage(messages.value, messageId)
      return true
    } catch (err) {
      ctx.reportError(err)
      return false
    }
  }

  /** Tell the server we read up to `messageId` (default: the newest loaded). Never moves backwards. */
  async function markRead(messageId?: string): Promise<void> {
    const dialog = id()
    const target = messageId ?? lastConfirmedId(messages.value)
    if (!dialog || !target || isLocalId(target)) return
    if (lastReadSent && lastReadSent >= target) return
    lastReadSent = target
    try {
      await ctx.client.markRead(dialog, target)
      ctx.events.emit('dialog-changed', { dialogId: dialog, patch: { unread_count: 0 } })
    } catch (err) {
      ctx.reportError(err)
    }
  }

  async function readers(messageId: string): Promise<Reader[]> {
    const dialog = id()
    if (!dialog || isLocalId(messageId)) return []
    try {
      return await ctx.client.getReaders(dialog, messageId)
    } catch (err) {
      ctx.reportError(err)
      return []
    }
  }

  const mine = (dialog: string) => dialog === id()
  const offs = [
    ctx.socket.onEvent('message.new', (e) => {
      // While a window in history is shown, the live end is not loaded: avoid a gap.
      if (!mine(e.dialog_id) || hasMoreAfter.value) return
      messages.value = mergeMessages(messages.value, [e.message])
    }),
    ctx.socket.onEvent('message.edited', (e) => {
      if (mine(e.dialog_id) && find(e.message.id)) messages.value = mergeMessages(messages.value, [e.message])
    }),
    ctx.socket.onEvent('message.deleted', (e) => {
      if (mine(e.dialog_id)) messages.value = removeMessage(messages.value, e.message_id)
    }),
    ctx.socket.onEvent('message.read', (e) => {
      if (mine(e.dialog_id)) noteRead(e.user_id, e.last_read_message_id)
    }),
    ctx.socket.on('connected', (e) => {
      if (!e.reconnect || !id()) return
      // `message.read` events sent while we were away are lost: ask for the read state again.
      void seedReadState(true)
      if (hasMoreAfter.value) return // not at the live end; nothing to append
      void fetchAfter().catch((err: unknown) => ctx.reportError(err))
    }),
  ]
  // Without `config.userId` the user is known only once the socket says so: "mine" changes then.
  watch(ctx.userId, () => void seedReadState())

  watch(id, () => void reload(), { immediate: options.immediate !== false })
  onScopeDispose(() => {
    generation++
    for (const off of offs) off()
  })

  return {
    messages,
    hasMoreBefore,
    hasMoreAfter,
    firstUnreadId,
    loading,
    loadingOlder,
    focusId,
    pending,
    readBy,
    lastOwnMessage,
    reload,
    loadOlder,
    loadNewer,
    jumpTo,
    jumpToLatest,
    send,
    retry,
    edit,
    remove,
    markRead,
    readers,
    find,
  }
}
