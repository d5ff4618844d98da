/**
 * Share-link takeover (issue #11, item 4): an emptied bucket's id must not take someone
 * else's files, and only the bucket's uploader (its upload token) adds files or locks it.
 */
import { listAll, ManualClock, MemoryLocker } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { Sweeper } from '../sweeper.js'
import { readZip } from '../test-support/archives.js'
import {
  bytesOf,
  createRequest,
  makeApp,
  type TestApp,
  TUS,
  testConfig,
  upload,
} from '../test-support/harness.js'
import { BUCKET_MARK_KEY } from './bucket-ids.js'

const DAY = 86_400_000

/** A creation by someone who knows the share link but not the upload token. */
function strangerCreate(t: TestApp, sid: string, extra: Record<string, string> = {}) {
  return createRequest(
    { ...t, request: async (p, i) => t.app.request(p, i) },
    { sid, name: 'evil.html', ...extra },
    4,
  )
}

async function listingStatus(t: TestApp, sid: string): Promise<number> {
  return (await t.app.request(`/${sid}.json`)).status
}

/** Uploads a one-time file into `sid` and downloads it: the bucket is empty afterwards. */
async function emptiedByOneTimeDownload(t: TestApp, sid: string): Promise<void> {
  await upload(t, bytesOf('secret'), { sid, retention: 'one-time' })
  const { items } = (await (await t.app.request(`/${sid}.json`)).json()) as { items: Array<{ url: string }> }
  expect(await (await t.app.request(items[0]!.url)).text()).toBe('secret')
  for (let i = 0; i < 100 && (await listAll(t.store, { sid: sid as never })).length > 0; i++)
    await new Promise((r) => setTimeout(r, 5))
  expect(await listAll(t.store, { sid: sid as never })).toHaveLength(0)
  expect(await listingStatus(t, sid)).toBe(404)
}

describe('share-link takeover', () => {
  it('refuses a stranger upload into an emptied bucket: the old link serves nothing new', async () => {
    const t = makeApp()
    await emptiedByOneTimeDownload(t, 'shared')
    const res = await strangerCreate(t, 'shared')
    // Before: 201, and /shared.json listed the stranger's file under the old link.
    expect(res.status).toBe(403)
    expect(await res.text()).toMatch(/only its uploader can add files.*X-Bucket-Token/)
    expect(await listingStatus(t, 'shared')).toBe(404)
    expect(await listAll(t.store, { sid: 'shared' as never })).toHaveLength(0)
    // The uploader (with the token) still can.
    expect((await createRequest(t, { sid: 'shared', name: 'more.txt' }, 1)).status).toBe(201)
  })

  it('lets only the uploader add files and lock the bucket', async () => {
    const t = makeApp()
    const first = await createRequest(t, { sid: 'mine', name: 'a.txt' }, 1)
    expect(first.status).toBe(201)
    const token = first.headers.get('x-bucket-token') as string
    // 24 random bytes, base64url.
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect((await strangerCreate(t, 'mine')).status).toBe(403)
    const wrong = await t.app.request('/files/mine?lock=yes', {
      method: 'PATCH',
      headers: { 'X-Bucket-Token': 'wrong' },
    })
    expect(wrong.status).toBe(403)
    const stranger = await t.app.request('/files/mine?lock=yes', { method: 'PATCH' })
    // Before: 204, anyone who knew the link could lock the bucket.
    expect(stranger.status).toBe(403)
    const second = await createRequest(t, { sid: 'mine', name: 'b.txt' }, 1, { 'X-Bucket-Token': token })
    expect(second.status).toBe(201)
    // Only the creation that took the id hands out the token.
    expect(second.headers.get('x-bucket-token')).toBeNull()
    const lock = await t.app.request('/files/mine?lock=yes', {
      method: 'PATCH',
      headers: { 'X-Bucket-Token': token },
    })
    expect(lock.status).toBe(204)
    expect(
      (await createRequest(t, { sid: 'mine', name: 'c.txt' }, 1, { 'X-Bucket-Token': token })).status,
    ).toBe(400)
  })

  it('checks the token before the password: creation is no password oracle for strangers', async () => {
    const t = makeApp({}, { authFailDelayMs: 300 })
    expect((await createRequest(t, { sid: 'prot', name: 'a', password: 'pw' }, 1)).status).toBe(201)
    for (const password of ['pw', 'nope']) {
      const t0 = performance.now()
      const res = await strangerCreate(t, 'prot', { password })
      expect(res.status).toBe(403)
      expect(await res.text()).not.toMatch(/password/)
      // No delay and no KDF: nothing was verified.
      expect(performance.now() - t0).toBeLessThan(250)
    }
  })

  it('gives a fresh id to exactly one of two instances creating it at once', async () => {
    const shared = new MemoryStore()
    const config = testConfig()
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const instance = () =>
      createApp({
        config,
        store: shared,
        locker: new MemoryLocker(),
        clock,
        authFailDelayMs: 0,
        webRoot: null,
      })
    const apps = [instance(), instance(), instance()]
    const results = await Promise.all(
      apps.flatMap((app) =>
        [1, 2].map(() =>
          app.request('/files/', {
            method: 'POST',
            headers: {
              ...TUS,
              'Upload-Length': '1',
              'Upload-Metadata': `sid ${btoa('race')},name ${btoa('r.txt')}`,
            },
          }),
        ),
      ),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([201, 403, 403, 403, 403, 403])
    const tokens = results.map((r) => r.headers.get('x-bucket-token')).filter(Boolean)
    expect(tokens).toHaveLength(1)
    // The winner's token works on every instance.
    for (const app of apps) {
      const res = await app.request('/files/', {
        method: 'POST',
        headers: {
          ...TUS,
          'Upload-Length': '1',
          'Upload-Metadata': `sid ${btoa('race')},name ${btoa('more.txt')}`,
          'X-Bucket-Token': tokens[0] as string,
        },
      })
      expect(res.status).toBe(201)
    }
  })

  it('takes a token the client proposes: a lost answer can be repeated, parallel first files all pass', async () => {
    const shared = new MemoryStore()
    const config = testConfig()
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const apps = [1, 2, 3].map(() =>
      createApp({
        config,
        store: shared,
        locker: new MemoryLocker(),
        clock,
        authFailDelayMs: 0,
        webRoot: null,
      }),
    )
    const token = 'Client-made_token-0123456789abcdef'
    const create = (app: (typeof apps)[number], name: string, headers: Record<string, string>) =>
      app.request('/files/', {
        method: 'POST',
        headers: {
          ...TUS,
          'Upload-Length': '1',
          'Upload-Metadata': `sid ${btoa('own')},name ${btoa(name)}`,
          ...headers,
        },
      })
    // Three files of one new bucket at once, on three instances, all with the client's token.
    const first = await Promise.all(apps.map((app, i) => create(app, `f${i}`, { 'X-Bucket-Token': token })))
    expect(first.map((r) => r.status)).toEqual([201, 201, 201])
    expect(first.map((r) => r.headers.get('x-bucket-token')).filter(Boolean)).toContain(token)
    // The answer of a creation was lost: the client repeats it with its token (before: 403
    // forever, the id was burnt for its own uploader).
    expect((await create(apps[0]!, 'again', { 'X-Bucket-Token': token })).status).toBe(201)
    // A stranger still gets nothing; a malformed proposal for a new bucket is the client's error.
    expect(
      (await create(apps[1]!, 'evil', { 'X-Bucket-Token': 'Another-token-0123456789abcdef' })).status,
    ).toBe(403)
    const bad = await apps[2]!.request('/files/', {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Length': '1',
        'Upload-Metadata': `sid ${btoa('other')},name ${btoa('x')}`,
        'X-Bucket-Token': 'short',
      },
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toMatch(/X-Bucket-Token of a new bucket must be 22 to 128 base64url/)
  })

  it('frees the id once its mark expired at maxAge (and the sweeper removes the mark)', async () => {
    const t = makeApp({ maxAge: 86_400 })
    await emptiedByOneTimeDownload(t, 'old')
    t.clock.advance(DAY - 1000)
    expect((await strangerCreate(t, 'old')).status).toBe(403)
    t.clock.advance(1000)
    const sweeper = new Sweeper({
      store: t.rawStore,
      locker: new MemoryLocker(),
      clock: t.clock,
      logger: t.logger,
      intervalMs: 1000,
    })
    expect((await sweeper.runOnce()).deleted).toBe(1)
    expect(await listAll(t.rawStore, { sid: 'old' as never })).toHaveLength(0)
    const fresh = await strangerCreate(t, 'old')
    expect(fresh.status).toBe(201)
    expect(fresh.headers.get('x-bucket-token')).toMatch(/^[A-Za-z0-9_-]{32}$/)
  })

  it('replaces an expired mark the sweeper has not removed yet', async () => {
    const t = makeApp({ maxAge: 86_400 })
    await emptiedByOneTimeDownload(t, 'old')
    t.clock.advance(DAY)
    expect((await strangerCreate(t, 'old')).status).toBe(201)
    expect(await listAll(t.rawStore, { sid: 'old' as never })).toHaveLength(2)
  })

  it('keeps the id taken while a later file lives beyond the mark', async () => {
    const t = makeApp({ maxAge: 86_400 })
    await upload(t, bytesOf('first'), { sid: 'long', retention: 'one-time' })
    t.clock.advance(DAY / 2)
    await upload(t, bytesOf('later'), { sid: 'long', name: 'later.txt', retention: 'one-time' })
    t.clock.advance(DAY / 2)
    // The mark expired, a file lives: nobody may add (strangers never; the token died with the mark).
    expect(await listingStatus(t, 'long')).toBe(200)
    expect((await strangerCreate(t, 'long')).status).toBe(403)
    t.clock.advance(DAY / 2)
    expect((await strangerCreate(t, 'long')).status).toBe(201)
  })

  it('keeps the mark when an admin deletes the bucket', async () => {
    const t = makeApp({ adminPass: 'root' })
    await upload(t, bytesOf('x'), { sid: 'gone' })
    const del = await t.request('/admin/buckets/gone', { method: 'DELETE', headers: { 'x-passwd': 'root' } })
    expect(del.status).toBe(204)
    expect((await strangerCreate(t, 'gone')).status).toBe(403)
    expect(await listingStatus(t, 'gone')).toBe(404)
  })

  it('answers curl PUT with the token of its new bucket', async () => {
    const t = makeApp()
    const res = await t.app.request('/a.txt', { method: 'PUT', body: 'abc' })
    expect(res.status).toBe(201)
    const sid = (await res.text()).split('\n')[0]?.split('/').pop() as string
    const token = res.headers.get('x-bucket-token') as string
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect((await strangerCreate(t, sid)).status).toBe(403)
    // PUT buckets are locked at once: even the uploader adds nothing.
    expect((await createRequest(t, { sid, name: 'b' }, 1, { 'X-Bucket-Token': token })).status).toBe(400)
  })

  it('never shows marks: listing, admin data, archives, downloads, bucket totals', async () => {
    const t = makeApp({ adminPass: 'root', maxBucketSize: 10 })
    await upload(t, bytesOf('0123456789'), { sid: 'full' })
    const raw = await listAll(t.rawStore, { sid: 'full' as never })
    expect(raw.map((m) => m.key)).toContain(BUCKET_MARK_KEY)
    // The mark counts nothing: the 10 bytes fill the bucket exactly (one more byte is refused).
    expect((await createRequest(t, { sid: 'full', name: 'x' }, 1)).status).toBe(413)
    expect((await createRequest(t, { sid: 'full', name: 'empty' }, 0)).status).toBe(201)
    const listing = (await (await t.app.request('/full.json')).json()) as {
      items: Array<{ name: string }>
      zipUrl: string
    }
    expect(listing.items.map((i) => i.name).sort()).toEqual(['empty', 'file.txt'])
    const zip = readZip(Buffer.from(await (await t.app.request(listing.zipUrl)).arrayBuffer()))
    expect([...zip.keys()].sort()).toEqual(['empty', 'file.txt'])
    const admin = (await (
      await t.app.request('/api/admin/data.json', { headers: { 'x-passwd': 'root' } })
    ).json()) as { totals: { buckets: number; files: number; bytes: number } }
    expect(admin.totals).toEqual({ buckets: 1, files: 2, bytes: 10 })
    expect(JSON.stringify(admin)).not.toMatch(/psitransfer-bucket|tokenSha256/)
    for (const method of ['GET', 'HEAD']) {
      expect((await t.app.request(`/files/full++${BUCKET_MARK_KEY}`, { method })).status).toBe(404)
    }
    const tusHead = await t.app.request(`/files/full++${BUCKET_MARK_KEY}`, { method: 'HEAD', headers: TUS })
    expect(tusHead.status).toBe(404)
    const patch = await t.app.request(`/files/full++${BUCKET_MARK_KEY}`, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: 'x',
    })
    expect(patch.status).toBe(404)
    expect(
      (
        await t.request(`/admin/files/full++${BUCKET_MARK_KEY}`, {
          method: 'DELETE',
          headers: { 'x-passwd': 'root' },
        })
      ).status,
    ).toBe(404)
    expect(await listAll(t.rawStore, { sid: 'full' as never })).toHaveLength(3)
  })
})
