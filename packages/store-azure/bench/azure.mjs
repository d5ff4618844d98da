// Upload throughput of the Azure store against a bare @azure/storage-blob upload of the same
// bytes to the same Azurite, in one run (so the table is made of ratios measured side by side),
// and @tus/server with @tus/azure-store where it can be installed.
//
//   pnpm --filter @psitransfer/store-azure bench     (starts a private Azurite, scripts/azurite.mjs)
//   BENCH_RUNS=3 BENCH_MIB=256                       (rounds, size of each upload)
//   BENCH_AZURITE_DISK=1                             (Azurite keeps data in a temp dir, not in memory)
//   BENCH_NO_TUS=1                                   (skip the @tus/azure-store columns)
//
// The bare-SDK rows use the store's own ContainerClient (same pipeline, keep-alive, retries).
// Each PATCH is driven like the TUS machine drives the store: AzureLocker lock, info, append,
// release; the last one completes the upload. The @tus rows send real PATCHes over node:http
// to @tus/server's handler in this process (its peers live in bench/node_modules, installed
// with npm from bench/package.json: outside the workspace, its lockfile and the package).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AzureLocker, AzureStore } from '../dist/index.js'
import { startAzurite } from '../scripts/azurite.mjs'

const run = promisify(execFile)
const HERE = fileURLToPath(new URL('.', import.meta.url))
const MiB = 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SIZE = Math.round(Number(process.env.BENCH_MIB ?? 256)) * MiB
const DISK = process.env.BENCH_AZURITE_DISK === '1'
const CONTAINER = 'psi-bench'

// One random block reused as the content of every upload: generating data is not what we measure.
const BLOCK = randomBytes(16 * MiB)

/** `size` bytes from offset `at` of the pattern, as a request body would arrive: 64 KiB chunks. */
function* body(size, start = 0, chunk = 64 * 1024) {
  for (let at = start; at < start + size; ) {
    const from = at % BLOCK.byteLength
    const n = Math.min(chunk, start + size - at, BLOCK.byteLength - from)
    yield BLOCK.subarray(from, from + n)
    at += n
  }
}

async function* asyncBody(size, start) {
  yield* body(size, start)
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

/** The block ids Azure wants: base64 of equal-length strings. */
const sdkBlockId = (n) => Buffer.from(`bench-${String(n).padStart(8, '0')}`).toString('base64')

/** Bare SDK: `blockSize` blocks staged with `inFlight` in flight, one commitBlockList, delete. */
async function sdkBlocks(container, size, blockSize, inFlight) {
  const blob = container.getBlockBlobClient(`sdk/blocks-${++seq}`)
  const count = Math.ceil(size / blockSize)
  const ids = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const n = next++
      const at = n * blockSize
      const len = Math.min(blockSize, size - at)
      // The pattern repeats every 16 MiB, so a block that wraps is copied (as the store copies).
      const from = at % BLOCK.byteLength
      const bytes =
        from + len <= BLOCK.byteLength ? BLOCK.subarray(from, from + len) : Buffer.concat([...body(len, at)])
      ids[n] = sdkBlockId(n)
      await blob.stageBlock(ids[n], bytes, len)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  await blob.commitBlockList(ids)
  await blob.delete()
}

/**
 * Bare SDK from a body that arrives as 64 KiB chunks (as a request's does): uploadStream gathers
 * them into `blockSize` buffers and stages `inFlight` at a time (the work the store does too).
 */
async function sdkStream(container, size, blockSize, inFlight) {
  const blob = container.getBlockBlobClient(`sdk/stream-${++seq}`)
  await blob.uploadStream(Readable.from(body(size)), blockSize, inFlight)
  await blob.delete()
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
      offset = await store.append(file, asyncBody(n, info.offset), info.offset)
      if (offset === size) await store.complete(file)
    } finally {
      await lock.release()
    }
  }
  await store.delete(file)
}

/** A TUS client on node:http: POST, then PATCHes streamed in 64 KiB writes with backpressure. */
function request(agent, port, method, path, headers, size = 0, start = 0) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res))
      res.on('error', reject)
    })
    req.on('error', reject)
    const chunks = body(size, start)
    // next() by hand: leaving a for…of loop would close the generator at the first backpressure.
    const pump = () => {
      for (let c = chunks.next(); !c.done; c = chunks.next()) {
        if (!req.write(c.value)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

async function tusUpload(agent, port, size, patchSize) {
  const meta = `filename ${Buffer.from(`bench-${++seq}.bin`).toString('base64')}`
  const created = await request(agent, port, 'POST', '/files', {
    'Tus-Resumable': '1.0.0',
    'Upload-Length': String(size),
    'Upload-Metadata': meta,
    'Content-Length': '0',
  })
  if (created.statusCode !== 201) throw new Error(`@tus/server POST: ${created.statusCode}`)
  const url = new URL(created.headers.location, `http://127.0.0.1:${port}`).pathname
  for (let offset = 0; offset < size; ) {
    const n = Math.min(patchSize, size - offset)
    const res = await request(
      agent,
      port,
      'PATCH',
      url,
      {
        'Tus-Resumable': '1.0.0',
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': String(offset),
        'Content-Length': String(n),
      },
      n,
      offset,
    )
    const next = Number(res.headers['upload-offset'])
    if (res.statusCode !== 204 || next !== offset + n) {
      throw new Error(`@tus/server PATCH at ${offset}: ${res.statusCode}, offset ${next}`)
    }
    offset = next
  }
  return decodeURIComponent(url.split('/').pop())
}

/** Installs the @tus peers into bench/node_modules (npm, once); a reason when that cannot be done. */
async function tusPeers() {
  if (process.env.BENCH_NO_TUS === '1') return { reason: 'BENCH_NO_TUS=1' }
  try {
    if (!existsSync(path.join(HERE, 'node_modules/@tus/azure-store'))) {
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
      await run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', HERE], {
        timeout: 10 * 60_000,
        maxBuffer: 16 << 20,
      })
    }
    const [{ Server }, { AzureStore: TusAzureStore }, sdk] = await Promise.all([
      import('@tus/server'),
      import('@tus/azure-store'),
      import('@azure/storage-blob'),
    ])
    return { Server, TusAzureStore, sdk }
  } catch (err) {
    return { reason: `@tus peers unavailable: ${err.message.split('\n')[0]}` }
  }
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

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

const scenarios = []
function scenario(name, fn, { ratio = true, isCeiling = false, isStreamCeiling = false } = {}) {
  scenarios.push({
    name,
    fn,
    ratio,
    isCeiling,
    isStreamCeiling,
    times: [],
    ratios: [],
    streamRatios: [],
    rss: 0,
    azuriteRss: 0,
  })
}

// Rounds: every scenario once per round, the ceiling first, so each ratio compares runs minutes
// apart at most (a shared machine's speed drifts over a run); the table shows medians.
async function runRounds(azurite) {
  let current
  const sampler = setInterval(() => {
    if (!current) return
    current.rss = Math.max(current.rss, process.memoryUsage().rss)
    current.azuriteRss = Math.max(current.azuriteRss, rssOf(azurite.pid))
  }, 50)
  try {
    for (let round = 0; round < RUNS; round++) {
      let ceiling = 0
      let streamCeiling = 0
      for (const sc of scenarios) {
        current = sc
        const t = await timed(sc.fn)
        sc.times.push(t)
        const mibs = SIZE / MiB / t
        if (sc.isCeiling) ceiling = mibs
        else sc.ratios.push(mibs / ceiling)
        if (sc.isStreamCeiling) streamCeiling = mibs
        else if (streamCeiling) sc.streamRatios.push(mibs / streamCeiling)
        const r = sc.isCeiling
          ? ''
          : ` (${(mibs / ceiling).toFixed(2)}×${streamCeiling && !sc.isStreamCeiling ? `, ${(mibs / streamCeiling).toFixed(2)}× of uploadStream` : ''})`
        console.error(`round ${round + 1}: ${sc.name}: ${mibs.toFixed(1)} MiB/s${r}`)
      }
    }
  } finally {
    clearInterval(sampler)
  }
}

const location = DISK ? mkdtempSync(path.join(os.tmpdir(), 'psi-azurite-bench-')) : undefined
const azurite = await startAzurite({ location })
const closers = []
let tusNote = ''
try {
  const store = new AzureStore({
    connectionString: azurite.connectionString,
    container: CONTAINER,
    createContainer: true,
  })
  await store.init()
  closers.push(() => store.close())
  const locker = new AzureLocker(store)
  const blockSize = store.config.blockSize
  const bs = `${blockSize / MiB} MiB`
  const mib = `${SIZE / MiB} MiB`

  scenario(
    `bare SDK stageBlock, ${bs} blocks, 1 in flight, commitBlockList, ${mib}`,
    () => sdkBlocks(store.container, SIZE, blockSize, 1),
    { ratio: false, isCeiling: true },
  )
  scenario(`bare SDK stageBlock, ${bs} blocks, 4 in flight, commitBlockList, ${mib}`, () =>
    sdkBlocks(store.container, SIZE, blockSize, 4),
  )
  scenario(
    `bare SDK uploadStream from 64 KiB chunks, ${bs} buffers, 1 in flight, ${mib}`,
    () => sdkStream(store.container, SIZE, blockSize, 1),
    { isStreamCeiling: true },
  )
  scenario(`AzureStore, ${mib} in 16 MiB PATCHes`, () => storeUpload(store, locker, SIZE, 16 * MiB))
  scenario(`AzureStore, ${mib} in 5,000,000-byte PATCHes`, () => storeUpload(store, locker, SIZE, 5_000_000))

  const tus = await tusPeers()
  if (tus.reason) {
    tusNote = tus.reason
  } else {
    const client = tus.sdk.BlobServiceClient.fromConnectionString(
      azurite.connectionString,
    ).getContainerClient(CONTAINER)
    const server = new tus.Server({ path: '/files', datastore: new tus.TusAzureStore({ client }) })
    const httpServer = http.createServer((req, res) => server.handle(req, res))
    await new Promise((r) => httpServer.listen(0, '127.0.0.1', r))
    const port = httpServer.address().port
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    closers.push(
      () => new Promise((r) => httpServer.close(r)),
      () => agent.destroy(),
    )
    const tusRow = (patch, label) =>
      scenario(`@tus/server + @tus/azure-store over node:http, ${mib} in ${label} PATCHes`, async () => {
        const id = await tusUpload(agent, port, SIZE, patch)
        await client.getBlobClient(id).delete()
      })
    tusRow(16 * MiB, '16 MiB')
    tusRow(5_000_000, '5,000,000-byte')
  }
  await runRounds(azurite)
} finally {
  for (const close of closers) await Promise.resolve(close()).catch(() => {})
  await azurite.stop()
  if (location) rmSync(location, { recursive: true, force: true })
}

const fmt = (v, d = 1) => v.toFixed(d)
console.log(
  `\nRounds: ${RUNS} (each scenario once per round, the ceiling first; medians, ratio range across rounds). ` +
    `Azurite data: ${DISK ? 'disk (temp dir)' : 'memory'}. Node ${process.versions.node}.` +
    (tusNote ? ` @tus rows left out: ${tusNote}.` : ''),
)
console.log(
  '\n| scenario | MiB/s | vs stageBlock, 1 in flight (range) | vs uploadStream, 1 in flight (range) | peak RSS MiB | Azurite peak RSS MiB |',
)
console.log('|---|---|---|---|---|---|')
const ratioCell = (xs) =>
  xs.length === 0
    ? '–'
    : `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`
for (const sc of scenarios) {
  const ratio = sc.isCeiling ? '1' : ratioCell(sc.ratios)
  const streamRatio = sc.isStreamCeiling ? '1' : ratioCell(sc.streamRatios)
  console.log(
    `| ${sc.name} | ${fmt(SIZE / MiB / median(sc.times))} | ${ratio} | ${streamRatio} | ${fmt(sc.rss / MiB, 0)} | ${fmt(sc.azuriteRss / MiB, 0)} |`,
  )
}
