import { listAll, type Store } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp, type TestApp, upload } from '../test-support/harness.js'

interface Listing {
  sid: string
  items: Array<{
    key: string
    name: string
    relativePath: string
    size: number
    url: string
    oneTime: boolean
    downloaded: boolean
    expiresAt: number | null
    createdAt: number
    comment: string
    type: string
  }>
  archiveToken: string
  zipUrl: string
  tarGzUrl: string
  protected: boolean
  config: { maxPreviewSize: number }
}

async function listing(t: TestApp, sid = 'bucket1', headers: Record<string, string> = {}): Promise<Listing> {
  const res = await t.request(`/${sid}.json`, { headers })
  expect(res.status).toBe(200)
  return (await res.json()) as Listing
}

describe('file download', () => {
  it('sends the file with safe headers', async () => {
    const t = makeApp()
    await upload(t, bytesOf('<script>alert(1)</script>'), { name: 'Übersicht "x".html', type: 'text/html' })
    const { items } = await listing(t)
    const res = await t.request(items[0]!.url)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('<script>alert(1)</script>')
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="_bersicht _x_.html"; filename*=UTF-8''%C3%9Cbersicht%20%22x%22.html`,
    )
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox/)
    expect(res.headers.get('content-length')).toBe('25')
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('cache-control')).toContain('no-transform')
    expect(res.headers.get('etag')).toMatch(/^".+"$/)
    expect(res.headers.get('last-modified')).toBe(new Date(t.clock.now()).toUTCString())
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    // inline only for safe types: HTML stays an attachment.
    const inline = await t.request(`${items[0]!.url}?inline=1`)
    expect(inline.headers.get('content-disposition')).toMatch(/^attachment/)
    await inline.body?.cancel()
  })

  it('serves safe types inline on request', async () => {
    const t = makeApp()
    await upload(t, bytesOf('plain'), { name: 'a.txt', type: 'text/plain' })
    const { items } = await listing(t)
    const res = await t.request(`${items[0]!.url}?inline=1`)
    expect(res.headers.get('content-disposition')).toBe('inline; filename="a.txt"')
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('plain')
  })

  it('lets only our own pages frame an inline PDF, and sandboxes it everywhere else', async () => {
    const t = makeApp()
    await upload(t, bytesOf('%PDF-1.4 fake'), { name: 'doc.pdf', type: 'application/pdf' })
    const { items } = await listing(t)
    const preview = await t.request(`${items[0]!.url}?inline=1`)
    expect(preview.headers.get('content-disposition')).toBe('inline; filename="doc.pdf"')
    expect(preview.headers.get('content-security-policy')).toBe("frame-ancestors 'self'")
    expect(preview.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    await preview.body?.cancel()
    const download = await t.request(items[0]!.url)
    expect(download.headers.get('content-security-policy')).toMatch(/^sandbox/)
    expect(download.headers.get('x-frame-options')).toBe('DENY')
    await download.body?.cancel()
  })

  it('answers HEAD, Range, If-None-Match and If-Modified-Since', async () => {
    const t = makeApp()
    await upload(t, bytesOf('0123456789'))
    const { items } = await listing(t)
    const url = items[0]!.url
    const head = await t.request(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('10')
    expect(await head.text()).toBe('')
    const etag = head.headers.get('etag') as string

    const part = await t.request(url, { headers: { Range: 'bytes=2-4' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10')
    expect(part.headers.get('content-length')).toBe('3')
    expect(await part.text()).toBe('234')
    const suffix = await t.request(url, { headers: { Range: 'bytes=-3' } })
    expect(await suffix.text()).toBe('789')
    const bad = await t.request(url, { headers: { Range: 'bytes=10-' } })
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe('bytes */10')
    expect(((await bad.json()) as { code: string }).code).toBe('RANGE_NOT_SATISFIABLE')
    // If-Range with a stale validator: the whole file.
    const stale = await t.request(url, { headers: { Range: 'bytes=2-4', 'If-Range': '"old"' } })
    expect(stale.status).toBe(200)
    expect(await stale.text()).toBe('0123456789')

    const cached = await t.request(url, { headers: { 'If-None-Match': etag } })
    expect(cached.status).toBe(304)
    expect(await cached.text()).toBe('')
    expect((await t.request(url, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200)
    const ims = await t.request(url, {
      headers: { 'If-Modified-Since': new Date(t.clock.now() + 1000).toUTCString() },
    })
    expect(ims.status).toBe(304)
  })

  it('404s for unknown, unfinished and expired files, 400 for malformed ids', async () => {
    const t = makeApp()
    expect((await t.request('/files/bucket1++nokey')).status).toBe(404)
    expect((await t.request('/files/nosep')).status).toBe(400)
    expect((await t.request('/files/a++..')).status).toBe(400)
    const created = await t.request('/files/', {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '10',
        'Upload-Metadata': 'sid YnVja2V0MQ==,name eC50eHQ=',
      },
    })
    const location = created.headers.get('location') as string
    expect((await t.request(location)).status).toBe(404)
    await upload(t, bytesOf('x'), { sid: 'b2' })
    const { items } = await listing(t, 'b2')
    t.clock.advance(3600_000)
    const expired = await t.request(items[0]!.url)
    expect(expired.status).toBe(404)
    expect(await expired.json()).toEqual({ code: 'NOT_FOUND', message: 'File not found or expired' })
  })

  it('counts completed downloads and calls the download webhook', async () => {
    const t = makeApp({ fileDownloadedWebhook: 'http://hooks.test/dl' })
    await upload(t, bytesOf('abc'))
    const { items } = await listing(t)
    await (await t.request(items[0]!.url)).text()
    await (await t.request(items[0]!.url, { headers: { Range: 'bytes=0-0' } })).text()
    await waitFor(async () => (await listAll(t.store, {}))[0]?.downloads === 1)
    const [file] = await listAll(t.store, {})
    expect(file?.lastDownload).toBe(t.clock.now())
    await waitFor(async () => t.webhookCalls.length === 1)
    expect(t.webhookCalls[0]!.body).toMatchObject({
      event: 'fileDownloaded',
      fid: 'bucket1',
      file: { name: 'file.txt' },
    })
    expect((await listing(t)).items[0]!.downloaded).toBe(true)
  })

  it('counts every one of 20 parallel complete downloads of an unlimited file, also 302s and archives', async () => {
    // A store that takes a moment per call, as every real one does: a read-add-write of the
    // counter without the file's lock loses increments there.
    const memory = new MemoryStore()
    const slow = (presign: boolean) =>
      new Proxy(memory, {
        get(target, prop) {
          if (prop === 'capabilities' && presign) return { downloadUrl: true }
          if (prop === 'downloadUrl') {
            return presign ? async (ref: { key: string }) => `https://s3.example/${ref.key}` : undefined
          }
          const v = Reflect.get(target, prop, target)
          if (prop === 'info' || prop === 'update') {
            return async (...args: unknown[]) => {
              await new Promise((r) => setTimeout(r, 1 + Math.random() * 3))
              return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args)
            }
          }
          return typeof v === 'function' ? v.bind(target) : v
        },
      }) as Store
    for (const presign of [false, true]) {
      const t = makeApp({}, { store: slow(presign) })
      const sid = presign ? 'presigned' : 'streamed'
      await upload(t, bytesOf('abc'), { sid, name: 'a.txt' })
      t.clock.advance(1)
      await upload(t, bytesOf('second'), { sid, name: 'b.txt' })
      const { items, zipUrl } = await listing(t, sid)
      const [a, b] = items
      const responses = await Promise.all([
        ...Array.from({ length: 20 }, () => t.request(a!.url)),
        ...Array.from({ length: 5 }, () => t.request(zipUrl)),
      ])
      for (const res of responses) await res.arrayBuffer()
      expect(responses.slice(0, 20).map((r) => r.status)).toEqual(Array(20).fill(presign ? 302 : 200))
      expect(responses.slice(20).map((r) => r.status)).toEqual(Array(5).fill(200))
      const counts = async () => {
        const files = (await listAll(t.store)).filter((f) => f.sid === sid)
        return Object.fromEntries(files.map((f) => [f.key, f.downloads]))
      }
      await waitFor(async () => {
        const c = await counts()
        return (c[a!.key] ?? 0) >= 25 && (c[b!.key] ?? 0) >= 5
      }).catch(() => {})
      expect(await counts(), presign ? 'presigned' : 'streamed').toEqual({ [a!.key]: 25, [b!.key]: 5 })
      const file = (await listAll(t.store)).find((f) => f.key === a!.key)
      expect(file?.lastDownload).toBe(t.clock.now())
    }
  })

  it('redirects to a presigned URL when the store offers one (not for previews or one-time files)', async () => {
    const memory = new MemoryStore()
    const presigning = new Proxy(memory, {
      get(target, prop) {
        if (prop === 'capabilities') return { downloadUrl: true }
        if (prop === 'downloadUrl') {
          return async (ref: { sid: string; key: string }, o: { filename: string; expiresIn: number }) =>
            `https://s3.example/${ref.sid}/${ref.key}?name=${encodeURIComponent(o.filename)}&ttl=${o.expiresIn}`
        }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }) as Store
    const t = makeApp({ storage: { type: 'filesystem', signedUrlExpiry: 600 } }, { store: presigning })
    await upload(t, bytesOf('abc'), { name: 'a b.txt' })
    t.clock.advance(1)
    await upload(t, bytesOf('once'), { name: 'once.txt', retention: 'one-time' })
    const { items } = await listing(t)
    const res = await t.request(items[0]!.url)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(
      `https://s3.example/bucket1/${items[0]!.key}?name=a%20b.txt&ttl=600`,
    )
    expect((await t.request(`${items[0]!.url}?inline=1`)).status).toBe(200)
    expect((await t.request(items[1]!.url)).status).toBe(200)
  })
})

describe('one-time files', () => {
  it('exactly one of 10 parallel downloads succeeds, then the file is gone', async () => {
    const t = makeApp()
    await upload(t, bytesOf('only once'), { retention: 'one-time' })
    const { items } = await listing(t)
    // A range that ends before the last byte does not consume it.
    const part = await t.request(items[0]!.url, { headers: { Range: 'bytes=0-3' } })
    expect(await part.text()).toBe('only')
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.request(items[0]!.url)))
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 410, 410, 410, 410, 410, 410, 410, 410, 410])
    const winner = responses.find((r) => r.status === 200)!
    expect(await winner.text()).toBe('only once')
    await waitFor(async () => (await listAll(t.store, {})).length === 0)
    expect((await t.request(items[0]!.url)).status).toBe(404)
  })

  /** Uploads `only once` (9 bytes) as a one-time file; its download URL. */
  async function oneTimeFile(t: TestApp): Promise<string> {
    await upload(t, bytesOf('only once'), { retention: 'one-time' })
    return (await listing(t)).items[0]!.url
  }

  it('is consumed by a Range reaching the last byte, like a full GET', async () => {
    for (const [range, content, body] of [
      ['bytes=0-', 'bytes 0-8/9', 'only once'],
      ['bytes=5-100', 'bytes 5-8/9', 'once'],
      ['bytes=-1', 'bytes 8-8/9', 'e'],
      ['bytes=-100', 'bytes 0-8/9', 'only once'],
    ] as const) {
      const t = makeApp({ fileDownloadedWebhook: 'http://hooks.test/dl' })
      const url = await oneTimeFile(t)
      const res = await t.request(url, { headers: { Range: range } })
      expect(res.status, range).toBe(206)
      expect(res.headers.get('content-range'), range).toBe(content)
      expect(await res.text(), range).toBe(body)
      await waitFor(async () => (await listAll(t.store, {})).length === 0)
      const again = await t.request(url)
      expect(again.status, range).toBe(404)
      expect((await t.request(url, { headers: { Range: range } })).status, range).toBe(404)
      await waitFor(() => t.webhookCalls.length === 1)
      expect(t.webhookCalls[0]!.body).toMatchObject({ event: 'fileDownloaded', fid: 'bucket1' })
      expect(t.metrics.render()).toMatch(/psitransfer_downloads_total\{kind="file"\} 1\b/)
    }
  })

  it('is not consumed by ranges ending before the last byte', async () => {
    const t = makeApp({ fileDownloadedWebhook: 'http://hooks.test/dl' })
    const url = await oneTimeFile(t)
    for (const range of ['bytes=0-3', 'bytes=0-7', 'bytes=4-7', 'bytes=0-3', 'bytes=0-7']) {
      const res = await t.request(url, { headers: { Range: range } })
      expect(res.status, range).toBe(206)
      await res.arrayBuffer()
    }
    const [file] = await listAll(t.store, {})
    expect(file).toBeDefined()
    expect(t.memory.inspect(file!)?.claimed).toBe(false)
    expect(t.webhookCalls).toEqual([])
    // A resumed download finishing the file counts once and consumes it.
    const rest = await t.request(url, { headers: { Range: 'bytes=8-' } })
    expect(await rest.text()).toBe('e')
    await waitFor(async () => (await listAll(t.store, {})).length === 0)
    await waitFor(() => t.webhookCalls.length === 1)
  })

  it('gives exactly one of 10 parallel `bytes=0-` requests the file', async () => {
    const t = makeApp()
    const url = await oneTimeFile(t)
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.request(url, { headers: { Range: 'bytes=0-' } })),
    )
    expect(responses.map((r) => r.status).sort()).toEqual([206, 410, 410, 410, 410, 410, 410, 410, 410, 410])
    expect(await responses.find((r) => r.status === 206)!.text()).toBe('only once')
    await waitFor(async () => (await listAll(t.store, {})).length === 0)
    expect((await t.request(url, { headers: { Range: 'bytes=0-' } })).status).toBe(404)
  })

  it('stays downloadable when a Range download reaching the end was aborted', async () => {
    const t = makeApp()
    const size = 3 * 1024 * 1024
    await upload(t, new Uint8Array(size) as Uint8Array<ArrayBuffer>, { retention: 'one-time' })
    const { items } = await listing(t)
    const first = await t.request(items[0]!.url, { headers: { Range: 'bytes=1024-' } })
    expect(first.status).toBe(206)
    const reader = first.body!.getReader()
    await reader.read()
    await reader.cancel()
    await waitFor(async () => t.memory.inspect((await listAll(t.store, {}))[0]!)?.claimed === false)
    const second = await t.request(items[0]!.url, { headers: { Range: 'bytes=1024-' } })
    expect(second.status).toBe(206)
    expect((await second.arrayBuffer()).byteLength).toBe(size - 1024)
    await waitFor(async () => (await listAll(t.store, {})).length === 0)
  })

  it('stays downloadable when the download was aborted', async () => {
    const t = makeApp()
    await upload(t, new Uint8Array(3 * 1024 * 1024) as Uint8Array<ArrayBuffer>, { retention: 'one-time' })
    const { items } = await listing(t)
    const first = await t.request(items[0]!.url)
    expect(first.status).toBe(200)
    const reader = first.body!.getReader()
    await reader.read()
    await reader.cancel()
    await waitFor(async () => t.memory.inspect((await listAll(t.store, {}))[0]!)?.claimed === false)
    const second = await t.request(items[0]!.url)
    expect(second.status).toBe(200)
    expect((await second.arrayBuffer()).byteLength).toBe(3 * 1024 * 1024)
  })
})

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}
