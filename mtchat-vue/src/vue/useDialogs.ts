import { onScopeDispose, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue'
import type { DialogItem, DialogListType, LastMessage, Message } from '../core/types'
import type { ChatContext } from './context'

export interface UseDialogsOptions {
  /** Page size of each list. Default 30. */
  pageSize?: number
  /** Debounce of the search box, ms. Default 250. */
  searchDebounce?: number
  /** Load the lists immediately. Default true. */
  immediate?: boolean
}

interface ListState {
  items: ShallowRef<DialogItem[]>
  cursor: ShallowRef<string | null>
  loading: ShallowRef<boolean>
  loaded: ShallowRef<boolean>
}

export interface UseDialogsReturn {
  participating: ShallowRef<DialogItem[]>
  available: ShallowRef<DialogItem[]>
  archived: ShallowRef<DialogItem[]>
  /** Cursor of the next page per list (null = no more). */
  hasMore: Readonly<Ref<Record<'participating' | 'available' | 'archived', boolean>>>
  loading: Readonly<Ref<boolean>>
  search: Ref<string>
  /** The open dialog: its unread count is not incremented by live messages. */
  activeId: Ref<string | null>
  refresh(): Promise<void>
  loadMore(list: 'participating' | 'available' | 'archived'): Promise<void>
  loadArchived(): Promise<void>
  find(id: string): DialogItem | undefined
  patch(id: string, patch: Partial<DialogItem>): void
}

/** Sort as the server does: pinned first, then latest activity. */
export function sortDialogs(list: DialogItem[]): DialogItem[] {
  const ts = (d: DialogItem) => Date.parse(d.last_message_at ?? d.created_at) || 0
  return [...list].sort((a, b) => Number(b.is_pinned) - Number(a.is_pinned) || ts(b) - ts(a))
}

function toLastMessage(m: Message): LastMessage {
  return {
    id: m.id,
    content: m.content,
    sender_id: m.sender_id,
    sender_name: m.sender_name,
    sent_at: m.sent_at,
    message_type: m.message_type,
  }
}

/**
 * The "Участвую" / "Доступные" lists and the archive, kept live from socket events
 * (new messages bump and count unread, dialogs added/removed/archived move between lists).
 */
export function useDialogs(ctx: ChatContext, options: UseDialogsOptions = {}): UseDialogsReturn {
  const pageSize = options.pageSize ?? 30
  const makeList = (): ListState => ({
    items: shallowRef([]),
    cursor: shallowRef(null),
    loading: shallowRef(false),
    loaded: shallowRef(false),
  })
  const lists = { participating: makeList(), available: makeList(), archived: makeList() }
  const search = ref('')
  const activeId = ref<string | null>(null)
  const loading = shallowRef(false)
  const hasMore = shallowRef({ participating: false, available: false, archived: false })
  let generation = 0

  const updateHasMore = () => {
    hasMore.value = {
      participating: lists.participating.cursor.value !== null,
      available: lists.available.cursor.value !== null,
      archived: lists.archived.cursor.value !== null,
    }
  }

  async function fetchPage(name: keyof typeof lists, append: boolean): Promise<void> {
    const list = lists[name]
    const gen = generation
    list.loading.value = true
    try {
      const page = await ctx.client.listDialogs({
        type: name === 'available' ? 'available' : 'participating',
        archived: name === 'available' ? undefined : name === 'archived',
        search: search.value.trim() || undefined,
        limit: pageSize,
        cursor: append ? list.cursor.value : undefined,
      })
      if (gen !== generation) return // a newer search superseded this answer
      const items = append ? mergeById(list.items.value, page.data) : page.data
      list.items.value = name === 'available' ? items : sortDialogs(items)
      list.cursor.value = page.next_cursor
      list.loaded.value = true
      updateHasMore()
    } catch (err) {
      ctx.reportError(err)
    } finally {
      list.loading.value = false
    }
  }

  async function refresh(): Promise<void> {
    generation++
    loading.value = true
    try {
      const jobs = [fetchPage('participating', false), fetchPage('available', false)]
      if (lists.archived.loaded.value) jobs.push(fetchPage('archived', false))
      await Promise.all(jobs)
    } finally {
      loading.value = false
    }
  }

  const loadMore = (name: keyof typeof lists) =>
    lists[name].cursor.value ? fetchPage(name, true) : Promise.resolve()
  const loadArchived = () => fetchPage('archived', false)

  function find(id: string): DialogItem | undefined {
    for (const l of Object.values(lists)) {
      const d = l.items.value.find((x) => x.id === id)
      if (d) return d
    }
    return undefined
  }

  function patch(id: string, p: Partial<DialogItem>): void {
    for (const [name, l] of Object.entries(lists)) {
      if (!l.items.value.some((d) => d.id === id)) continue
      const items = l.items.value.map((d) => (d.id === id ? { ...d, ...p } : d))
      l.items.value = name === 'available' ? items : sortDialogs(items)
    }
  }

  function removeEverywhere(id: string): void {
    for (const l of Object.values(lists)) l.items.value = l.items.value.filter((d) => d.id !== id)
  }

  function moveArchive(id: string, archived: boolean): void {
    const d = find(id)
    if (!d) {
      void refresh()
      return
    }
    removeEverywhere(id)
    const target = archived ? lists.archived : lists.participating
    if (archived && !lists.archived.loaded.value) return
    target.items.value = sortDialogs([...target.items.value, { ...d, is_archived: archived }])
  }

  async function reloadOne(id: string): Promise<void> {
    try {
      const d = await ctx.client.getDialog(id)
      const name: keyof typeof lists = !d.i_am_participant ? 'available' : d.is_archived ? 'archived' : 'participating'
      removeEverywhere(id)
      lists[name].items.value = name === 'available' ? [d, ...lists[name].items.value] : sortDialogs([...lists[name].items.value, d])
    } catch (err) {
      // Gone or invisible now: drop it silently; other failures are reported.
      if ((err as { status?: number }).status === 404) removeEverywhere(id)
      else ctx.reportError(err)
    }
  }

  function onMessageNew(dialogId: string, message: Message): void {
    const d = find(dialogId)
    if (!d || !d.i_am_participant) {
      void reloadOne(dialogId)
      return
    }
    const mine = message.sender_id !== null && message.sender_id === ctx.userId.value
    const counts = !mine && activeId.value !== dialogId && message.message_type === 'user'
    const next: DialogItem = {
      ...d,
      last_message: toLastMessage(message),
      last_message_at: message.sent_at,
      unread_count: counts ? d.unread_count + 1 : d.unread_count,
    }
    if (d.is_archived) {
      // A new message brings a dialog back from the archive (server does the same on activity).
      removeEverywhere(dialogId)
      lists.participating.items.value = sortDialogs([...lists.participating.items.value, { ...next, is_archived: false }])
      return
    }
    lists.participating.items.value = sortDialogs(lists.participating.items.value.map((x) => (x.id === dialogId ? next : x)))
  }

  const offs = [
    ctx.socket.onEvent('message.new', (e) => onMessageNew(e.dialog_id, e.message)),
    ctx.socket.onEvent('message.edited', (e) => {
      const d = find(e.dialog_id)
      if (d?.last_message?.id === e.message.id) patch(e.dialog_id, { last_message: toLastMessage(e.message) })
    }),
    ctx.socket.onEvent('message.read', (e) => {
      if (e.user_id === ctx.userId.value) patch(e.dialog_id, { unread_count: 0 })
    }),
    ctx.socket.onEvent('dialog.added', (e) => void reloadOne(e.dialog_id)),
    ctx.socket.onEvent('dialog.updated', (e) => void reloadOne(e.dialog_id)),
    ctx.socket.onEvent('dialog.removed', (e) => void reloadOne(e.dialog_id)),
    ctx.socket.onEvent('dialog.deleted', (e) => removeEverywhere(e.dialog_id)),
    ctx.socket.onEvent('dialog.archived', (e) => moveArchive(e.dialog_id, true)),
    ctx.socket.onEvent('dialog.unarchived', (e) => moveArchive(e.dialog_id, false)),
    ctx.socket.onEvent('participant.joined', (e) => {
      if (e.user_id === ctx.userId.value) void reloadOne(e.dialog_id)
      else {
        const d = find(e.dialog_id)
        if (d && !d.participants.some((p) => p.user_id === e.user_id)) {
          patch(e.dialog_id, {
            participants_count: d.participants_count + 1,
            participants: [...d.participants, { user_id: e.user_id, display_name: e.display_name ?? null, company: null }],
          })
        }
      }
    }),
    ctx.socket.onEvent('participant.left', (e) => {
      if (e.user_id === ctx.userId.value) void reloadOne(e.dialog_id)
      else {
        const d = find(e.dialog_id)
        if (d) {
          patch(e.dialog_id, {
            participants_count: Math.max(0, d.participants_count - 1),
            participants: d.participants.filter((p) => p.user_id !== e.user_id),
          })
        }
      }
    }),
    // Events missed while offline are recovered by reloading the lists.
    ctx.socket.on('connected', (e) => {
      if (e.reconnect) void refresh()
    }),
    ctx.events.on('dialog-changed', (e) => {
      if (e.patch.is_archived !== undefined && find(e.dialogId)?.is_archived !== e.patch.is_archived) {
        moveArchive(e.dialogId, e.patch.is_archived)
      }
      patch(e.dialogId, e.patch)
    }),
    ctx.events.on('dialog-joined', (e) => void reloadOne(e.dialogId)),
    ctx.events.on('dialog-left', (e) => void reloadOne(e.dialogId)),
  ]

  let timer: ReturnType<typeof setTimeout> | null = null
  watch(search, () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void refresh(), options.searchDebounce ?? 250)
  })
  watch(activeId, (id) => {
    if (id) patch(id, { unread_count: 0 })
  })

  onScopeDispose(() => {
    if (timer) clearTimeout(timer)
    for (const off of offs) off()
  })

  if (options.immediate !== false) void refresh()

  return {
    participating: lists.participating.items,
    available: lists.available.items,
    archived: lists.archived.items,
    hasMore,
    loading,
    search,
    activeId,
    refresh,
    loadMore,
    loadArchived,
    find,
    patch,
  }
}

function mergeById(a: DialogItem[], b: DialogItem[]): DialogItem[] {
  const seen = new Set(a.map((d) => d.id))
  return [...a, ...b.filter((d) => !seen.has(d.id))]
}

export type { DialogListType }
