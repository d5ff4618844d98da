/**
 * Vitest global setup: a real S3 server for the tests. With `PSI_S3_BUCKET` (or
 * `PSI_S3_ENDPOINT`) set, the tests use that server (AWS, MinIO, R2, …); otherwise they start
 * a local Ceph RADOS Gateway with scripts/s3/rgw.sh (installing it when missing) under a lease
 * of this process, and release it afterwards: the script stops it when it was started for a
 * test run and no other live run holds a lease (a gateway started by hand stays up).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'
import type { S3TestEnv } from './env.js'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('../../../../scripts/s3/rgw.sh', import.meta.url))

function fromEnv(env: NodeJS.ProcessEnv): S3TestEnv | null {
  if (!env.PSI_S3_BUCKET && !env.PSI_S3_ENDPOINT) return null
  if (!env.PSI_S3_BUCKET) throw new Error('PSI_S3_ENDPOINT is set but PSI_S3_BUCKET is not')
  return {
    bucket: env.PSI_S3_BUCKET,
    region: env.PSI_S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
    ...(env.PSI_S3_ENDPOINT ? { endpoint: env.PSI_S3_ENDPOINT } : {}),
    ...(env.PSI_S3_ACCESS_KEY && env.PSI_S3_SECRET_KEY
      ? { credentials: { accessKeyId: env.PSI_S3_ACCESS_KEY, secretAccessKey: env.PSI_S3_SECRET_KEY } }
      : {}),
    ...(env.PSI_S3_FORCE_PATH_STYLE ? { forcePathStyle: env.PSI_S3_FORCE_PATH_STYLE === 'true' } : {}),
    local: false,
  }
}

function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1] as string] = m[2] as string
  }
  return out
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = fromEnv(process.env)
  if (external) {
    project.provide('s3', external)
    return async () => {}
  }
  const lease = { ...process.env, PSI_RGW_LEASE: String(process.pid) }
  const wasUp = await run(SCRIPT, ['status'], { env: process.env }).then(
    () => true,
    () => false,
  )
  const t0 = Date.now()
  const { stdout } = await run(SCRIPT, ['start'], { env: lease, maxBuffer: 1 << 20, timeout: 15 * 60_000 })
  if (!wasUp) console.info(`[store-s3] started Ceph RGW in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const vars = parseEnvLines(stdout)
  const env = fromEnv({ ...vars, PSI_S3_BUCKET: vars.PSI_S3_BUCKET })
  if (!env) throw new Error(`rgw.sh start printed no environment:\n${stdout}`)
  project.provide('s3', { ...env, local: true })
  return async () => {
    await run(SCRIPT, ['release'], { env: lease, timeout: 120_000 }).catch((err) => {
      console.warn(`[store-s3] rgw.sh release failed: ${(err as Error).message}`)
    })
  }
}
