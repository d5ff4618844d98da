/**
 * An upload whose bytes are all there but whose completion never ran (the process died between
 * its last append and complete()): every place that touches it completes it first, once, with
 * the TUS endpoint's hooks (webhook, retention expiry), and nothing reports it before that.
 */
import {
  encodeUploadMetadata,
  type FileRef,
  formatFileRef,
  MemoryLocker,
  parseFileRef,
} from '@psitransfer/core'
import { chunked } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { archiveToken } from '../bucket.js'
import { createDeps } from '../deps.js'
import { silentLogger } from '../logger.js'
import { Sweeper } from '../sweeper.js'
import { bytesOf, makeApp, type TestApp, TUS, testConfig } from '../test-support/harness.js'
import { WebhookSender } from '../webhooks.js'
import { completedOrAsIs, missedCompletionHooks, runMissedCompletionHooks } from './complete.js'

const HOOK = 'http://hooks.test/uploaded'
const DATA = bytesOf('all of the bytes, never completed')

/** Creates an upload over TUS, then writes all its bytes straight into the store (no complete). */
async function crashedUpload(t: TestApp, sid = 'bucket1'): Promise<{ id: string; ref: FileRef }> {
  const created = await t.request('/files/', {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Length': String(DATA.byteLength),
      'Upload-Metadata': encodeUploadMetadata({ sid, name: 'a.txt', retention: '3600' }),
    },
  })
  expect(created.status).toBe(201)
  const location = created.headers.get('location') as string
  const id = location.slice(location.lastIndexOf('/') + 1)
  const ref = parseFileRef(id)
  await t.store.append(ref, chunked(DATA, [7]), 0)
  expect(await t.store.info(ref)).toMatchObject({ offset: DATA.byteLength, complete: false })
  return { id, ref }
}

async function uploadedHooks(t: TestApp): Promise<number> {
  await new Promise((r) => setTimeout(r, 20))
  return t.webhookCalls.filter((c) => c.url === HOOK).length
}

describe('completing uploads whose completion never ran', () => {
  it('a download completes it first: the bytes, the webhook once, the retention expiry', async () => {
    const t = makeApp({ fileUploadedWebhook: HOOK, uploadExpiry: 600 })
    const { id, ref } = await crashedUpload(t)
    const before = await t.store.info(ref)
    const res = await t.request(`/files/${id}`)
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(DATA)
    const after = await t.store.info(ref)
    expect(after.complete).toBe(true)
    // The unfinished upload's short expiry gave way to the retention (an hour).
    expect(after.expiresAt).toBe(after.createdAt + 3600_000)
    expect(after.expiresAt).not.toBe(before.expiresAt)
    expect((await t.request(`/files/${id}`)).status).toBe(200)
    expect((await t.request(`/files/${id}`, { method: 'HEAD', headers: TUS })).status).toBe(200)
    expect(await uploadedHooks(t)).toBe(1)
  })

  it('the bucket listing, the admin listing and the archive complete it', async () => {
    const t = makeApp({ fileUploadedWebhook: HOOK, adminPass: 'root' })
    const a = await crashedUpload(t)
    const listing = await t.request('/bucket1.json')
    expect(listing.status).toBe(200)
    expect(((await listing.json()) as { items: Array<{ key: string }> }).items.map((i) => i.key)).toEqual([
      a.ref.key,
    ])

    const b = await crashedUpload(t, 'other')
    const admin = await t.request('/api/admin/data.json', { headers: { 'x-passwd': 'root' } })
    const data = (await admin.json()) as {
      buckets: Array<{ files: Array<{ key: string; complete: boolean }> }>
    }
    const files = data.buckets.flatMap((x) => x.files)
    expect(files.find((f) => f.key === b.ref.key)?.complete).toBe(true)
    expect((await t.store.info(b.ref)).complete).toBe(true)

    const c = await crashedUpload(t, 'third')
    const token = archiveToken([await t.store.info(c.ref)])
    const zip = await t.request(`/files/third++${token}.zip`)
    expect(zip.status).toBe(200)
    await zip.arrayBuffer()
    expect((await t.store.info(c.ref)).complete).toBe(true)
    expect(await uploadedHooks(t)).toBe(3)
  })

  it('while its lock is held (a crashed instance): the download answers 423, the listing leaves it out', async () => {
    const locker = new MemoryLocker()
    const t = makeApp({}, { locker })
    const { id, ref } = await crashedUpload(t)
    const dead = await locker.lock(formatFileRef(ref))
    const res = await t.request(`/files/${id}`)
    expect(res.status).toBe(423)
    expect(res.headers.get('retry-after')).toBe('1')
    expect((await t.request('/bucket1.json')).status).toBe(404)
    expect((await t.store.info(ref)).complete).toBe(false)
    await dead.release()
    expect((await t.request(`/files/${id}`)).status).toBe(200)
  }, 30_000)

  it('the sweeper completes it', async () => {
    const t = makeApp({ fileUploadedWebhook: HOOK })
    const { ref } = await crashedUpload(t)
    const deps = createDeps({
      config: testConfig({ fileUploadedWebhook: HOOK }),
      store: t.store,
      locker: new MemoryLocker(),
      clock: t.clock,
      logger: silentLogger,
      webRoot: null,
    })
    const sweeper = new Sweeper({
      store: t.store,
      locker: deps.locker,
      clock: t.clock,
      logger: silentLogger,
      intervalMs: 60_000,
      complete: (meta) => completedOrAsIs(deps, meta, 0),
    })
    expect(await sweeper.runOnce()).toMatchObject({ completed: 1, deleted: 0 })
    expect((await t.store.info(ref)).complete).toBe(true)
    expect(await sweeper.runOnce()).toMatchObject({ completed: 0 })
  })

  it('the sweeper runs the hooks of a file a crash left complete without them, before it expires early', async () => {
    // The filesystem store reports a file complete by its size: a crash between its last byte
    // and complete() leaves it complete, with the unfinished uploads' expiry (10 min here, the
    // retention is an hour) and no webhook. Played here by completing it in the store directly.
    const webhookCalls: string[] = []
    const webhooks = new WebhookSender({
      logger: silentLogger,
      backoffMs: 1,
      fetch: (async (url: string | URL | Request) => {
        webhookCalls.push(String(url))
        return new Response(null, { status: 204 })
      }) as typeof fetch,
    })
    const t = makeApp({ fileUploadedWebhook: HOOK, uploadExpiry: 600 })
    const { ref } = await crashedUpload(t)
    await t.store.complete(ref)
    const before = await t.store.info(ref)
    expect(before.expiresAt).toBe(before.createdAt + 600_000)
    const config = testConfig({ fileUploadedWebhook: HOOK, uploadExpiry: 600 })
    const deps = createDeps({
      config,
      store: t.store,
      locker: new MemoryLocker(),
      clock: t.clock,
      logger: silentLogger,
      webhooks,
      webRoot: null,
    })
    const sweeper = new Sweeper({
      store: t.store,
      locker: deps.locker,
      clock: t.clock,
      logger: silentLogger,
      intervalMs: 60_000,
      complete: (meta) => completedOrAsIs(deps, meta, 0),
      completionHooks: {
        missed: (meta) => missedCompletionHooks(meta, config),
        run: (meta) => runMissedCompletionHooks(deps, meta),
      },
    })
    // Past the short expiry, within the retention: before, the sweeper deleted the file.
    t.clock.advance(700_000)
    expect(await sweeper.runOnce()).toMatchObject({ completed: 1, deleted: 0 })
    expect((await t.store.info(ref)).expiresAt).toBe(before.createdAt + 3600_000)
    await new Promise((r) => setTimeout(r, 20))
    expect(webhookCalls).toEqual([HOOK])
    // Once: the next rounds find nothing to do, and the file expires with its retention.
    expect(await sweeper.runOnce()).toMatchObject({ completed: 0, deleted: 0 })
    t.clock.advance(3600_000)
    expect(await sweeper.runOnce()).toMatchObject({ completed: 0, deleted: 1 })
    expect(webhookCalls).toEqual([HOOK])
  })
})
