/**
 * Custom expiry (issue #16) over HTTP on the filesystem store and on the S3 store (local Ceph
 * RGW of scripts/s3/rgw.sh, or PSI_S3_*): chosen dates within `maxAge`, "until deleted" without
 * one, and the sweeper, with a manual clock (scenarios in test-support/expiry.ts).
 */
import { randomBytes } from 'node:crypto'
import { ManualClock, type Store } from '@psitransfer/core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type RunningServer, startServer } from './server.js'
import { lockerFor, registryFor } from './stores.js'
import { removeDir, startFsServer } from './test-support/e2e.js'
import { customDates, type ExpiryTarget, untilDeleted } from './test-support/expiry.js'
import { testConfig } from './test-support/harness.js'
import { type S3Server, s3Server, s3Storage } from './test-support/rgw.js'

const MAX_AGE = 7 * 24 * 3600

interface Running extends ExpiryTarget {
  close(): Promise<void>
}

async function fsTarget(config: Record<string, unknown>): Promise<Running> {
  const clock = new ManualClock()
  const server = await startFsServer({ clock, config })
  return {
    origin: server.url(''),
    clock,
    sweep: () => server.sweeper.runOnce(),
    close: async () => {
      await server.close()
      removeDir(server.dir)
    },
  }
}

async function s3Target(s3: S3Server, config: Record<string, unknown>): Promise<Running> {
  const clock = new ManualClock()
  const full = testConfig({
    port: 0,
    iface: '127.0.0.1',
    sweepInterval: 3600,
    storage: s3Storage(s3, `psi-expiry-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`, {
      partSize: 5 * 1024 * 1024,
    }),
    ...config,
  })
  const store: Store = await (await registryFor('s3')).create(full.storage, {})
  await store.init()
  const server: RunningServer = await startServer({
    config: full,
    store,
    locker: await lockerFor('s3', store),
    clock,
    authFailDelayMs: 0,
    webRoot: null,
  })
  return {
    origin: `http://127.0.0.1:${server.port}`,
    clock,
    sweep: () => server.sweeper.runOnce(),
    close: () => server.close(),
  }
}

const WITH_MAX_AGE = { maxAge: MAX_AGE }
const NO_MAX_AGE = { maxAge: false, allowNoExpiry: true }

describe('custom expiry on the filesystem store', () => {
  it('accepts chosen dates within maxAge, refuses others, sweeps them when due', async () => {
    const t = await fsTarget(WITH_MAX_AGE)
    try {
      await customDates(t, MAX_AGE)
    } finally {
      await t.close()
    }
  })

  it('keeps until-deleted files through any sweep when maxAge is off and it is allowed', async () => {
    const t = await fsTarget(NO_MAX_AGE)
    try {
      await untilDeleted(t)
    } finally {
      await t.close()
    }
  })
})

describe('custom expiry on the S3 store', () => {
  let s3: S3Server
  beforeAll(async () => {
    s3 = await s3Server()
  }, 16 * 60_000)
  afterAll(async () => {
    await s3?.release()
  }, 180_000)

  it('accepts chosen dates within maxAge, refuses others, sweeps them when due', async () => {
    const t = await s3Target(s3, WITH_MAX_AGE)
    try {
      await customDates(t, MAX_AGE)
    } finally {
      await t.close()
    }
  }, 120_000)

  it('keeps until-deleted files through any sweep when maxAge is off and it is allowed', async () => {
    const t = await s3Target(s3, NO_MAX_AGE)
    try {
      await untilDeleted(t)
    } finally {
      await t.close()
    }
  }, 120_000)
})
