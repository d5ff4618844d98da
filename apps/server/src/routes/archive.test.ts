import { listAll } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { readTarGz, readZip } from '../test-support/archives.js'
import { bytesOf, makeApp, sha256, type TestApp, upload } from '../test-support/harness.js'

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

describe('archives', () => {
  async function bucketWithFiles(t: TestApp) {
    const files = [
      { name: 'a.txt', data: 'alpha', relativePath: '' },
      { name: 'a.txt', data: 'alpha two', relativePath: '' },
      { name: 'b.bin', data: 'x'.repeat(100_000), relativePath: 'photos/2024' },
      { name: 'A.TXT', data: 'upper', relativePath: '' },
    ]
    for (const f of files) {
      t.clock.advance(10)
      await upload(t, bytesOf(f.data), { name: f.name, relativePath: f.relativePath })
    }
    return files
  }

  it('streams a zip with folders and unique names', async () => {
    const t = makeApp()
    await bucketWithFiles(t)
    const { zipUrl } = await listing(t)
    const res = await t.request(zipUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/zip')
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="bucket1.zip"')
    const entries = readZip(new Uint8Array(await res.arrayBuffer()))
    expect(Object.fromEntries([...entries].map(([k, v]) => [k, v.toString()]))).toEqual({
      'a.txt': 'alpha',
      'a (2).txt': 'alpha two',
      'photos/2024/b.bin': 'x'.repeat(100_000),
      'A (3).TXT': 'upper',
    })
  })

  it('streams a tar.gz with the same content', async () => {
    const t = makeApp()
    const files = await bucketWithFiles(t)
    const { tarGzUrl } = await listing(t)
    const res = await t.request(tarGzUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/gzip')
    const entries = readTarGz(new Uint8Array(await res.arrayBuffer()))
    expect(sha256(entries.get('photos/2024/b.bin')!)).toBe(sha256(bytesOf(files[2]!.data)))
    expect([...entries.keys()].sort()).toEqual(['A (3).TXT', 'a (2).txt', 'a.txt', 'photos/2024/b.bin'])
  })

  it('404s on a stale token, accepts the legacy md5 token, answers HEAD', async () => {
    const t = makeApp()
    await upload(t, bytesOf('x'))
    const { zipUrl, items } = await listing(t)
    expect((await t.request('/files/bucket1++0123456789abcdef0123456789abcdef.zip')).status).toBe(404)
    const md5 = (await import('node:crypto')).createHash('md5').update(items[0]!.key).digest('hex')
    expect((await t.request(`/files/bucket1++${md5}.tar.gz`)).status).toBe(200)
    const head = await t.request(zipUrl, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe('application/zip')
  })

  it('consumes one-time files only when the archive completed', async () => {
    const t = makeApp({ fileDownloadedWebhook: 'http://hooks.test/dl' })
    await upload(t, bytesOf('keep'), { name: 'keep.txt' })
    await upload(t, bytesOf('once'), { name: 'once.txt', retention: 'one-time' })
    const { zipUrl } = await listing(t)
    const entries = readZip(new Uint8Array(await (await t.request(zipUrl)).arrayBuffer()))
    expect([...entries.keys()].sort()).toEqual(['keep.txt', 'once.txt'])
    await waitFor(async () => (await listAll(t.store, {})).length === 1)
    await waitFor(async () => t.webhookCalls.some((c) => c.body.event === 'archiveDownloaded'))
  })
})

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}
