/**
 * SIGKILL at random points of the completion path, on FS and on S3 (the local Ceph RGW): a
 * child server (test-support/crash-server.ts) kills itself at a seeded choice of point while a
 * tus-js-client upload sends its last PATCH; it is restarted on the same port and the client
 * resumes as tus-js-client does (HEAD, then PATCH or done, with its default retries). The file
 * must end up downloadable byte-exact: never "HEAD says done, GET 404".
 * Also measures, on S3, how long after a SIGKILL mid-PATCH a restarted instance accepts the
 * resume (the dead instance's lock must expire: lockTtl).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const RGW = fileURLToPath(new URL('../../../scripts/s3/rgw.sh', import.meta.url))
const TS_LOADER = fileURLToPath(new URL('../../../scripts/ts/loader.mjs', import.meta.url))
const CHILD = fileURLToPath(new URL('./test-support/crash-server.ts', import.meta.url))
const MiB = 1024 * 1024
const POINTS = ['after-last-append', 'before-complete', 'in-complete', 'after-complete', 'after-update']

/** mulberry32: the trials' choices are random but repeatable (CRASH_SEED picks another run). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function payload(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size + 4)
  let x = seed
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out.writeUInt32LE(x, i)
  }
  return out.subarray(0, size)
}

interface Child {
  proc: ChildProcess
  port: number
  exited: Promise<string | number | null>
}

async function startChild(
  config: Record<string, unknown>,
  kill: Record<string, unknown> | null,
): Promise<Child> {
  const proc = spawn(
    process.execPath,
    ['--import', TS_LOADER, CHILD, JSON.stringify(config), kill ? JSON.stringify(kill) : 'none'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<string | number | null>((resolve) => {
    proc.on('exit', (code, signal) => resolve(signal ?? code))
  })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const m = /listening (\d+)/.exec(buf)
      if (m) resolve(Number(m[1]))
    })
    void exited.then((how) => reject(new Error(`server exited (${how}) before listening: ${stderr}`)))
  })
  return { proc, port, exited }
}

interface UploadResult {
  ok: boolean
  url: string | null
  error?: Error
  /** Statuses the server answered, in order (`HEAD 423`, `PATCH 204`, …). */
  answers: string[]
  /** When the first PATCH after the start was accepted (ms, Date.now()). */
  firstPatchAt?: number
}

function tusUpload(
  data: Buffer,
  options: { endpoint?: string; uploadUrl?: string; retryDelays: number[] | null; sid: string },
): Promise<UploadResult> {
  return new Promise((resolve) => {
    const result: UploadResult = { ok: false, url: null, answers: [] }
    const upload = new tus.Upload(data, {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
      chunkSize: MiB,
      retryDelays: options.retryDelays,
      storeFingerprintForResuming: false,
      metadata: { sid: options.sid, name: 'crash.bin', retention: '3600' },
      onAfterResponse: (req, res) => {
        const status = res.getStatus()
        result.answers.push(`${req.getMethod()} ${status}`)
        if (req.getMethod() === 'PATCH' && status === 204) result.firstPatchAt ??= Date.now()
      },
      onSuccess: () => {
        result.ok = true
        result.url = upload.url
        resolve(result)
      },
      onError: (error) => {
        result.url = upload.url
        result.error = error
        resolve(result)
      },
    })
    upload.start()
  })
}

async function download(port: number, url: string): Promise<{ status: number; body: Buffer }> {
  const id = url.slice(url.lastIndexOf('/') + 1)
  const res = await fetch(`http://127.0.0.1:${port}/files/${id}`, { redirect: 'follow' })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/**
 * One trial: upload through `first` (armed with `kill`), then resume with tus-js-client's
 * default retries against `other`, a clean instance on the same storage that was already
 * running (a restarted process behaves the same, it only boots slower), and check the file.
 */
async function trial(first: Child, other: Child, kill: Record<string, unknown>, data: Buffer, sid: string) {
  const attempt = await tusUpload(data, {
    endpoint: `http://127.0.0.1:${first.port}/files/`,
    retryDelays: null,
    sid,
  })
  const killed = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('alive'), 3000))])
  if (killed === 'alive') first.proc.kill('SIGTERM')
  expect(killed, `the server was killed at ${JSON.stringify(kill)}`).toBe('SIGKILL')
  expect(attempt.url, 'the upload was created before the crash').toBeTruthy()
  const id = (attempt.url as string).slice((attempt.url as string).lastIndexOf('/') + 1)
  // A client that saw its last PATCH fail resumes: HEAD, then PATCH if bytes are missing.
  const resumed = await tusUpload(data, {
    uploadUrl: `http://127.0.0.1:${other.port}/files/${id}`,
    retryDelays: [0, 1000, 3000, 5000],
    sid,
  })
  expect(resumed.error?.message, `resume (${resumed.answers.join(', ')})`).toBeUndefined()
  expect(resumed.ok).toBe(true)
  // The client reported success: the file must be there, whole.
  const got = await download(other.port, attempt.url as string)
  expect(got.status, `GET after the client's success (${JSON.stringify(kill)})`).toBe(200)
  expect(got.body.byteLength).toBe(data.byteLength)
  expect(sha(got.body)).toBe(sha(data))
  return resumed
}

/** Runs `trials` in order; each one's armed server boots while the one before runs. */
async function trials(
  config: Record<string, unknown>,
  kills: Array<Record<string, unknown>>,
  run: (first: Child, other: Child, kill: Record<string, unknown>, i: number) => Promise<void>,
): Promise<void> {
  const other = await startChild(config, null)
  try {
    let next = kills[0] ? startChild(config, kills[0]) : undefined
    for (const [i, kill] of kills.entries()) {
      const first = await (next as Promise<Child>)
      next = kills[i + 1] ? startChild(config, kills[i + 1] as Record<string, unknown>) : undefined
      await run(first, other, kill, i)
    }
  } finally {
    other.proc.kill('SIGTERM')
    await other.exited
  }
}

const seed = Number(process.env.CRASH_SEED ?? 11)

describe('SIGKILL in the completion path (FS)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'psi-crash-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('seeded kill points end with the file downloadable byte-exact after the resume', async () => {
    const random = prng(seed)
    const points = ['after-last-append', ...[...POINTS.slice(1)].sort(() => random() - 0.5).slice(0, 2)]
    const sizes = points.map(() => 2 * MiB + Math.floor(random() * MiB))
    const kills = points.map((point, i) => ({ point, length: sizes[i], delayMs: Math.floor(random() * 30) }))
    const config = { port: 0, iface: '127.0.0.1', uploadDir: dir, sweepInterval: 3600, uploadExpiry: 600 }
    await trials(config, kills, async (first, other, kill, i) => {
      await trial(first, other, kill, payload(sizes[i] as number, seed + i), `fs${i}`)
    })
  }, 60_000)
})

describe('SIGKILL in the completion path (S3)', () => {
  let storage: Record<string, unknown>
  let release = async () => {}
  beforeAll(async () => {
    let env: Record<string, string | undefined> = process.env
    if (!process.env.PSI_S3_BUCKET) {
      const lease = { ...process.env, PSI_RGW_LEASE: String(process.pid) }
      const { stdout } = await run(RGW, ['start'], { env: lease, timeout: 15 * 60_000, maxBuffer: 1 << 20 })
      env = Object.fromEntries(
        stdout
          .split('\n')
          .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1], m[2]]),
      )
      release = async () => {
        await run(RGW, ['release'], { env: lease, timeout: 120_000 }).catch(() => {})
      }
    }
    storage = {
      type: 's3',
      bucket: env.PSI_S3_BUCKET,
      region: env.PSI_S3_REGION ?? 'us-east-1',
      prefix: `crash-${Date.now().toString(36)}/`,
      partSize: 5 * MiB,
      ...(env.PSI_S3_ENDPOINT ? { endpoint: env.PSI_S3_ENDPOINT, forcePathStyle: true } : {}),
      ...(env.PSI_S3_ACCESS_KEY
        ? { credentials: { accessKeyId: env.PSI_S3_ACCESS_KEY, secretAccessKey: env.PSI_S3_SECRET_KEY } }
        : {}),
    }
  }, 16 * 60_000)
  afterAll(async () => {
    await release()
  })

  it('kill points in the completion path: never "HEAD full + GET 404", the file is whole', async () => {
    const random = prng(seed)
    // A lock TTL (12 s) longer than a plain HEAD's lock wait (3 s): the dead instance's lock
    // outlives the first HEADs, which is where a full offset used to be reported.
    const config = {
      port: 0,
      iface: '127.0.0.1',
      sweepInterval: 3600,
      uploadExpiry: 600,
      storage: { ...storage, lockTtl: 12 },
    }
    // The reproduction (after the last append) first, then two more seeded points.
    const points = ['after-last-append', ...[...POINTS.slice(1)].sort(() => random() - 0.5).slice(0, 2)]
    const sizes = points.map(() => 6 * MiB + Math.floor(random() * MiB))
    const kills = points.map((point, i) => ({ point, length: sizes[i], delayMs: Math.floor(random() * 300) }))
    await trials(config, kills, async (first, other, kill, i) => {
      const resumed = await trial(first, other, kill, payload(sizes[i] as number, seed + 100 + i), `s3${i}`)
      // Completion could not take the dead lock at first: HEAD said "retry", never "done".
      if (kill.point === 'after-last-append') expect(resumed.answers[0]).toBe('HEAD 423')
    })
  }, 120_000)

  it('another instance accepts the resume of a PATCH killed mid-body within 10 s (default lockTtl)', async () => {
    const size = 8 * MiB + 17
    const data = payload(size, seed + 200)
    const config = { port: 0, iface: '127.0.0.1', sweepInterval: 3600, storage }
    await trials(config, [{ point: 'mid-patch', length: size, nth: 4 }], async (first, other) => {
      const attempt = await tusUpload(data, {
        endpoint: `http://127.0.0.1:${first.port}/files/`,
        retryDelays: null,
        sid: 's3lock',
      })
      expect(await first.exited).toBe('SIGKILL')
      const killedAt = Date.now()
      const id = (attempt.url as string).slice((attempt.url as string).lastIndexOf('/') + 1)
      const resumed = await tusUpload(data, {
        uploadUrl: `http://127.0.0.1:${other.port}/files/${id}`,
        retryDelays: [0, 1000, 3000, 5000],
        sid: 's3lock',
      })
      expect(resumed.error?.message, resumed.answers.join(', ')).toBeUndefined()
      const waited = (resumed.firstPatchAt ?? Number.NaN) - killedAt
      process.stdout.write(`resume accepted ${waited} ms after the SIGKILL (${resumed.answers.join(', ')})\n`)
      expect(waited).toBeLessThan(10_000)
      const got = await download(other.port, attempt.url as string)
      expect(got.status).toBe(200)
      expect(sha(got.body)).toBe(sha(data))
    })
  }, 60_000)
})
