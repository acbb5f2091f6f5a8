import { shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { Attachment, AttachmentUrl } from '../core/types'
import type { ChatContext } from './context'

const cache = new Map<string, Promise<AttachmentUrl>>()

export interface UseAttachmentUrlReturn {
  url: ShallowRef<string | null>
  thumbnailUrl: ShallowRef<string | null>
}

/** Signed URLs of an attachment: the message's own if present, else `GET /attachments/{id}/url` (cached). */
export function useAttachmentUrl(ctx: ChatContext, attachment: MaybeRefOrGetter<Attachment>): UseAttachmentUrlReturn {
  const url = shallowRef<string | null>(null)
  const thumbnailUrl = shallowRef<string | null>(null)
  watch(
    () => toValue(attachment),
    async (att) => {
      url.value = att.url ?? null
      thumbnailUrl.value = att.thumbnail_url ?? att.url ?? null
      if (att.url) return
      let p = cache.get(att.id)
      if (!p) {
        p = ctx.client.getAttachmentUrl(att.id)
        cache.set(att.id, p)
        // Signed URLs expire: forget them well before that.
        p.then((r) => setTimeout(() => cache.delete(att.id), Math.max(30, (r.expires_in || 300) - 60) * 1000)).catch(() => cache.delete(att.id))
      }
      try {
        const r = await p
        url.value = r.url
        thumbnailUrl.value = r.thumbnail_url ?? r.url
      } catch (err) {
        ctx.reportError(err)
      }
    },
    { immediate: true },
  )
  return { url, thumbnailUrl }
}
