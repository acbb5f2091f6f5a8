import { describe, expect, it } from 'vitest'
import type { XhrLike } from '../../src/core/upload'
import { useUploads } from '../../src/vue/useUploads'
import { createFakeFetch, createTestContext, flush } from '../helpers/fakes'

class FakeXhr implements XhrLike {
  static last: FakeXhr | null = null
  status = 0
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown = null
  upload: XhrLike['upload'] = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  constructor() {
    FakeXhr.last = this
  }
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(n: string, v: string) {
    this.headers[n] = v
  }
  send(body: Blob) {
    this.body = body
  }
  abort() {
    this.onabort?.()
  }
}

describe('useUploads', () => {
  it('presigns, PUTs with progress and yields the attachment reference', async () => {
    const { fetch, calls } = createFakeFetch({
      'POST /upload/presign': () => ({
        body: { data: { upload_url: 'http://files.test/put/k1', method: 'PUT', headers: { 'Content-Type': 'image/png' }, s3_key: 'k1', expires_in: 900 } },
      }),
    })
    const { ctx, scope } = createTestContext(fetch)
    const up = scope.run(() => useUploads(ctx, 'd1', { xhr: () => new FakeXhr() }))!
    const file = new File([new Uint8Array(10)], 'a.png', { type: 'image/png' })
    up.add([file])
    await flush()
    expect(calls[0]?.body).toEqual({ dialog_id: 'd1', filename: 'a.png', content_type: 'image/png', size: 10 })
    const xhr = FakeXhr.last!
    expect([xhr.method, xhr.url, xhr.headers['Content-Type']]).toEqual(['PUT', 'http://files.test/put/k1', 'image/png'])
    xhr.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true })
    expect(up.items.value[0]?.progress).toBe(0.5)
    expect(up.busy.value).toBe(true)
    xhr.status = 200
    xhr.onload?.()
    await flush()
    expect(up.busy.value).toBe(false)
    expect(up.ready.value).toEqual([{ s3_key: 'k1', filename: 'a.png', content_type: 'image/png', size: 10 }])
    scope.stop()
  })

  it('marks a failed upload and reports the error', async () => {
    const { fetch } = createFakeFetch({
      'POST /upload/presign': () => ({ status: 400, body: { error: { code: 'UNSUPPORTED_FILE_TYPE', message: 'no' } } }),
    })
    const { ctx, scope } = createTestContext(fetch)
    const errors: string[] = []
    ctx.events.on('error', (e) => errors.push(e.code))
    const up = scope.run(() => useUploads(ctx, 'd1', { xhr: () => new FakeXhr() }))!
    up.add([new File(['x'], 'a.exe', { type: 'application/x-msdownload' })])
    await flush()
    expect(up.items.value[0]?.status).toBe('failed')
    expect(errors).toEqual(['UNSUPPORTED_FILE_TYPE'])
    scope.stop()
  })
})
