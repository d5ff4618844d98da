/**
 * Bucket rules across server instances: three servers share one bucket of a real S3 server (a
 * local Ceph RADOS Gateway started by scripts/s3/rgw.sh, or the server named by PSI_S3_*), and
 * then one Azure container (Azurite, or PSI_AZURE_CONNECTION_STRING), each wired as main.ts
 * wires it (configured by PSITRANSFER_* variables, the store's own locker).
 * Requests for one bucket are spread over the instances, as a load balancer without sticky
 * sessions would: `maxBucketSize`, the bucket lock and the one-uploader rule must hold as on one
 * server, with no cache window, a one-time file must be served once, a file limited to N downloads
 * N times, manage-link edits hold everywhere at once, and the first-download notice goes out once.
 * See docs/many-instances.md.
 */
import { randomBytes } from 'node:crypto'
import { systemClock } from '@psitransfer/core'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM script without types (store-azure's Azurite starter, shared with its tests)
import { startAzurite } from '../../../packages/store-azure/scripts/azurite.mjs'
import { type RunningServer, startServer } from './server.js'
import { loadServerConfig } from './stores.js'
import { sha256 } from './test-support/harness.js'
import { firstDownloadNotice } from './test-support/notice.js'
import { requestLimitsInParallel, requestNoticeAcrossInstances } from './test-support/requests.js'
import { type S3Server, s3Server, s3StorageEnv } from './test-support/rgw.js'
import { limitedDownloads, manageLink, unlimitedCounts } from './test-support/sharing.js'
import { type SmtpSink, startSmtpSink } from './test-support/smtp-sink.js'

const MAX_BUCKET = 10_000
/** `maxAge` of the instances (seconds): the manage link extends expiry up to it. */
const MAX_AGE = 30 * 24 * 3600
const prefix = `psi-many-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`

interface Backend {
  name: string
  /** The store's PSITRANSFER_STORAGE_* variables, and how to let go of the server afterwards. */
  start(): Promise<{ env: Record<string, string>; stop(): Promise<void> }>
}

const backends: Backend[] = [
  {
    name: 'one S3 bucket (RGW)',
    async start() {
      const s3: S3Server = await s3Server()
      return {
        env: s3StorageEnv(s3),
        stop: s3.release,
      }
    },
  },
  {
    name: 'one Azure container (Azurite)',
    async start() {
      const external = process.env.PSI_AZURE_CONNECTION_STRING
      const azurite = external
        ? { connectionString: external, stop: async () => {} }
        : ((await startAzurite()) as { connectionString: string; stop(): Promise<void> })
      return {
        env: {
          PSITRANSFER_STORAGE_TYPE: 'azure',
          PSITRANSFER_STORAGE_CONNECTION_STRING: azurite.connectionString,
          PSITRANSFER_STORAGE_CONTAINER: external
            ? (process.env.PSI_AZURE_CONTAINER ?? 'psitransfer-test')
            : 'psi-many-test',
          PSITRANSFER_STORAGE_CREATE_CONTAINER: 'true',
        },
        stop: azurite.stop,
      }
    },
  },
]

const NOTICE_WINDOW = 4

/** A real SMTP server all instances mail through (the first-download notice). */
let sink: SmtpSink | undefined

/** One instance as an operator configures it: the same variables everywhere. */
async function start(storage: Record<string, string>): Promise<RunningServer> {
  sink ??= await startSmtpSink()
  const env = {
    PSITRANSFER_SMTP_URL: sink.url,
    PSITRANSFER_PORT: '0',
    PSITRANSFER_IFACE: '127.0.0.1',
    PSITRANSFER_ADMIN_PASS: 'admin-pass',
    PSITRANSFER_SECRET: 'a-long-random-string-shared-by-all-instances',
    PSITRANSFER_ACCESS_LOG: 'false',
    PSITRANSFER_MAX_BUCKET_SIZE: String(MAX_BUCKET),
    PSITRANSFER_MAX_AGE: String(MAX_AGE),
    // Requester digests within the tests' time (the default is 10 minutes).
    PSITRANSFER_REQUEST_NOTICE_WINDOW: String(NOTICE_WINDOW),
    PSITRANSFER_STORAGE_PREFIX: prefix,
    ...storage,
  }
  const { config, registry } = await loadServerConfig({ env })
  const store = await registry.create(config.storage, {})
  await store.init()
  const locker = registry.createLocker(config.storage.type, store)
  return startServer({ config, store, locker, clock: systemClock, authFailDelayMs: 0, webRoot: null })
}

/** The instances of the backend under test. */
let servers: RunningServer[] = []
const base = (i: number) => `http://127.0.0.1:${(servers[i % servers.length] as RunningServer).port}`
const b64 = (s: string) => Buffer.from(s).toString('base64')
/** An upload token a client proposes for its new bucket (as the web app does). */
const newToken = () => randomBytes(24).toString('base64url')
const newSid = (name: string) => `${name}-${randomBytes(6).toString('hex')}`

interface Answer {
  status: number
  body: string
  token: string | null
}

/** TUS creation (no bytes yet) of a file of `length` bytes in `sid`, through instance `i`. */
async function create(i: number, sid: string, length: number, token?: string): Promise<Answer> {
  const res = await fetch(`${base(i)}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(length),
      'Upload-Metadata': `sid ${b64(sid)},name ${b64(`f${randomBytes(3).toString('hex')}.bin`)},retention ${b64('3600')}`,
      ...(token ? { 'X-Bucket-Token': token } : {}),
    },
  })
  return { status: res.status, body: await res.text(), token: res.headers.get('x-bucket-token') }
}

/** TUS creation-with-upload of the whole `data` in `sid` through instance `i` (one request). */
async function createWhole(i: number, sid: string, data: Buffer, token?: string): Promise<Answer> {
  const res = await fetch(`${base(i)}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(data.byteLength),
      'Upload-Metadata': `sid ${b64(sid)},name ${b64(`w${randomBytes(3).toString('hex')}.bin`)},retention ${b64('3600')}`,
      'Content-Type': 'application/offset+octet-stream',
      ...(token ? { 'X-Bucket-Token': token } : {}),
    },
    body: new Uint8Array(data),
  })
  return { status: res.status, body: await res.text(), token: res.headers.get('x-bucket-token') }
}

function upload(i: number, data: Buffer, metadata: Record<string, string>, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(data, {
      endpoint: `${base(i)}/files/`,
      metadata,
      headers: { 'X-Bucket-Token': token },
      retryDelays: [0, 200],
      onSuccess: () => resolve(),
      onError: reject,
    }).start()
  })
}

describe.each(backends)('bucket rules across three instances on $name', (backend) => {
  let stop = async () => {}
  beforeAll(async () => {
    const started = await backend.start()
    stop = started.stop
    servers = []
    for (let i = 0; i < 3; i++) servers.push(await start(started.env))
  }, 16 * 60_000)

  afterAll(async () => {
    for (const s of servers) await s.close()
    await stop()
    await sink?.close()
    sink = undefined
  }, 180_000)

  it('parallel creations through three instances never exceed maxBucketSize; the rest get 413', async () => {
    const sid = newSid('limit')
    const token = newToken()
    // Every instance has seen the bucket before the race (its first file of 1000 bytes).
    expect((await create(0, sid, 1000, token)).status).toBe(201)
    for (const i of [1, 2]) expect((await create(i, sid, 0, token)).status).toBe(201)
    // 9000 bytes of room left; 24 creations of 1000 bytes arrive at once, 8 per instance.
    const answers = await Promise.all(Array.from({ length: 24 }, (_, n) => create(n, sid, 1000, token)))
    const admitted = answers.filter((a) => a.status === 201)
    const refused = answers.filter((a) => a.status !== 201)
    expect(1000 + admitted.length * 1000).toBeLessThanOrEqual(MAX_BUCKET)
    // Nothing refused that fitted: exactly the room left was handed out.
    expect(admitted).toHaveLength(9)
    for (const r of refused) {
      expect(r.status).toBe(413)
      expect(JSON.parse(r.body)).toEqual({
        code: 'TOO_LARGE',
        message: `Bucket would be larger than the maximum bucket size of ${MAX_BUCKET} bytes`,
      })
    }
  }, 120_000)

  it('parallel whole small files (creation-with-upload) through three instances never exceed maxBucketSize', async () => {
    const sid = newSid('whole')
    const token = newToken()
    // 1000 bytes in the bucket; 24 whole files of 1000 bytes arrive at once, 8 per instance. A
    // refusal recounts the bucket from the store: it must not miss files admitted a moment
    // earlier whose bytes are still on their way to the store.
    expect((await createWhole(0, sid, randomBytes(1000), token)).status).toBe(201)
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, n) => createWhole(n, sid, randomBytes(1000), token)),
    )
    const admitted = answers.filter((a) => a.status === 201)
    expect(1000 + admitted.length * 1000).toBeLessThanOrEqual(MAX_BUCKET)
    expect(admitted).toHaveLength(9)
    for (const r of answers.filter((a) => a.status !== 201)) {
      expect(r.status).toBe(413)
      expect(JSON.parse(r.body)).toEqual({
        code: 'TOO_LARGE',
        message: `Bucket would be larger than the maximum bucket size of ${MAX_BUCKET} bytes`,
      })
    }
    // The bucket's listing (from the store, through another instance) holds exactly those files.
    const listed = (await (await fetch(`${base(2)}/${sid}.json`)).json()) as { items: unknown[] }
    expect(listed.items).toHaveLength(10)
  }, 120_000)

  it('a bucket locked on one instance takes no file through another right after', async () => {
    const sid = newSid('lock')
    const token = newToken()
    expect((await create(0, sid, 10, token)).status).toBe(201)
    // Instance 1 knows the bucket as unlocked (and would keep that in a cache).
    expect((await create(1, sid, 10, token)).status).toBe(201)
    const lock = await fetch(`${base(0)}/files/${sid}?lock=yes`, {
      method: 'PATCH',
      headers: { 'X-Bucket-Token': token },
    })
    expect(lock.status).toBe(204)
    for (const i of [1, 2, 0]) {
      const after = await create(i, sid, 10, token)
      expect(after.status, `instance ${i}`).toBe(400)
      expect(after.body).toBe('Bucket locked')
    }
  }, 60_000)

  // This and the one-time test passed before bucket admission went through the store's locker
  // too (marks and claims were conditional writes already); they guard that it stays so.
  it('only the bucket uploader adds files, whichever instance a request reaches', async () => {
    const sid = newSid('owner')
    const token = newToken()
    // Two uploaders race for one new id through different instances: exactly one gets it.
    const rival = newToken()
    const [first, second] = await Promise.all([create(0, sid, 10, token), create(1, sid, 10, rival)])
    const winner = first.status === 201 ? token : rival
    expect([first.status, second.status].sort()).toEqual([201, 403])
    for (const i of [0, 1, 2]) {
      for (const stranger of [undefined, winner === token ? rival : token]) {
        const res = await create(i, sid, 10, stranger)
        expect(res.status, `instance ${i}`).toBe(403)
        expect(res.body).toMatch(/^This bucket exists; only its uploader can add files/)
      }
      expect((await create(i, sid, 10, winner)).status).toBe(201)
    }
  }, 60_000)

  it('a one-time file is downloaded exactly once by 20 parallel requests over three instances', async () => {
    const sid = newSid('once')
    const token = newToken()
    const data = randomBytes(MAX_BUCKET)
    await upload(1, data, { sid, name: 'once.bin', retention: 'one-time' }, token)
    const listing = (await (await fetch(`${base(2)}/${sid}.json`)).json()) as {
      items: Array<{ url: string }>
    }
    const path = listing.items[0]?.url as string
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const res = await fetch(`${base(n)}${path}`)
        return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
      }),
    )
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(sha256(ok[0]?.body as Buffer)).toBe(sha256(data))
    for (const r of results) expect([200, 404, 410]).toContain(r.status)
    // Gone for good, on every instance.
    for (const i of [0, 1, 2]) expect([404, 410]).toContain((await fetch(`${base(i)}${path}`)).status)
  }, 60_000)

  it(
    'a file limited to 3 downloads gives exactly 3 of 20 parallel requests over three instances',
    () => limitedDownloads(base, 8000),
    120_000,
  )

  it(
    'each of 20 parallel downloads and 4 archives of an unlimited file over three instances counts',
    () => unlimitedCounts(base),
    120_000,
  )

  it(
    'manage-link edits on one instance hold on the others (expiry, password, lock, added files)',
    () => manageLink(base, { maxAge: MAX_AGE }),
    120_000,
  )

  it(
    "an upload request's file count and total size hold for parallel uploads over three instances",
    () =>
      requestLimitsInParallel({
        base: base(0),
        bases: [base(0), base(1), base(2)],
        uploadPass: '',
        adminPass: '',
        maxAgeSeconds: MAX_AGE,
      }),
    120_000,
  )

  it(
    'a burst of files through a request over three instances: each file in exactly one of two mails',
    () =>
      requestNoticeAcrossInstances(
        {
          base: base(0),
          bases: [base(0), base(1), base(2)],
          uploadPass: '',
          adminPass: '',
          sink: sink as SmtpSink,
          maxAgeSeconds: MAX_AGE,
        },
        NOTICE_WINDOW * 1000,
      ),
    120_000,
  )

  it(
    'the first of 10 parallel downloads over three instances mails the uploader exactly once',
    () => firstDownloadNotice(base, sink as SmtpSink, { adminPass: 'admin-pass', size: 6000 }),
    120_000,
  )
})
