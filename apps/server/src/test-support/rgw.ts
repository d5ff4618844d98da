/**
 * The S3 server for tests and the chaos harness: the PSI_S3_* variables when set (AWS, MinIO,
 * …), otherwise the local Ceph RGW of scripts/s3/rgw.sh, started (or found, or recovered: a
 * gateway whose radosgw died is restarted by `start`) under a lease of this process.
 * @module
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
export const RGW_SCRIPT = fileURLToPath(new URL('../../../../scripts/s3/rgw.sh', import.meta.url))

export interface S3Server {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  /** Drops this process's lease on the local gateway (no-op for an external S3). */
  release(): Promise<void>
  /**
   * Makes sure the local gateway answers, restarting a radosgw that died (`rgw.sh start`; no-op
   * for an external S3). Ceph 16.2.15's radosgw has crashed here while server instances shut
   * down and cut their S3 connections; a test that checks data after such a shutdown calls this
   * first, so it tests our server, not that crash.
   */
  ensureUp(): Promise<void>
}

/** The server's `PSITRANSFER_STORAGE_*` variables for `s3` (through `endpoint` when given, e.g. a proxy). */
export function s3StorageEnv(
  s3: Omit<S3Server, 'release' | 'ensureUp'>,
  endpoint = s3.endpoint,
): Record<string, string> {
  return {
    PSITRANSFER_STORAGE_TYPE: 's3',
    PSITRANSFER_STORAGE_BUCKET: s3.bucket,
    PSITRANSFER_STORAGE_REGION: s3.region,
    PSITRANSFER_STORAGE_ENDPOINT: endpoint,
    PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'true',
    PSITRANSFER_STORAGE_ACCESS_KEY_ID: s3.accessKeyId,
    PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: s3.secretAccessKey,
  }
}

/** The config's `storage` section for `s3` under `prefix` (a test's own corner of the bucket). */
export function s3Storage(
  s3: Omit<S3Server, 'release' | 'ensureUp'>,
  prefix: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> & { type: 's3' } {
  return {
    type: 's3',
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    prefix,
    ...extra,
  }
}

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1] as string] = m[2] as string
  }
  return out
}

export async function s3Server(env: NodeJS.ProcessEnv = process.env): Promise<S3Server> {
  let vars: Record<string, string | undefined> = env
  let release = async () => {}
  let ensureUp = async () => {}
  if (!env.PSI_S3_BUCKET) {
    const lease = { ...env, PSI_RGW_LEASE: String(process.pid) }
    const start = () => run(RGW_SCRIPT, ['start'], { env: lease, timeout: 15 * 60_000, maxBuffer: 1 << 20 })
    const { stdout } = await start()
    vars = parseEnv(stdout)
    ensureUp = async () => {
      await start()
    }
    release = async () => {
      await run(RGW_SCRIPT, ['release'], { env: lease, timeout: 120_000 }).catch(() => {})
    }
  }
  const need = (k: string) => {
    const v = vars[k]
    if (!v) throw new Error(`${k} is not set`)
    return v
  }
  return {
    endpoint: need('PSI_S3_ENDPOINT'),
    bucket: need('PSI_S3_BUCKET'),
    region: vars.PSI_S3_REGION ?? 'us-east-1',
    accessKeyId: need('PSI_S3_ACCESS_KEY'),
    secretAccessKey: need('PSI_S3_SECRET_KEY'),
    release,
    ensureUp,
  }
}
