/**
 * Vitest setup file (runs before every test file): the local gateway must still be up. radosgw
 * can die on its own while the cluster under it is fine (it crashed once here while three
 * instances shut down), so instead of letting every following test fail, `rgw.sh start` checks
 * it and restarts radosgw (or rebuilds the gateway) before the file runs. Nothing to do for an
 * S3 server given by environment variables.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll } from 'vitest'
import { s3Env } from './env.js'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('../../../../scripts/s3/rgw.sh', import.meta.url))

beforeAll(async () => {
  if (!s3Env().local) return
  // A lease of this worker (live while the file runs): a start without one would pin the gateway.
  const env = { ...process.env, PSI_RGW_LEASE: String(process.pid) }
  const { stderr } = await run(SCRIPT, ['start'], { env, timeout: 15 * 60_000, maxBuffer: 1 << 20 })
  if (/restart|starting mon/.test(stderr)) console.warn(`[store-s3] the gateway was down:\n${stderr}`)
}, 16 * 60_000)
