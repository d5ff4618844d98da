import { DOWNLOAD_CLAIMS_KEY, listAll } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { readZip } from '../test-support/archives.js'
import { bytesOf, makeApp, type TestApp, upload } from '../test-support/harness.js'

interface Listing {
  items: Array<{ name: string; url: string; downloadsLeft: number | null }>
  zipUrl: string
}

async function listing(t: TestApp): Promise<Listing> {
  return (await (await t.request('/bucket1.json')).json()) as Listing
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('download limits', () => {
  it('refuses a bad maxDownloads and never takes claims from the client', async () => {
    const t = makeApp()
    await expect(upload(t, bytesOf('x'), { metadata: { maxDownloads: '0' } })).rejects.toThrow(/400/)
    await upload(t, bytesOf('x'), { metadata: { maxDownloads: '2', [DOWNLOAD_CLAIMS_KEY]: '1,2,3' } })
    const [file] = await listAll(t.store, {})
    expect(file?.extra).toEqual({ maxDownloads: '2' })
    expect((await listing(t)).items[0]?.downloadsLeft).toBe(2)
  })

  it('an archive counts each limited file once; the last allowed download deletes it', async () => {
    const t = makeApp({ fileDownloadedWebhook: 'http://hooks.test/dl' })
    await upload(t, bytesOf('free'), { name: 'free.txt' })
    await upload(t, bytesOf('twice'), { name: 'twice.txt', metadata: { maxDownloads: '2' } })
    const first = await listing(t)
    const zip = readZip(new Uint8Array(await (await t.request(first.zipUrl)).arrayBuffer()))
    expect([...zip.keys()].sort()).toEqual(['free.txt', 'twice.txt'])
    await waitFor(
      async () => (await listing(t)).items.find((i) => i.name === 'twice.txt')?.downloadsLeft === 1,
    )
    // The single file once more: its last download.
    const twice = (await listing(t)).items.find((i) => i.name === 'twice.txt')!
    expect(await (await t.request(twice.url)).text()).toBe('twice')
    await waitFor(async () => (await listAll(t.store, {})).length === 1)
    expect((await t.request(twice.url)).status).toBe(404)
    // The archive of what is left still works (a new token: the bucket changed).
    const left = await listing(t)
    expect(left.items.map((i) => i.name)).toEqual(['free.txt'])
    expect((await t.request(left.zipUrl)).status).toBe(200)
  })

  it('a download that breaks off gives its slot back', async () => {
    const t = makeApp()
    const size = 3 * 1024 * 1024
    await upload(t, new Uint8Array(size) as Uint8Array<ArrayBuffer>, { metadata: { maxDownloads: '1' } })
    const { items } = await listing(t)
    const first = await t.request(items[0]!.url)
    expect(first.status).toBe(200)
    // While it runs, its claim takes the only slot.
    expect((await t.request(items[0]!.url)).status).toBe(410)
    const reader = first.body!.getReader()
    await reader.read()
    await reader.cancel()
    await waitFor(async () => (await listAll(t.store, {}))[0]?.extra[DOWNLOAD_CLAIMS_KEY] === undefined)
    const second = await t.request(items[0]!.url)
    expect(second.status).toBe(200)
    expect((await second.arrayBuffer()).byteLength).toBe(size)
    await waitFor(async () => (await listAll(t.store, {})).length === 0)
  })
})
