/**
 * Download limits and the manage link over HTTP on the filesystem store (a real listening
 * server); the same scenarios run on S3 (`s3.e2e.test.ts`) and across three instances
 * (`many-instances.e2e.test.ts`).
 */
import { randomBytes } from 'node:crypto'
import { listAll, type Store } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registryFor } from './stores.js'
import { type E2eServer, removeDir, startFsServer } from './test-support/e2e.js'
import { testConfig } from './test-support/harness.js'
import {
  limitedDownloads,
  manageLink,
  newSid,
  newToken,
  putManageLink,
  tusUpload,
  unlimitedCounts,
} from './test-support/sharing.js'

const MAX_AGE = 7 * 24 * 3600

describe('download limits and manage links on the filesystem store', () => {
  let server: E2eServer
  const base = () => `http://127.0.0.1:${server.port}`

  beforeAll(async () => {
    server = await startFsServer({ config: { maxAge: MAX_AGE } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dir)
  })

  it('a file limited to 3 downloads gives exactly 3 of 20 parallel requests; a resume counts once', () =>
    limitedDownloads(base))
  it('the manage link shows counts and edits expiry, password, lock, files', () =>
    manageLink(base, { maxAge: MAX_AGE }))
  it('curl PUT answers with the manage link', () => putManageLink(base))
  it('counts each of 20 parallel downloads and 4 archives of an unlimited file', () => unlimitedCounts(base))
})

describe('download counts at shutdown', () => {
  it('a graceful shutdown right after downloads writes their counts before the store closes', async () => {
    // Writes of the record take a while: the counts are still in memory when close() begins.
    const slow = (store: Store) =>
      new Proxy(store, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target)
          if (prop === 'update') {
            return async (...args: Parameters<Store['update']>) => {
              await new Promise((r) => setTimeout(r, 300))
              return target.update(...args)
            }
          }
          return typeof v === 'function' ? v.bind(target) : v
        },
      }) as Store
    const server = await startFsServer({ wrapStore: slow })
    const base = () => `http://127.0.0.1:${server.port}`
    try {
      const sid = newSid('shutdown')
      await tusUpload(base, 0, sid, randomBytes(2000), { name: 'f.bin' }, newToken())
      // The listing also holds the bucket's mark, a record of its own: pick the file by name.
      const file = (await listAll(server.store)).find((f) => f.sid === sid && f.name === 'f.bin')
      const statuses = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const res = await fetch(`${base()}/files/${sid}++${file?.key}`)
          await res.arrayBuffer()
          return res.status
        }),
      )
      expect(statuses).toEqual([200, 200, 200, 200, 200])
      await server.close()
      // Read back through a store of its own, as the next start would.
      const registry = await registryFor('filesystem')
      const reopened = await registry.create(testConfig({ uploadDir: server.dir }).storage, {
        uploadDir: server.dir,
      })
      await reopened.init()
      const after = (await listAll(reopened)).find((f) => f.key === file?.key)
      expect(after?.downloads).toBe(5)
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })
})
