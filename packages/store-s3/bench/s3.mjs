// Upload throughput of the S3 store against a bare SDK multipart upload of the same bytes to
// the same server, in one run (so the table is made of ratios measured side by side).
//
//   pnpm --filter @psitransfer/store-s3 bench          (starts the local Ceph RGW if needed)
//   PSI_S3_BUCKET=… [PSI_S3_ENDPOINT=…] pnpm … bench   (any other S3)
//   BENCH_RUNS=3 BENCH_GIB=1                           (runs per scenario, size of the big uploads)
//   BENCH_ONLY=5m,16m                                  (only these scenarios; the ceiling always runs:
//                                                      unsigned sdk2 16m 5m 5m-fixed concurrent small)
//
// The bare-SDK rows use the store's own SDK client (same agent, checksum and Expect settings).
// Each PATCH is driven like the TUS machine drives the store: S3Locker lock, info, append,
// release; the last one completes the upload.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { S3Locker, S3Store } from '../dist/index.js'

const run = promisify(execFile)
const RGW = fileURLToPath(new URL('../../../scripts/s3/rgw.sh', import.meta.url))
const MiB = 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const BIG = Math.round(Number(process.env.BENCH_GIB ?? 1) * 1024) * MiB
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null
const want = (tag) => !ONLY || ONLY.has(tag)

async function s3Env() {
  if (process.env.PSI_S3_BUCKET) return { env: process.env, stop: async () => {} }
  const lease = { ...process.env, PSI_RGW_LEASE: String(process.pid) }
  const { stdout } = await run(RGW, ['start'], { env: lease, timeout: 15 * 60_000 })
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  )
  // Stops the gateway only if it was started for a run and nobody else uses it.
  return { env, stop: () => run(RGW, ['release'], { env: lease }).catch(() => {}) }
}

const { env, stop } = await s3Env()
const options = {
  bucket: env.PSI_S3_BUCKET,
  region: env.PSI_S3_REGION ?? 'us-east-1',
  prefix: `psi-bench-${Date.now().toString(36)}/`,
  ...(env.PSI_S3_ENDPOINT ? { endpoint: env.PSI_S3_ENDPOINT, forcePathStyle: true } : {}),
  ...(env.PSI_S3_ACCESS_KEY
    ? { credentials: { accessKeyId: env.PSI_S3_ACCESS_KEY, secretAccessKey: env.PSI_S3_SECRET_KEY } }
    : {}),
}

// One random block reused as the content of every upload: generating data is not what we measure.
const BLOCK = randomBytes(16 * MiB)

/** `size` bytes as a request body would arrive: 64 KiB chunks. */
function* body(size, chunk = 64 * 1024) {
  for (let at = 0; at < size; at += chunk) {
    const from = at % BLOCK.byteLength
    yield BLOCK.subarray(from, from + Math.min(chunk, size - at, BLOCK.byteLength - from))
  }
}

async function* asyncBody(size) {
  yield* body(size)
}

let seq = 0
function newFile(uploadLength) {
  return {
    sid: `bench${Date.now().toString(36)}`,
    key: `f${++seq}`,
    name: 'bench.bin',
    relativePath: '',
    comment: '',
    type: 'application/octet-stream',
    retention: 3600,
    uploadLength,
    createdAt: Date.now(),
    expiresAt: Date.now() + 3_600_000,
    bucketLocked: false,
    extra: {},
  }
}

/** Sends a request's body without a SigV4 payload hash (what the SDK does for stream bodies). */
function unsignedPayload(command) {
  command.middlewareStack.add(
    (next) => (args) => {
      args.request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      return next(args)
    },
    { step: 'build', name: 'benchUnsignedPayload' },
  )
  return command
}

/** Bare SDK: CreateMultipartUpload, 8 MiB parts with `inFlight` in flight, Complete. */
async function sdkMultipart(client, size, inFlight = 4, unsigned = false) {
  const Key = `${options.prefix}sdk/multipart-${++seq}`
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: options.bucket, Key }))
  const partSize = 8 * MiB
  const count = Math.ceil(size / partSize)
  const parts = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const n = next++
      const len = Math.min(partSize, size - n * partSize)
      const from = (n * partSize) % BLOCK.byteLength
      const Body = Buffer.from(BLOCK.subarray(from, from + len))
      const command = new UploadPartCommand({
        Bucket: options.bucket,
        Key,
        UploadId,
        PartNumber: n + 1,
        Body,
        ContentLength: len,
      })
      const r = await client.send(unsigned ? unsignedPayload(command) : command)
      parts[n] = { PartNumber: n + 1, ETag: r.ETag }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: options.bucket,
      Key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  )
  await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key }))
}

/** Our store, PATCH by PATCH as the TUS machine drives it. */
async function storeUpload(store, locker, size, patchSize) {
  const file = newFile(size)
  await store.create(file)
  const id = `${file.sid}++${file.key}`
  let offset = 0
  while (offset < size) {
    const lock = await locker.lock(id, { waitMs: 3000 })
    try {
      const info = await store.info(file)
      const n = Math.min(patchSize, size - info.offset)
      offset = await store.append(file, asyncBody(n), info.offset)
      if (offset === size) await store.complete(file)
    } finally {
      await lock.release()
    }
  }
  return file
}

async function timed(fn) {
  const t0 = performance.now()
  await fn()
  return (performance.now() - t0) / 1000
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const scenarios = []

/** Registers a scenario; all of them run once per round (see below). */
function scenario(name, bytes, fn, { store, ratio = true, files, isCeiling = false } = {}) {
  scenarios.push({
    name,
    bytes,
    fn,
    store,
    ratio,
    files,
    isCeiling,
    times: [],
    ratios: [],
    sent: 0,
    peak: 0,
    rss: 0,
  })
}

// Rounds: every scenario once per round, the ceiling first, so each ratio compares runs minutes
// apart at most (the machine's speed drifts by 20–30 % over a run); the table shows medians.
async function runRounds() {
  let current
  const sampler = setInterval(() => {
    if (current) current.rss = Math.max(current.rss, process.memoryUsage().rss)
  }, 50)
  try {
    for (let round = 0; round < RUNS; round++) {
      let ceilingMibs = 0
      for (const sc of scenarios) {
        current = sc
        const before = sc.store?.stats.bytesSent ?? 0
        sc.store?.resetPeak()
        const t = await timed(sc.fn)
        sc.times.push(t)
        const mibs = sc.bytes / MiB / t
        if (sc.isCeiling) ceilingMibs = mibs
        if (sc.ratio && ceilingMibs) sc.ratios.push(mibs / ceilingMibs)
        if (sc.store) {
          sc.sent = (sc.store.stats.bytesSent - before) / sc.bytes
          sc.peak = Math.max(sc.peak, sc.store.stats.peakBufferedBytes)
        }
        const r = sc.ratio && ceilingMibs && !sc.isCeiling ? ` (${(mibs / ceilingMibs).toFixed(2)}×)` : ''
        console.error(`round ${round + 1}: ${sc.name}: ${mibs.toFixed(1)} MiB/s${r}`)
      }
    }
  } finally {
    clearInterval(sampler)
  }
}

let client
const closers = []
try {
  const store = new S3Store({ ...options })
  await store.init()
  client = store.client
  const locker = new S3Locker(store)
  const smallStore = new S3Store({ ...options })
  const smallLocker = new S3Locker(smallStore)
  closers.push(store, smallStore)

  scenario(
    `bare SDK multipart, 8 MiB parts, 4 in flight, ${BIG / MiB} MiB`,
    BIG,
    () => sdkMultipart(client, BIG),
    { ratio: false, isCeiling: true },
  )
  // The store streams parts, which the SDK sends without a payload hash: how much of the
  // ceiling's time is hashing (client and server) shows here.
  if (want('unsigned'))
    scenario(`bare SDK multipart, 8 MiB parts, 4 in flight, unsigned payload, ${BIG / MiB} MiB`, BIG, () =>
      sdkMultipart(client, BIG, 4, true),
    )
  // What a 16 MiB PATCH can at best keep busy: two 8 MiB parts (the reference for that row).
  if (want('sdk2'))
    scenario(`bare SDK multipart, 8 MiB parts, 2 in flight, ${BIG / MiB} MiB`, BIG, () =>
      sdkMultipart(client, BIG, 2),
    )
  if (want('16m'))
    scenario(
      `S3Store, ${BIG / MiB} MiB in 16 MiB PATCHes`,
      BIG,
      async () => store.delete(await storeUpload(store, locker, BIG, 16 * MiB)),
      { store },
    )
  const mid = Math.min(BIG, 512 * MiB)
  if (want('5m'))
    scenario(
      `S3Store, ${mid / MiB} MiB in 5,000,000-byte PATCHes`,
      mid,
      async () => store.delete(await storeUpload(store, locker, mid, 5_000_000)),
      { store },
    )
  // The same with the part size fixed at the configured 8 MiB (adaptivePartSize: false).
  if (want('5m-fixed')) {
    const fixed = new S3Store({ ...options, adaptivePartSize: false })
    const fixedLocker = new S3Locker(fixed)
    closers.push(fixed)
    scenario(
      `S3Store with fixed 8 MiB parts, ${mid / MiB} MiB in 5,000,000-byte PATCHes`,
      mid,
      async () => fixed.delete(await storeUpload(fixed, fixedLocker, mid, 5_000_000)),
      { store: fixed },
    )
  }
  if (want('concurrent'))
    scenario(
      'S3Store, 8 × 128 MiB concurrent, 16 MiB PATCHes',
      8 * 128 * MiB,
      async () => {
        const files = await Promise.all(
          Array.from({ length: 8 }, () => storeUpload(store, locker, 128 * MiB, 16 * MiB)),
        )
        await Promise.all(files.map((f) => store.delete(f)))
      },
      { store },
    )
  const SMALL = 64 * 1024
  const N = 50
  if (want('small'))
    scenario(
      `bare SDK PutObject, ${N} × 64 KiB one at a time`,
      N * SMALL,
      async () => {
        for (let i = 0; i < N; i++) {
          const Key = `${options.prefix}sdk/small-${++seq}`
          await client.send(
            new PutObjectCommand({ Bucket: options.bucket, Key, Body: BLOCK.subarray(0, SMALL) }),
          )
        }
      },
      { ratio: false, files: N },
    )
  if (want('small'))
    scenario(
      `S3Store, ${N} × 64 KiB one at a time (create, PATCH, complete)`,
      N * SMALL,
      async () => {
        for (let i = 0; i < N; i++) await storeUpload(smallStore, smallLocker, SMALL, SMALL)
      },
      { store: smallStore, ratio: false, files: N },
    )
  await runRounds()
} finally {
  for (const s of closers) await s.close().catch(() => {})
  // Leave nothing behind: the bench prefix is deleted by the sweep of a throwaway store.
  const cleaner = new S3Store({ ...options })
  await cleaner.sweep({ now: Date.now() + 365 * 86_400_000, graceMs: 0 }).catch(() => {})
  await cleaner.close()
  await stop()
}

const rows = scenarios.map((sc) => {
  const t = median(sc.times)
  return {
    name: sc.name,
    mibs: sc.bytes / MiB / t,
    ratio: sc.ratios.length > 0 ? median(sc.ratios) : null,
    ratioRange: sc.ratios.length > 1 ? [Math.min(...sc.ratios), Math.max(...sc.ratios)] : null,
    filesPerSec: sc.files ? sc.files / t : null,
    sent: sc.store ? sc.sent : null,
    peakMiB: sc.store ? sc.peak / MiB : null,
    rssMiB: sc.rss / MiB,
  }
})

const fmt = (v, d = 1) => (v === null ? '–' : v.toFixed(d))
console.log(
  `\nRounds: ${RUNS} (each scenario once per round, the ceiling first; medians, ratio range across rounds). Server: ${options.endpoint ?? 'AWS S3'}.\n`,
)
console.log(
  '| scenario | MiB/s | vs bare SDK (range) | files/s | bytes to S3 per byte | peak buffered MiB | peak RSS MiB |',
)
console.log('|---|---|---|---|---|---|---|')
for (const r of rows) {
  const ratio =
    r.ratio === null
      ? '–'
      : `${r.ratio.toFixed(2)}×${r.ratioRange ? ` (${r.ratioRange[0].toFixed(2)}–${r.ratioRange[1].toFixed(2)})` : ''}`
  console.log(
    `| ${r.name} | ${fmt(r.mibs)} | ${ratio} | ${fmt(r.filesPerSec)} | ${fmt(r.sent, 2)} | ${fmt(r.peakMiB, 0)} | ${fmt(r.rssMiB, 0)} |`,
  )
}
