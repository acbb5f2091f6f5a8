import { computed, onScopeDispose, shallowRef, toValue, type ComputedRef, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { toMTChatError } from '../core/errors'
import { randomId } from '../core/ids'
import type { AttachmentInput } from '../core/types'
import { uploadFile, type XhrFactory } from '../core/upload'
import type { ChatContext } from './context'

export interface UploadItem {
  id: string
  file: File
  /** 0..1 */
  progress: number
  status: 'uploading' | 'done' | 'failed'
  attachment: AttachmentInput | null
  error: string | null
  /** Object URL for an image preview (revoked on removal). */
  previewUrl: string | null
}

export interface UseUploadsOptions {
  /** Injected XMLHttpRequest factory (tests). */
  xhr?: XhrFactory
  /** Maximum files per message. Default 10 (SPEC limit). */
  maxFiles?: number
}

export interface UseUploadsReturn {
  items: ShallowRef<UploadItem[]>
  busy: ComputedRef<boolean>
  /** Uploaded attachments ready to be sent. */
  ready: ComputedRef<AttachmentInput[]>
  add(files: Iterable<File>): void
  remove(id: string): void
  clear(): void
}

/** Files attached in the composer: presign → PUT with progress → attachment refs for `send`. */
export function useUploads(
  ctx: ChatContext,
  dialogId: MaybeRefOrGetter<string | null | undefined>,
  options: UseUploadsOptions = {},
): UseUploadsReturn {
  const items = shallowRef<UploadItem[]>([])
  const aborts = new Map<string, AbortController>()

  const update = (id: string, patch: Partial<UploadItem>) => {
    items.value = items.value.map((it) => (it.id === id ? { ...it, ...patch } : it))
  }

  function add(files: Iterable<File>): void {
    const dialog = toValue(dialogId)
    if (!dialog) return
    for (const file of files) {
      if (items.value.length >= (options.maxFiles ?? 10)) break
      const id = randomId()
      const isImage = file.type.startsWith('image/')
      const previewUrl = isImage && typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null
      items.value = [...items.value, { id, file, progress: 0, status: 'uploading', attachment: null, error: null, previewUrl }]
      const abort = new AbortController()
      aborts.set(id, abort)
      uploadFile(ctx.client, dialog, file, {
        xhr: options.xhr,
        signal: abort.signal,
        onProgress: (p) => update(id, { progress: p }),
      })
        .then((attachment) => update(id, { status: 'done', progress: 1, attachment }))
        .catch((err: unknown) => {
          if (abort.signal.aborted) return
          const e = toMTChatError(err)
          update(id, { status: 'failed', error: e.message })
          ctx.reportError(e)
        })
        .finally(() => aborts.delete(id))
    }
  }

  function remove(id: string): void {
    aborts.get(id)?.abort()
    const it = items.value.find((x) => x.id === id)
    if (it?.previewUrl) URL.revokeObjectURL(it.previewUrl)
    items.value = items.value.filter((x) => x.id !== id)
  }

  function clear(): void {
    for (const it of items.value) remove(it.id)
  }

  onScopeDispose(clear)

  return {
    items,
    busy: computed(() => items.value.some((it) => it.status === 'uploading')),
    ready: computed(() => items.value.flatMap((it) => (it.attachment ? [it.attachment] : []))),
    add,
    remove,
    clear,
  }
}
