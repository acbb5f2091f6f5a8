import type { MTChatClient } from './client'
import { MTChatError } from './errors'
import type { AttachmentInput, PresignResult } from './types'

/** Minimal XMLHttpRequest surface used for uploads (fetch has no upload progress). */
export interface XhrLike {
  open(method: string, url: string): void
  setRequestHeader(name: string, value: string): void
  send(body: Blob | File): void
  abort(): void
  readonly status: number
  upload: { onprogress: ((ev: { loaded: number; total: number; lengthComputable: boolean }) => void) | null }
  onload: (() => void) | null
  onerror: (() => void) | null
  onabort: (() => void) | null
}
export type XhrFactory = () => XhrLike

export interface UploadOptions {
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
  xhr?: XhrFactory
}

/** PUT (or POST) the bytes to a presigned URL, reporting progress in 0..1. */
export function putToPresignedUrl(presign: PresignResult, file: Blob, options: UploadOptions = {}): Promise<void> {
  const xhr = (options.xhr ?? (() => new XMLHttpRequest() as unknown as XhrLike))()
  return new Promise((resolve, reject) => {
    xhr.open(presign.method || 'PUT', presign.upload_url)
    for (const [name, value] of Object.entries(presign.headers ?? {})) xhr.setRequestHeader(name, value)
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable && ev.total > 0) options.onProgress?.(ev.loaded / ev.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1)
        resolve()
      } else reject(new MTChatError('UPLOAD_FAILED', `upload failed with HTTP ${xhr.status}`, xhr.status))
    }
    xhr.onerror = () => reject(new MTChatError('UPLOAD_FAILED', 'upload failed (network)', 0))
    xhr.onabort = () => reject(new MTChatError('UPLOAD_ABORTED', 'upload aborted', 0))
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(file)
  })
}

/** Presign then upload one file; resolves with what `sendMessage` expects in `attachments`. */
export async function uploadFile(
  client: MTChatClient,
  dialogId: string,
  file: File,
  options: UploadOptions = {},
): Promise<AttachmentInput> {
  const contentType = file.type || 'application/octet-stream'
  const presign = await client.presignUpload({
    dialog_id: dialogId,
    filename: file.name,
    content_type: contentType,
    size: file.size,
  })
  await putToPresignedUrl(presign, file, options)
  return { s3_key: presign.s3_key, filename: file.name, content_type: contentType, size: file.size }
}
