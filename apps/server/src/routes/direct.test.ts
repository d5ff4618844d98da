/**
 * Direct-to-S3 uploads through the app's routes, against the real S3 server (the local Ceph
 * RGW of scripts/s3/rgw.sh, or PSI_S3_*): parts go from this test straight to S3 over the URLs
 * the server signs, as the browser sends them.
 */
import { randomBytes } from 'node:crypto'
import { formatFileRef, type Locker, ManualClock, parseFileRef, type Store } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openApiDocument } from '../api/openapi.js'
import { buildApp } from '../app.js'
import { createDeps } from '../deps.js'
import { createMemoryLogger } from '../logger.js'
import { lockerFor, registryFor } from '../stores.js'
import { Sweeper } from '../sweeper.js'
import { apiContract } from '../test-support/contract.js'
import { testConfig } from '../test-support/harness.js'
import { type S3Server, s3Server, s3Storage } from '../test-support/rgw.js'
import { completedOrAsIs } from '../upload/complete.js'
import { WebhookSender } from '../webhooks.js'

const MiB = 1024 * 1024
const contract = apiContract(openApiDocument('/'))
const PART = 5 * MiB
let s3: S3Server
const stores: Store[] = []

beforeAll(async () => {
  s3 = await s3Server()
}, 16 * 60_000)

afterAll(async () => {
  for (const s of stores) await s.close?.()
  await s3?.release()
})

interface Setup {
  overrides?: Record<string, unknown>
  /** Sent with every request of the uploader about an upload (the upload password). */
  always?: Record<string, string>
  direct?: boolean
}

async function setup({ overrides = {}, direct = true, always = {} }: Setup = {}) {
  const config = testConfig({
    uploadExpiry: 3600,
    fileUploadedWebhook: 'http://hooks.test/uploaded',
    ...overrides,
    storage: s3Storage(s3, `psi-direct-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`, {
      partSize: PART,
      directUpload: direct,
    }),
  })
  const registry = await registryFor('s3')
  const store = await registry.create(config.storage, {})
  stores.push(store)
  const locker: Locker = await lockerFor('s3', store)
  const clock = new ManualClock(Date.now())
  const logger = createMemoryLogger()
  const hooks: Array<Record<string, unknown>> = []
  const webhooks = new WebhookSender({
    logger,
    backoffMs: 1,
    fetch: (async (_url: string | URL | Request, init?: RequestInit) => {
      hooks.push(JSON.parse(String(init?.body)))
      return new Response(null, { status: 204 })
    }) as typeof fetch,
  })
  const deps = createDeps({
    config,
    store,
    locker,
    clock,
    logger,
    webhooks,
    authFailDelayMs: 0,
    webRoot: null,
  })
  const { app } = buildApp(deps)
  const sweeper = new Sweeper({
    store,
    locker,
    clock,
    logger,
    intervalMs: 60_000,
    complete: (meta) => completedOrAsIs(deps, meta, 0),
  })
  const tokens = new Map<string, string>()
  // Every answer of the direct routes is checked against the OpenAPI document, on real S3.
  const request = async (path: string, init: RequestInit = {}) => {
    const res = await app.request(path, init)
    if (path.startsWith('/api/direct')) await contract.check(res.clone(), init.method ?? 'GET', path)
    return res
  }
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return {
    app,
    store,
    clock,
    hooks,
    sweeper,
    tokens,
    request,
    /** A creation into `sid` as its uploader (keeps and sends the bucket token). */
    async create(sid: string, size: number, metadata: Record<string, string> = {}, headers = {}) {
      const init = json({ size, metadata: { sid, name: 'big.bin', retention: '3600', ...metadata } })
      const token = tokens.get(sid)
      const res = await request('/api/direct/', {
        ...init,
        headers: { ...init.headers, ...(token ? { 'x-bucket-token': token } : {}), ...headers },
      })
      const given = res.headers.get('x-bucket-token')
      if (given) tokens.set(sid, given)
      return res
    },
    /** A request of the uploader about upload `id`. */
    async call(id: string, path: string, init: RequestInit = {}) {
      const sid = parseFileRef(id).sid
      const headers = new Headers(init.headers)
      for (const [k, v] of Object.entries(always)) headers.set(k, v)
      const token = tokens.get(sid)
      if (token) headers.set('x-bucket-token', token)
      return request(`/api/direct/${id}${path}`, { ...init, headers })
    },
    json,
  }
}

type App = Awaited<ReturnType<typeof setup>>

function pattern(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** Signs and PUTs `numbers` of `data` as the browser does. */
async function sendParts(
  t: App,
  id: string,
  data: Uint8Array<ArrayBuffer>,
  partSize: number,
  numbers: number[],
) {
  const res = await t.call(id, '/parts', t.json({ partNumbers: numbers }))
  expect(res.status).toBe(200)
  const { urls, expiresIn } = (await res.json()) as {
    urls: Array<{ partNumber: number; url: string }>
    expiresIn: number
  }
  expect(expiresIn).toBeGreaterThan(0)
  for (const { partNumber, url } of urls) {
    const body = data.subarray((partNumber - 1) * partSize, Math.min(data.byteLength, partNumber * partSize))
    const put = await fetch(url, { method: 'PUT', body })
    expect(put.status).toBe(200)
  }
}

describe('direct-to-S3 uploads', () => {
  it('are not offered without storage.directUpload: config.json says null, the routes 404', async () => {
    const t = await setup({ direct: false })
    const config = (await (await t.request('/config.json')).json()) as Record<string, unknown>
    expect(config.directUpload).toBeNull()
    expect((await t.create('aaaaaaaaaaaaaaaaaaaaaa', 10)).status).toBe(404)
  })

  it('create, sign, resume from the listed parts, complete: a normal file, downloaded byte-exact', async () => {
    const t = await setup({ overrides: { uploadPass: 'up' }, always: { 'x-passwd': 'up' } })
    const pass = { 'x-passwd': 'up' }
    const config = (await (await t.request('/config.json', { headers: pass })).json()) as Record<
      string,
      unknown
    >
    expect(config.directUpload).toEqual({ endpoint: '/api/direct/', minSize: 64 * MiB })
    // The page may connect to S3 (the part PUTs), and only there besides itself.
    const csp = (await t.request('/', { headers: pass })).headers.get('content-security-policy')
    expect(csp).toContain(`connect-src 'self' ${new URL(s3.endpoint).origin};`)
    const sid = 'directbucketaaaaaaaaaa'
    expect((await t.create(sid, 3 * PART)).status).toBe(401)
    const size = 2 * PART + 777
    const res = await t.create(sid, size, {}, pass)
    expect(res.status).toBe(201)
    const plan = (await res.json()) as { id: string; partSize: number; partCount: number; expiresAt: number }
    expect(plan).toMatchObject({ partSize: PART, partCount: 3 })
    expect(t.tokens.get(sid)).toBeTruthy()
    const data = pattern(size, 1)

    // A stranger (no bucket token) may neither sign nor list nor complete.
    const stranger = await t.request(`/api/direct/${plan.id}/parts`, {
      ...t.json({ partNumbers: [1] }),
      headers: { ...t.json({}).headers, ...pass },
    })
    expect(stranger.status).toBe(403)

    await sendParts(t, plan.id, data, plan.partSize, [1, 3])
    // "Reload": the client asks what S3 holds and sends the rest.
    const status = (await (await t.call(plan.id, '', { headers: pass })).json()) as {
      parts: Array<{ partNumber: number }>
      size: number
      complete: boolean
    }
    expect(status).toMatchObject({ size, complete: false, partCount: 3, partSize: PART })
    expect(status.parts.map((p) => p.partNumber)).toEqual([1, 3])
    const early = await t.call(plan.id, '/complete', { method: 'POST', headers: pass })
    expect(early.status).toBe(400)
    expect(await early.json()).toMatchObject({ code: 'INVALID_INPUT', message: '1 of 3 parts are missing' })
    // Not listed while unfinished: the bucket has no file yet.
    const before = await t.request(`/${sid}.json`)
    expect(before.status, await before.text()).toBe(404)

    // TUS cannot continue it, not even its uploader: each way in continues only its own uploads.
    const tusHead = await t.request(`/files/${plan.id}`, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0', 'X-Bucket-Token': t.tokens.get(sid) as string, ...pass },
    })
    expect(tusHead.status).toBe(400)

    await sendParts(t, plan.id, data, plan.partSize, [2])
    const done = await t.call(plan.id, '/complete', { method: 'POST', headers: pass })
    expect(done.status).toBe(200)
    expect(await done.json()).toMatchObject({ key: parseFileRef(plan.id).key, size })
    // Completing again is harmless (a retried request whose answer was lost).
    expect((await t.call(plan.id, '/complete', { method: 'POST', headers: pass })).status).toBe(200)

    const listed = await t.request(`/${sid}.json`)
    expect(listed.status).toBe(200)
    expect(JSON.stringify(await listed.json())).toContain(parseFileRef(plan.id).key)
    const info = await t.store.info(parseFileRef(plan.id))
    // The retention's expiry replaced the shorter one of unfinished uploads.
    expect(info.expiresAt).toBe(info.createdAt + 3600 * 1000)
    await new Promise((r) => setTimeout(r, 50))
    expect(t.hooks).toHaveLength(1)
    expect(t.hooks[0]).toMatchObject({ metadata: { key: parseFileRef(plan.id).key } })

    const download = await t.request(`/files/${plan.id}`)
    expect(download.status).toBe(302)
    const bytes = new Uint8Array(await (await fetch(download.headers.get('location') ?? '')).arrayBuffer())
    expect(Buffer.from(bytes).equals(Buffer.from(data))).toBe(true)
    // Finished: no more URLs, no abort.
    expect(
      (
        await t.call(plan.id, '/parts', {
          ...t.json({ partNumbers: [1] }),
          headers: { ...t.json({}).headers, ...pass },
        })
      ).status,
    ).toBe(400)
    expect((await t.call(plan.id, '', { method: 'DELETE', headers: pass })).status).toBe(405)
  })

  it('applies the bucket rules of TUS uploads: sizes, password, one uploader, lock', async () => {
    const t = await setup({ overrides: { maxFileSize: 4 * PART, maxBucketSize: 5 * PART } })
    const sid = 'rulesbucketaaaaaaaaaaa'
    expect((await t.create(sid, 4 * PART + 1)).status).toBe(413)
    const first = await t.create(sid, 3 * PART, { password: 'secret' })
    expect(first.status).toBe(201)
    expect((await t.create(sid, 3 * PART, { password: 'secret' })).status).toBe(413)
    expect((await t.create(sid, PART)).status).toBe(400)
    expect((await t.create(sid, PART, { password: 'wrong' })).status).toBe(400)
    expect((await t.create(sid, PART, { password: 'secret' })).status).toBe(201)
    // Another uploader's creation into the bucket (without its token) is refused.
    const stranger = await t.request(
      '/api/direct',
      t.json({ size: PART, metadata: { sid, name: 'x', password: 'secret' } }),
    )
    expect(stranger.status).toBe(403)
    // The uploader locks the bucket (TUS lock PATCH): no more creations.
    const lock = await t.request(`/files/${sid}?lock=yes`, {
      method: 'PATCH',
      headers: { 'x-bucket-token': t.tokens.get(sid) ?? '', 'Tus-Resumable': '1.0.0' },
    })
    expect(lock.status).toBe(204)
    expect((await t.create(sid, PART, { password: 'secret' })).status).toBe(400)
    // Bad input.
    expect((await t.create(sid, 0)).status).toBe(400)
    expect((await t.request('/api/direct', { method: 'POST', body: 'nope' })).status).toBe(400)
  })

  it('DELETE aborts; the sweeper deletes abandoned uploads and completes full ones', async () => {
    const t = await setup({ overrides: { uploadExpiry: 600 } })
    const sid = 'sweepbucketaaaaaaaaaaa'
    const a = (await (await t.create(sid, 2 * PART)).json()) as { id: string; partSize: number }
    const b = (await (await t.create(sid, 2 * PART)).json()) as { id: string; partSize: number }
    const c = (await (await t.create(sid, PART + 1)).json()) as { id: string; partSize: number }
    await sendParts(t, a.id, pattern(2 * PART, 2), a.partSize, [1])
    await sendParts(t, c.id, pattern(PART + 1, 3), c.partSize, [1, 2])

    expect((await t.call(b.id, '', { method: 'DELETE' })).status).toBe(204)
    expect((await t.call(b.id, '')).status).toBe(404)

    // c has all its parts but its client never completed it: the sweeper does.
    expect(await t.sweeper.runOnce()).toMatchObject({ completed: 1, deleted: 0 })
    expect((await t.store.info(parseFileRef(c.id))).complete).toBe(true)
    // a is abandoned: once unfinished uploads expire, it is deleted and its multipart upload aborted.
    t.clock.advance(601 * 1000)
    expect(await t.sweeper.runOnce()).toMatchObject({ deleted: 1 })
    await expect(t.store.info(parseFileRef(a.id))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const direct = t.store.directUpload
    expect(direct).toBeDefined()
    await expect(direct?.status(parseFileRef(a.id))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(formatFileRef(parseFileRef(a.id))).toBe(a.id)
  })

  it('answered as the OpenAPI document says (the requests above were checked one by one)', () => {
    expect([...contract.checked].filter((k) => / 2\d\d$/.test(k)).sort()).toEqual([
      'delete /api/direct/{id} 204',
      'get /api/direct/{id} 200',
      'post /api/direct/ 201',
      'post /api/direct/{id}/complete 200',
      'post /api/direct/{id}/parts 200',
    ])
  })
})
