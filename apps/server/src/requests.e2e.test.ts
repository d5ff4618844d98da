/**
 * Upload requests over HTTP on a real server: the filesystem store (with a real SMTP sink for
 * the requester's notices) and the S3 store (the shared Ceph RGW, with the store's cross-instance
 * locker, so admission goes through the bucket's ledger). Scenarios in `test-support/requests.ts`.
 */
import { randomBytes } from 'node:crypto'
import { ManualClock, systemClock } from '@psitransfer/core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type RunningServer, startServer } from './server.js'
import { lockerFor, registryFor } from './stores.js'
import { type E2eServer, removeDir, startFsServer, tempDir } from './test-support/e2e.js'
import { testConfig } from './test-support/harness.js'
import {
  type Hooks,
  type RequestEnv,
  requestCloseAndExpiry,
  requestCreation,
  requestLimitsInParallel,
  requestNoticeAfterRestart,
  requestNoticeDigest,
  requestUploads,
  startHooks,
} from './test-support/requests.js'
import { s3Server, s3Storage } from './test-support/rgw.js'
import { type SmtpSink, startSmtpSink } from './test-support/smtp-sink.js'

const MAX_AGE = 7 * 24 * 3600
const PASSWORDS = { uploadPass: 'upload-pw', adminPass: 'admin-pw' }

describe('upload requests on the filesystem store', () => {
  let server: E2eServer
  let hooks: Hooks
  let sink: SmtpSink
  const env = (): RequestEnv => ({
    base: `http://127.0.0.1:${server.port}`,
    ...PASSWORDS,
    hooks,
    sink,
    maxAgeSeconds: MAX_AGE,
  })

  beforeAll(async () => {
    hooks = await startHooks()
    sink = await startSmtpSink()
    server = await startFsServer({
      config: {
        ...PASSWORDS,
        maxAge: MAX_AGE,
        requestUploadedWebhook: hooks.url,
        smtpUrl: sink.url,
        mailFrom: 'Files <files@example.com>',
      },
    })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dir)
    await hooks.close()
    await sink.close()
  })

  it('is made by whoever may upload, and refuses bad input with a clear message', () =>
    requestCreation(env()))
  it('takes uploads through its link only, keeps the bucket closed to the person asked, notifies', () =>
    requestUploads(env()))
  it('never lets parallel uploads exceed its file count or total size', () => requestLimitsInParallel(env()))
  it('answers 410 once closed by the requester or expired; admitted uploads finish', () =>
    requestCloseAndExpiry(env()))
})

const WINDOW = 600

describe('requester notices on the filesystem store (a digest, manual clock)', () => {
  let hooks: Hooks
  let sink: SmtpSink
  const dir = tempDir()
  const clock = new ManualClock(Date.now())
  const servers: E2eServer[] = []
  const start = async () => {
    const server = await startFsServer({
      dir,
      clock,
      config: {
        ...PASSWORDS,
        maxAge: MAX_AGE,
        requestUploadedWebhook: hooks.url,
        requestNoticeWindow: WINDOW,
        smtpUrl: sink.url,
        mailFrom: 'Files <files@example.com>',
      },
    })
    servers.push(server)
    const env: RequestEnv = {
      base: `http://127.0.0.1:${server.port}`,
      ...PASSWORDS,
      hooks,
      sink,
      maxAgeSeconds: MAX_AGE,
    }
    const controls = {
      advance: (ms: number) => clock.advance(ms),
      sweep: () => server.sweeper.runOnce(),
      windowMs: WINDOW * 1000,
    }
    return { env, controls, server }
  }

  beforeAll(async () => {
    hooks = await startHooks()
    sink = await startSmtpSink()
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
    removeDir(dir)
    await hooks.close()
    await sink.close()
  })

  it('30 files: one mail at once, one digest listing the other 29; the webhook per file', async () => {
    const { env, controls } = await start()
    await requestNoticeDigest(env, controls)
  })
  it('mails what one server collected from the next one on the store after a restart', async () => {
    const first = await start()
    await requestNoticeAfterRestart(first.env, async () => {
      await first.server.close()
      return start()
    })
  })
})

describe('upload requests on the S3 store', () => {
  let server: RunningServer
  let hooks: Hooks
  const env = (): RequestEnv => ({
    base: `http://127.0.0.1:${server.port}`,
    ...PASSWORDS,
    hooks,
    maxAgeSeconds: MAX_AGE,
  })

  beforeAll(async () => {
    hooks = await startHooks()
    // The shared gateway stays up for the other runs: its lease is not released here.
    const s3 = await s3Server()
    const config = testConfig({
      port: 0,
      iface: '127.0.0.1',
      ...PASSWORDS,
      maxAge: MAX_AGE,
      requestUploadedWebhook: hooks.url,
      storage: s3Storage(
        s3,
        `psi-requests-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`,
        {
          partSize: 5 * 1024 * 1024,
        },
      ),
    })
    const store = await (await registryFor('s3')).create(config.storage, {})
    await store.init()
    server = await startServer({
      config,
      store,
      locker: await lockerFor('s3', store),
      clock: systemClock,
      authFailDelayMs: 0,
      webhookBackoffMs: 10,
      webRoot: null,
    })
  }, 16 * 60_000)
  afterAll(async () => {
    await server?.close()
    await hooks?.close()
  })

  it('is made by whoever may upload, and refuses bad input with a clear message', () =>
    requestCreation(env()))
  it(
    'takes uploads through its link only, keeps the bucket closed to the person asked',
    () => requestUploads(env()),
    60_000,
  )
  it(
    'never lets parallel uploads exceed its limits (the bucket ledger, under the S3 lock)',
    () => requestLimitsInParallel(env()),
    120_000,
  )
  it('answers 410 once closed by the requester or expired', () => requestCloseAndExpiry(env()), 60_000)
})

describe('requester notices on the S3 store (a digest, manual clock)', () => {
  let server: RunningServer
  let hooks: Hooks
  let sink: SmtpSink
  const clock = new ManualClock(Date.now())

  beforeAll(async () => {
    hooks = await startHooks()
    sink = await startSmtpSink()
    const s3 = await s3Server()
    const config = testConfig({
      port: 0,
      iface: '127.0.0.1',
      ...PASSWORDS,
      maxAge: MAX_AGE,
      sweepInterval: 3600,
      requestUploadedWebhook: hooks.url,
      requestNoticeWindow: WINDOW,
      smtpUrl: sink.url,
      mailFrom: 'Files <files@example.com>',
      storage: s3Storage(
        s3,
        `psi-notices-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`,
        {
          partSize: 5 * 1024 * 1024,
        },
      ),
    })
    const store = await (await registryFor('s3')).create(config.storage, {})
    await store.init()
    server = await startServer({
      config,
      store,
      locker: await lockerFor('s3', store),
      clock,
      authFailDelayMs: 0,
      webhookBackoffMs: 10,
      webRoot: null,
    })
  }, 16 * 60_000)
  afterAll(async () => {
    await server?.close()
    await hooks?.close()
    await sink?.close()
  })

  it(
    '30 files: one mail at once, one digest listing the other 29 (the mark under the S3 lock)',
    () =>
      requestNoticeDigest(
        { base: `http://127.0.0.1:${server.port}`, ...PASSWORDS, hooks, sink, maxAgeSeconds: MAX_AGE },
        {
          advance: (ms) => clock.advance(ms),
          sweep: () => server.sweeper.runOnce(),
          windowMs: WINDOW * 1000,
        },
      ),
    120_000,
  )
})
