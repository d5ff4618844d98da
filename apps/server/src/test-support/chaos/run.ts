/**
 * The crash and fault harness (`pnpm chaos`): N uploads of random sizes and chunkings, sent by
 * tus-js-client (default retry delays) through an HTTP-aware proxy to real server processes
 * that are SIGKILLed at random points of the PATCHes and restarted; on S3, a fault-injecting
 * TCP proxy sits between the servers and S3. Then every file is checked byte for byte, the
 * store's sweeper runs and the leftovers are counted. See docs/reliability.md.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FileRef, MemoryLocker } from '@psitransfer/core'
import type { S3Store } from '@psitransfer/store-s3'
import * as tus from 'tus-js-client'
import { createJsonLogger } from '../../logger.js'
import { registryFor } from '../../stores.js'
import { Sweeper } from '../../sweeper.js'
import { BUCKET_MARK_KEY } from '../../upload/bucket-ids.js'
import { s3Storage, s3StorageEnv } from '../rgw.js'
import { buildServer, Cluster } from './cluster.js'
import { FAULT_KINDS, FaultProxy } from './fault-proxy.js'
import { type Exchange, FrontProxy, type KillKind, type KillPlan } from './front-proxy.js'
import { type Rng, randomBytesFor, rng } from './rng.js'
import { listMultipartUploads, listObjects, type S3Access } from './s3-admin.js'

const MiB = 1024 * 1024
/** Four weeks: longer than the servers' `uploadExpiry` (7 days), see the sweep below. */
const RETENTION = '2419200'
const UPLOAD_EXPIRY_MS = 7 * 24 * 3600_000

export interface ChaosOptions {
  store: 'fs' | 's3'
  uploads: number
  seed: string
  /** Uploads running at once. */
  concurrency: number
  /** Largest upload, bytes. */
  maxSize: number
  /** Server processes (S3: several share the bucket; the filesystem store takes one). */
  instances: number
  /** Chance that a PATCH which does not end the upload is a kill point. */
  killRate: number
  /** Chance that the last PATCH of an upload is a kill point. */
  completionKillRate: number
  maxKillsPerUpload: number
  /** Share of the last-PATCH kills that land during completion (the rest: mid-body, after the ack). */
  completionShare: number
  /** S3: share of requests to S3 that get a fault. */
  faultRate: number
  /** S3 server (the harness reaches it directly; the servers through the fault proxy). */
  s3?: S3Access
  /** A client that gave up is replaced by a new one resuming from HEAD until this deadline. */
  uploadTimeoutMs: number
  /** Keep the data directory / S3 prefix and the logs. */
  keep: boolean
  log: (msg: string) => void
}

export const DEFAULTS: Omit<ChaosOptions, 'store' | 'seed' | 's3' | 'log'> = {
  uploads: 100,
  concurrency: 4,
  maxSize: 40 * MiB,
  instances: 1,
  killRate: 0.1,
  completionKillRate: 0.5,
  maxKillsPerUpload: 3,
  completionShare: 0.5,
  faultRate: 0.03,
  uploadTimeoutMs: 10 * 60_000,
  keep: false,
}

interface Upload {
  index: number
  sid: string
  size: number
  chunkSize: number
  sha256: string
  path: string | null
  rng: Rng
  /** Highest Upload-Offset the server returned for it (PATCH 204 or HEAD). */
  maxAck: number
  /** Largest shortfall of a later HEAD below maxAck (bytes acknowledged then lost). */
  lostBytes: number
  kills: number
  /** Time of the kill this upload is waiting to recover from. */
  killedAt: number | null
  resumeWaits: number[]
  clientsGaveUp: number
  patches: number
  outcome: 'pending' | 'ok' | 'missing' | 'mismatch' | 'failed'
  detail: string
}

export interface ChaosReport {
  store: 'fs' | 's3'
  seed: string
  uploads: number
  bytes: number
  instances: number
  durationS: number
  kills: Record<KillKind, number>
  /** Must be 0: bytes the server acknowledged (Upload-Offset) and later did not have. */
  acknowledgedBytesLost: number
  /** Must be 0: HEAD said offset == length, GET did not answer 200 with the bytes. */
  completeButMissing: number
  /** Must be 0: GET answered 200 with other bytes. */
  notByteExact: number
  /** Must be 0: uploads that never completed within the deadline. */
  uploadsFailed: number
  /** Must be 0 (S3): multipart uploads still open under the run's prefix after the sweep. */
  orphanedMultipartUploads: number
  /** Must be 0 (filesystem): data dir entries that are not a file with a complete record. */
  orphanedTempFiles: number
  /** Unfinished uploads the sweeper removed once `uploadExpiry` passed (creations whose answer a kill lost). */
  abandonedUploadsSwept: number
  /** Multipart uploads open before the sweep (what crashes left for it). */
  multipartUploadsBeforeSweep: number
  /** S3 objects left after the sweep that are neither a complete file, its metadata nor a lock. */
  leftoverObjects: number
  /** The first 10 of them (key below the run's prefix). */
  leftoverObjectKeys: string[]
  resumeWaitMs: { count: number; p50: number; p90: number; max: number }
  /** From a kill to the restarted process listening (part of every resume wait). */
  restartMs: { count: number; p50: number; max: number }
  /** Times tus-js-client gave up (default retry delays exhausted); a new client then resumed. */
  clientsGaveUp: number
  answers: { patch: number; locked423: number; server5xx: number }
  faults: Record<string, number> | null
  failures: string[]
  ok: boolean
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

/** Sizes from 0 B to `max`, weighted towards what breaks stores: empty, tiny, around part sizes, large. */
function pickSize(r: Rng, max: number): number {
  const x = r.next()
  const size =
    x < 0.08
      ? 0
      : x < 0.25
        ? r.int(1, 64 * 1024)
        : x < 0.5
          ? r.int(64 * 1024, 5 * MiB)
          : x < 0.7
            ? 5 * MiB + r.int(-2, 2) * (r.chance(0.5) ? 1 : 4096)
            : r.int(5 * MiB, max)
  return Math.max(0, Math.min(max, size))
}

/** tus-js-client chunk sizes: one PATCH for everything, or 64 KiB – 16 MiB, at most ~64 PATCHes. */
function pickChunk(r: Rng, size: number): number {
  if (r.chance(0.15)) return Number.POSITIVE_INFINITY
  const options = [64 * 1024, 256 * 1024, MiB, 5_000_000, 5 * MiB, 8 * MiB, 16 * MiB]
  const c = r.chance(0.5) ? r.pick(options) : r.int(64 * 1024, 16 * MiB)
  return Math.max(c, Math.ceil(size / 64))
}

function sidFor(r: Rng): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from({ length: 22 }, () => abc[r.int(0, abc.length - 1)]).join('')
}

function metaSid(headers: IncomingHttpHeaders): string | null {
  const raw = headers['upload-metadata']
  if (typeof raw !== 'string') return null
  for (const pair of raw.split(',')) {
    const [k, v] = pair.trim().split(' ')
    if (k === 'sid' && v) return Buffer.from(v, 'base64').toString()
  }
  return null
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now()
  const runId = `${o.seed}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`
  const work = mkdtempSync(join(tmpdir(), `psi-chaos-${o.store}-`))
  const dataDir = join(work, 'data')
  mkdirSync(dataDir)
  o.log(`seed ${o.seed}; store ${o.store}; ${o.uploads} uploads; logs in ${work}`)
  const server = buildServer(runId)

  const env: Record<string, string> = {
    PSITRANSFER_IFACE: '127.0.0.1',
    PSITRANSFER_PORT: '0',
    PSITRANSFER_LOG_LEVEL: 'warn',
    PSITRANSFER_UPLOAD_DIR: dataDir,
    PSITRANSFER_SECRET: `chaos-secret-${runId}`,
    PSITRANSFER_WEB_ROOT: '',
  }
  let faults: FaultProxy | null = null
  const prefix = `psi-chaos-${runId}/`
  if (o.store === 's3') {
    if (!o.s3) throw new Error('the S3 run needs an S3 server (PSI_S3_* variables or scripts/s3/rgw.sh)')
    const target = new URL(o.s3.endpoint)
    faults = new FaultProxy(
      { host: target.hostname, port: Number(target.port || 80) },
      o.faultRate,
      rng(o.seed, 's3-faults'),
    )
    const faultPort = await faults.listen()
    Object.assign(env, {
      ...s3StorageEnv(o.s3, `http://127.0.0.1:${faultPort}`),
      PSITRANSFER_STORAGE_PREFIX: prefix,
      // Stalls of up to 6 s: a request silent for 5 s is given up and retried by the store.
      PSITRANSFER_STORAGE_REQUEST_TIMEOUT_MS: '5000',
    })
  }

  const cluster = new Cluster(o.instances, server.main, env, work)
  await cluster.start()

  const plan = rng(o.seed, 'workload')
  const uploads: Upload[] = Array.from({ length: o.uploads }, (_, index) => {
    const size = pickSize(plan, o.maxSize)
    return {
      index,
      sid: sidFor(plan),
      size,
      chunkSize: pickChunk(plan, size),
      sha256: '',
      path: null,
      rng: rng(o.seed, `kills-${index}`),
      maxAck: 0,
      lostBytes: 0,
      kills: 0,
      killedAt: null,
      resumeWaits: [],
      clientsGaveUp: 0,
      patches: 0,
      outcome: 'pending',
      detail: '',
    }
  })
  const bySid = new Map(uploads.map((u) => [u.sid, u]))
  const byPath = new Map<string, Upload>()
  const kills: Record<KillKind, number> = {
    'mid-body': 0,
    'after-ack': 0,
    completion: 0,
    'completion-acked': 0,
  }
  const answers = { patch: 0, locked423: 0, server5xx: 0 }
  const failures: string[] = []
  /** How long last PATCHes took from their last body byte to the answer. */
  const finalAnswerMs: number[] = []

  /** A request sent after the kill succeeded (an answer already on its way at the kill does not count). */
  const recovered = (u: Upload, ex: Exchange) => {
    if (u.killedAt === null || ex.startedAt < u.killedAt) return
    u.resumeWaits.push(Date.now() - u.killedAt)
    u.killedAt = null
  }

  const front = new FrontProxy(
    cluster,
    {
      planFor(path, headers): KillPlan | null {
        const u = byPath.get(path)
        if (!u || u.kills >= o.maxKillsPerUpload) return null
        // At most one instance down at a time: the others keep serving (and take over uploads).
        if (cluster.live().length < o.instances) return null
        const length = Number(headers['content-length'] ?? 0)
        const last = Number(headers['upload-offset']) + length === u.size
        if (!u.rng.chance(last ? o.completionKillRate : o.killRate)) return null
        u.kills++
        const kind = last
          ? u.rng.chance(o.completionShare)
            ? 'completion'
            : u.rng.pick(['mid-body', 'after-ack'] as const)
          : u.rng.pick(['mid-body', 'after-ack'] as const)
        // A completion kill lands anywhere in the time the server takes to answer a last PATCH
        // once its body is in (writing the last bytes, then completing the file): up to the
        // slowest such answer seen so far, which the run learns as it goes.
        const window = Math.max(100, ...finalAnswerMs.slice(-20))
        return {
          kind,
          at:
            kind === 'completion' ? Math.floor(u.rng.next() * window) : u.rng.int(0, Math.max(0, length - 1)),
        }
      },
      onAnswer(ex: Exchange) {
        if (ex.method === 'POST' && ex.status === 201) {
          const u = bySid.get(metaSid(ex.reqHeaders) ?? '')
          const location = ex.headers.location
          if (u && location) {
            u.path = new URL(location, 'http://x').pathname
            byPath.set(u.path, u)
          }
          return
        }
        const u = byPath.get(ex.path)
        if (!u) return
        if (ex.status === 423) answers.locked423++
        if (ex.status >= 500) answers.server5xx++
        const offset = Number(ex.headers['upload-offset'])
        if (ex.method === 'PATCH') {
          answers.patch++
          if (ex.status === 204 && Number.isFinite(offset)) {
            if (offset === u.size && ex.afterBodyMs !== null) finalAnswerMs.push(ex.afterBodyMs)
            u.patches++
            u.maxAck = Math.max(u.maxAck, offset)
            recovered(u, ex)
          }
        } else if (ex.method === 'HEAD') {
          if (ex.status === 200 && Number.isFinite(offset)) {
            if (offset < u.maxAck) {
              u.lostBytes = Math.max(u.lostBytes, u.maxAck - offset)
              failures.push(
                `upload ${u.index}: HEAD answered offset ${offset} after ${u.maxAck} was acknowledged`,
              )
            }
            u.maxAck = Math.max(u.maxAck, offset)
            if (offset === u.size) recovered(u, ex)
          } else if ((ex.status === 404 || ex.status === 410) && u.maxAck > 0 && u.outcome === 'pending') {
            u.lostBytes = Math.max(u.lostBytes, u.maxAck)
            failures.push(
              `upload ${u.index}: HEAD answered ${ex.status} after ${u.maxAck} bytes were acknowledged`,
            )
          }
        }
      },
      onKill(instance, kind, paths) {
        kills[kind]++
        const now = Date.now()
        o.log(`kill instance ${instance} (${kind}); in flight: ${paths.length}`)
        for (const p of paths) {
          const u = byPath.get(p)
          if (u && u.outcome === 'pending' && u.killedAt === null) u.killedAt = now
        }
      },
    },
    rng(o.seed, 'routing'),
  )
  const base = await front.listen()

  /** fetch through the front proxy, retrying what a dying instance causes (reset, 5xx). */
  const fetchRetrying = async (path: string, init: RequestInit): Promise<Response> => {
    const deadline = Date.now() + 120_000
    for (let attempt = 0; ; attempt++) {
      try {
        // The signal bounds the body too: a stalled answer is retried, not waited for.
        const res = await fetch(base + path, {
          ...init,
          redirect: 'follow',
          signal: AbortSignal.timeout(60_000),
        })
        if (res.status < 500 || Date.now() > deadline) return res
        await res.arrayBuffer().catch(() => {})
      } catch (err) {
        if (Date.now() > deadline) throw err
      }
      await sleep(Math.min(2000, 100 * 2 ** attempt))
    }
  }

  const download = async (u: Upload): Promise<{ status: number; sha?: string }> => {
    const deadline = Date.now() + 180_000
    for (;;) {
      try {
        const res = await fetchRetrying(u.path as string, {})
        if (res.status !== 200) return { status: res.status }
        return { status: 200, sha: sha(new Uint8Array(await res.arrayBuffer())) }
      } catch (err) {
        // A body cut off by a kill (of another upload's PATCH) or an S3 fault: download again.
        if (Date.now() > deadline) throw err
      }
    }
  }

  const runUpload = async (u: Upload): Promise<void> => {
    const data = randomBytesFor(o.seed, `upload-${u.index}`, u.size)
    u.sha256 = sha(data)
    const deadline = Date.now() + o.uploadTimeoutMs
    let url: string | null = null
    for (;;) {
      const result = await new Promise<Error | null>((resolve) => {
        const upload: tus.Upload = new tus.Upload(data, {
          endpoint: `${base}/files/`,
          ...(url ? { uploadUrl: url } : {}),
          chunkSize: u.chunkSize,
          metadata: { sid: u.sid, name: `chaos-${u.index}.bin`, retention: RETENTION },
          // The bucket's upload token, made by the client as the web app does: a creation whose
          // answer a kill lost can be repeated by its owner.
          headers: { 'X-Bucket-Token': `token-${u.sid}` },
          onUploadUrlAvailable: () => {
            url = upload.url
          },
          onSuccess: () => {
            clearTimeout(watchdog)
            resolve(null)
          },
          onError: (err) => {
            clearTimeout(watchdog)
            resolve(err)
          },
        })
        // A client waiting for an answer that never comes must not hold the run past its deadline.
        const watchdog = setTimeout(
          () => {
            void upload.abort()
            resolve(new Error(`no answer before the deadline (at offset ${u.maxAck} of ${u.size})`))
          },
          Math.max(0, deadline - Date.now()),
        )
        upload.start()
      })
      if (!result) break
      u.clientsGaveUp++
      o.log(
        `upload ${u.index}: tus-js-client gave up (${result.message.split('\n')[0]}); a new client resumes`,
      )
      if (Date.now() > deadline) {
        u.outcome = 'failed'
        u.detail = result.message.split('\n')[0] ?? ''
        failures.push(`upload ${u.index}: not complete after ${o.uploadTimeoutMs / 1000} s: ${u.detail}`)
        return
      }
      // As a user pressing "retry": not at once (a client failing at once would spin here).
      await new Promise((r) => setTimeout(r, 1000))
    }
    if (!u.path && url) {
      u.path = new URL(url).pathname
      byPath.set(u.path, u)
    }
    // The client saw offset == length. The file must now be downloadable, byte for byte.
    const head = await fetchRetrying(u.path as string, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0' },
    })
    const offset = Number(head.headers.get('upload-offset'))
    const got = await download(u)
    if (got.status !== 200) {
      u.outcome = 'missing'
      u.detail = `HEAD ${head.status} offset ${offset}/${u.size}, GET ${got.status}`
      failures.push(`upload ${u.index} (${u.size} B): complete for the client, but ${u.detail}`)
    } else if (got.sha !== u.sha256) {
      u.outcome = 'mismatch'
      failures.push(`upload ${u.index} (${u.size} B): downloaded bytes differ`)
    } else {
      u.outcome = 'ok'
    }
  }

  // Run the uploads, `concurrency` at a time.
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, uploads.length) }, async () => {
      while (next < uploads.length) {
        const u = uploads[next++] as Upload
        await runUpload(u).catch((err: Error) => {
          u.outcome = 'failed'
          u.detail = err.message
          failures.push(`upload ${u.index}: ${err.message}`)
        })
        o.log(
          `upload ${u.index}: ${u.outcome} (${u.size} B in ${u.chunkSize === Infinity ? 'one PATCH' : `${u.chunkSize}-byte PATCHes`}, ${u.kills} kill points)`,
        )
      }
    }),
  )
  // Uploads reported missing get one more look at the end: still missing means missing for good.
  const stillMissing: number[] = []
  for (const u of uploads.filter((x) => x.outcome === 'missing')) {
    if ((await download(u)).status !== 200) stillMissing.push(u.index)
  }
  if (stillMissing.length)
    failures.push(`still missing at the end of the run: uploads ${stillMissing.join(', ')}`)

  await front.close()
  await cluster.stop()

  // The sweeper, then what is left.
  let multipartBefore = 0
  let orphanedMultipart = 0
  let orphanedTemp = 0
  let leftover = 0
  let abandoned = 0
  let leftoverKeys: string[] = []
  const sweepNow = Date.now() + UPLOAD_EXPIRY_MS + 3600_000
  const logger = createJsonLogger({ level: 'error' })
  const complete = uploads.filter((u) => u.outcome === 'ok' || u.outcome === 'mismatch')
  if (o.store === 's3' && o.s3) {
    const s3 = o.s3
    const registry = await registryFor('s3')
    const store = (await registry.create(s3Storage(s3, prefix), { logger })) as unknown as S3Store
    await store.init()
    multipartBefore = (await listMultipartUploads(s3, prefix)).length
    // Every instance has stopped, so nothing is between two requests: no grace period. The
    // sweep runs as if `uploadExpiry` had passed, so it also removes unfinished uploads whose
    // creation answer a kill lost (their clients created them again); complete files live on.
    const swept = await store.sweep({ now: sweepNow, graceMs: 0 })
    abandoned = swept.expired.length
    const open = await listMultipartUploads(s3, prefix)
    orphanedMultipart = open.length
    if (open.length) failures.push(`multipart uploads open after the sweep: ${open.join(', ')}`)
    const keep = new Set(
      complete.flatMap((u) => [`${prefix}${u.path?.split('/').pop()?.replace('++', '/')}`]),
    )
    for (const k of [...keep]) keep.add(`${k}.json`)
    const mark = new RegExp(`/${BUCKET_MARK_KEY}(\\.json)?$`)
    const left = (await listObjects(s3, prefix)).filter(
      (k) => !keep.has(k) && !/\.lock\.\d+$/.test(k) && !mark.test(k),
    )
    leftover = left.length
    leftoverKeys = left.slice(0, 10).map((k) => k.slice(prefix.length))
    if (!o.keep) {
      for await (const meta of store.list()) await store.delete({ sid: meta.sid, key: meta.key } as FileRef)
      await store.sweep({ now: Date.now(), graceMs: 0 })
    }
    await store.close()
  } else {
    const registry = await registryFor('filesystem')
    const store = await registry.create({ type: 'filesystem' }, { uploadDir: dataDir, logger })
    await store.init()
    // As if `uploadExpiry` had passed (see the S3 case).
    const swept = await new Sweeper({
      store,
      locker: new MemoryLocker(),
      clock: { now: () => sweepNow },
      logger,
      intervalMs: 60_000,
    }).runOnce()
    abandoned = swept.deleted
    for (const sid of readdirSync(dataDir)) {
      const dir = join(dataDir, sid)
      const names = readdirSync(dir)
      for (const name of names) {
        const p = join(dir, name)
        if (name.endsWith('.json') && names.includes(name.slice(0, -5))) continue
        // The bucket's mark (a used id, see upload/bucket-ids.ts) is a record by design.
        if (name === BUCKET_MARK_KEY) continue
        let ok = false
        if (names.includes(`${name}.json`)) {
          try {
            const rec = JSON.parse(readFileSync(`${p}.json`, 'utf8'))
            ok = rec?.psi?.complete === true && statSync(p).size === Number(rec.uploadLength ?? rec.size)
          } catch {}
        }
        if (!ok) {
          orphanedTemp++
          failures.push(`data dir entry without a complete record: ${sid}/${name}`)
        }
      }
    }
    await store.close?.()
  }
  await faults?.close()
  server.remove()
  if (!o.keep) rmSync(work, { recursive: true, force: true })

  const restarts = [...cluster.restartMs].sort((a, b) => a - b)
  const waits = uploads.flatMap((u) => u.resumeWaits).sort((a, b) => a - b)
  const report: ChaosReport = {
    store: o.store,
    seed: o.seed,
    uploads: o.uploads,
    bytes: uploads.reduce((s, u) => s + u.size, 0),
    instances: o.instances,
    durationS: Math.round((Date.now() - t0) / 100) / 10,
    kills,
    acknowledgedBytesLost: uploads.reduce((s, u) => s + u.lostBytes, 0),
    completeButMissing: uploads.filter((u) => u.outcome === 'missing').length,
    notByteExact: uploads.filter((u) => u.outcome === 'mismatch').length,
    uploadsFailed: uploads.filter((u) => u.outcome === 'failed' || u.outcome === 'pending').length,
    orphanedMultipartUploads: orphanedMultipart,
    orphanedTempFiles: orphanedTemp,
    multipartUploadsBeforeSweep: multipartBefore,
    abandonedUploadsSwept: abandoned,
    leftoverObjects: leftover,
    leftoverObjectKeys: leftoverKeys,
    restartMs: {
      count: restarts.length,
      p50: quantile(restarts, 0.5),
      max: restarts.at(-1) ?? 0,
    },
    resumeWaitMs: {
      count: waits.length,
      p50: quantile(waits, 0.5),
      p90: quantile(waits, 0.9),
      max: waits.at(-1) ?? 0,
    },
    clientsGaveUp: uploads.reduce((s, u) => s + u.clientsGaveUp, 0),
    answers,
    faults: faults ? { ...faults.counts } : null,
    failures,
    ok: false,
  }
  report.ok = mustBeZero(report).every(([, v]) => v === 0)
  return report
}

/** The figures that must be 0 for a run to pass. */
export function mustBeZero(r: ChaosReport): Array<[string, number]> {
  return [
    ['acknowledged bytes lost', r.acknowledgedBytesLost],
    ['uploads complete but missing', r.completeButMissing],
    ['files not byte-exact', r.notByteExact],
    ['uploads failed', r.uploadsFailed],
    ['orphaned multipart uploads (after sweep)', r.orphanedMultipartUploads],
    ['orphaned temp files (after sweep)', r.orphanedTempFiles],
  ]
}

/** The human table of a report. */
export function formatReport(r: ChaosReport): string {
  const rows: Array<[string, string]> = [
    ['store / instances', `${r.store} / ${r.instances}`],
    ['seed', r.seed],
    ['uploads / bytes', `${r.uploads} / ${(r.bytes / MiB).toFixed(1)} MiB`],
    ['duration', `${r.durationS} s`],
    [
      'kills',
      `${Object.values(r.kills).reduce((a, b) => a + b, 0)} (mid-body ${r.kills['mid-body']}, after ack ${r.kills['after-ack']}, ` +
        `in completion ${r.kills.completion}, after completion ack ${r.kills['completion-acked']})`,
    ],
    ...mustBeZero(r).map(([k, v]): [string, string] => [k, `${v}${v === 0 ? '' : '   <-- must be 0'}`]),
    [
      'resume wait (kill → accepted PATCH)',
      `p50 ${(r.resumeWaitMs.p50 / 1000).toFixed(2)} s, p90 ${(r.resumeWaitMs.p90 / 1000).toFixed(2)} s, max ${(r.resumeWaitMs.max / 1000).toFixed(2)} s (${r.resumeWaitMs.count} resumes)`,
    ],
    [
      'server restart (kill → listening)',
      `p50 ${(r.restartMs.p50 / 1000).toFixed(2)} s, max ${(r.restartMs.max / 1000).toFixed(2)} s`,
    ],
    ['tus-js-client gave up (then resumed)', String(r.clientsGaveUp)],
    ['PATCH answers / 423 / 5xx', `${r.answers.patch} / ${r.answers.locked423} / ${r.answers.server5xx}`],
  ]
  rows.push(['unfinished uploads swept after uploadExpiry', String(r.abandonedUploadsSwept)])
  if (r.store === 's3') {
    rows.push(['multipart uploads open before sweep', String(r.multipartUploadsBeforeSweep)])
    rows.push(['other leftover objects after sweep', String(r.leftoverObjects)])
  }
  if (r.faults) {
    rows.push([
      'S3 faults injected',
      `${FAULT_KINDS.map((k) => `${k} ${r.faults?.[k] ?? 0}`).join(', ')} of ${r.faults.requests} requests`,
    ])
  }
  rows.push(['result', r.ok ? 'PASS' : 'FAIL'])
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}
