/**
 * Download limits and the manage link over HTTP on the filesystem store (a real listening
 * server); the same scenarios run on S3 (`s3.e2e.test.ts`) and across three instances
 * (`many-instances.e2e.test.ts`).
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type E2eServer, removeDir, startFsServer } from './test-support/e2e.js'
import { limitedDownloads, manageLink, putManageLink, unlimitedCounts } from './test-support/sharing.js'

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
