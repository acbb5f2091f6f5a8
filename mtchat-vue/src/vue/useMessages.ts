import { computed, onScopeDispose, shallowRef, toValue, watch, type ComputedRef, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { isLocalId, LOCAL_ID_PREFIX, randomId } from '../core/ids'
import { contiguousSeq, dropMissing, firstConfirmedId, lastConfirmedId, maxSeq, mergeMessages, removeMessage, seqOf } from '../core/timeline'
import type { AttachmentInput, Message, MessagesPage, Reader } from '../core/types'
import type { ChatContext } from './context'

export interface UseMessagesOptions {
  /** Messages per page. Default 50. */
  pageSize?: number
  /** Load as soon as the dialog id is set. Default true. */
  immediate?: boolean
  /**
   * How long (ms) a hole in `seq` at the live end may stay open before it is fetched with
   * `after_seq=`. Two messages sent at the same moment may reach the socket in either order; the
   * missing one usually follows within milliseconds. Default 300.
   */
  gapFillDelay?: number
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
 * `client_message_id` (deduplicated however the REST answer and `message.new` interleave).
 * Ordered by `seq`; at the live end a hole in `seq` (an event overtaken by a later one, or lost
 * with a dropped socket) is filled with `after_seq=`, and so is everything missed once the socket
 * reconnects, so nothing is missing or doubled.
 */
export function useMessages(
  ctx: ChatContext,
  dialogId: MaybeRefOrGetter<string | null | undefined>,
  options: UseMessagesOptions = {},
): UseMessagesReturn {
  const pageSize = options.pageSize ?? 50
  const gapFillDelay = options.gapFillDelay ?? 300
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
  let lastReadSent: { id: string; seq: number } | null = null
  /** Oldest own message whose readers we fetched: later ones are covered by that answer. */
  let readSeededFrom: string | null = null
  let generation = 0

  // ---- Delivery at the live end (SPEC §5.4): seq order, gap fill, reconnect catch-up ----
  /**
   * Every message of the dialog with `seq` ≤ this that still exists is in `messages` (a hole
   * below it is a deleted message). `null` while nothing is loaded or a window in history is shown:
   * only the tail is kept complete.
   */
  let confirmedSeq: number | null = null
  /** The highest `seq` known to exist (or have existed): loaded, sent, or seen live from any window. */
  let knownSeq = 0
  let fillTimer: ReturnType<typeof setTimeout> | null = null
  let filling = false
  /** A reconnect while a fill was running: its answer may predate what the socket missed. */
  let fillAgain = false
  /** Bumped whenever the tail is reset, so that a fill in flight for the old one drops its answer. */
  let tailRun = 0

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
    resetTail()
    knownSeq = 0
    if (!dialog) return
    loading.value = true
    try {
      const page = await ctx.client.getMessages(dialog, { limit: pageSize })
      if (gen !== generation) return
      // Live messages (and sends) that came while the page loaded stay, merged by id.
      const meanwhile = messages.value
      setPage(page)
      messages.value = mergeMessages(messages.value, meanwhile)
      firstUnreadId.value = page.first_unread_message_id
      if (!page.has_more_after) followTail(maxSeq(page.messages))
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

  /** Forget the tail's bookkeeping (a new dialog, or a window elsewhere in history). */
  function resetTail(): void {
    confirmedSeq = null
    if (fillTimer !== null) clearTimeout(fillTimer)
    fillTimer = null
    filling = false
    fillAgain = false
    tailRun++
  }

  function noteSeq(seq: number): void {
    if (seq > knownSeq) knownSeq = seq
  }

  /**
   * The loaded window now reaches the live end and holds every message up to `seq`: from here on
   * the tail is kept complete.
   */
  function followTail(seq: number): void {
    confirmedSeq = seq
    if (fillAgain) requestFill(true)
    else advance()
  }

  /** Move `confirmedSeq` over messages that follow it without a hole; a hole left asks for a fill. */
  function advance(): void {
    if (confirmedSeq === null || hasMoreAfter.value) return
    confirmedSeq = contiguousSeq(messages.value, confirmedSeq)
    if (hasHole()) requestFill(false)
  }

  function hasHole(): boolean {
    return confirmedSeq !== null && Math.max(knownSeq, maxSeq(messages.value)) > confirmedSeq
  }

  /**
   * One fill at a time. A hole waits `gapFillDelay` (the overtaken event usually arrives first,
   * and a burst of them costs one fill); a reconnect fills at once.
   */
  function requestFill(now: boolean): void {
    if (filling) {
      // A running fill ends with advance(), which sees any hole still open; only what a dropped
      // socket missed after that fill's answer needs another one.
      if (now) fillAgain = true
      return
    }
    if (fillTimer !== null) {
      if (!now) return
      clearTimeout(fillTimer)
      fillTimer = null
    }
    if (now) {
      void fill()
      return
    }
    fillTimer = setTimeout(() => {
      fillTimer = null
      // The overtaken message arrived meanwhile: nothing to fetch.
      if (hasHole()) void fill()
    }, gapFillDelay)
  }

  /**
   * Fetch `after_seq=confirmedSeq` page by page until `has_more_after` is false, merge by id, and
   * move `confirmedSeq` to the end of the answer. Unlike `after=<id>`, the cursor needs no message
   * that may have been deleted meanwhile.
   */
  async function fill(): Promise<void> {
    const dialog = id()
    if (!dialog || confirmedSeq === null || hasMoreAfter.value) return
    const run = tailRun
    const from = confirmedSeq
    // Known before the first request, so committed before it (seq order is commit order): a message
    // up to here that the answer leaves out was deleted. This is what keeps a deleted message's hole
    // from being fetched again and again.
    const known = Math.max(knownSeq, maxSeq(messages.value))
    const returned = new Set<string>()
    let cursor = from
    let complete = false
    filling = true
    fillAgain = false
    try {
      for (;;) {
        const page = await ctx.client.getMessages(dialog, { limit: pageSize, after_seq: cursor })
        if (run !== tailRun) return
        messages.value = mergeMessages(messages.value, page.messages)
        for (const m of page.messages) returned.add(m.id)
        const last = Math.max(cursor, maxSeq(page.messages))
        complete = !page.has_more_after
        // No progress with more to come would loop forever: stop, the next hole or reconnect retries.
        if (complete || last === cursor) {
          cursor = last
          break
        }
        cursor = last
      }
    } catch (err) {
      if (run !== tailRun) return
      filling = false
      ctx.reportError(err)
      // No retry loop on a failing server: the next hole retries, and so does a reconnect (once).
      if (fillAgain) requestFill(true)
      return
    }
    filling = false
    const end = complete ? Math.max(cursor, known) : cursor
    if (complete) messages.value = dropMissing(messages.value, from, end, returned)
    confirmedSeq = Math.max(confirmedSeq ?? 0, end)
    if (fillAgain) requestFill(true)
    else if (complete) advance()
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
      // Reached the live end: the window is contiguous, so it holds everything up to its newest.
      if (!page.has_more_after) followTail(maxSeq(messages.value))
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
      resetTail()
      setPage(page)
      messages.value = mergeMessages(messages.value, local)
      if (!page.has_more_after) followTail(maxSeq(page.messages))
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
        // Others' messages committed just before mine may still be on their way: a hole waits for them.
        noteSeq(seqOf(message))
        advance()
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
      seq: 0, // assigned by the server
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
    const seq = find(target)?.seq ?? 0
    // By seq (commit order) when both are known; ids only as a fallback (UUIDv7 follow host clocks).
    if (lastReadSent && (seq && lastReadSent.seq ? lastReadSent.seq >= seq : lastReadSent.id >= target)) return
    lastReadSent = { id: target, seq }
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
      if (!mine(e.dialog_id)) return
      noteSeq(seqOf(e.message))
      // While a window in history is shown, the live end is not loaded: avoid a gap. (Its seq is
      // noted: once paging down reaches the end, anything newer is fetched.)
      if (hasMoreAfter.value) return
      // Shown in its place at once, even past a hole; advance() fills the hole.
      messages.value = mergeMessages(messages.value, [e.message])
      advance()
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
      if (confirmedSeq !== null) requestFill(true)
      else if (loading.value) fillAgain = true // the page on its way may predate what was missed
      else void reload()
    }),
  ]
  // Without `config.userId` the user is known only once the socket says so: "mine" changes then.
  watch(ctx.userId, () => void seedReadState())

  watch(id, () => void reload(), { immediate: options.immediate !== false })
  onScopeDispose(() => {
    generation++
    resetTail()
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
