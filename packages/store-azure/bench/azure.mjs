// Upload throughput of the Azure store against a bare @azure/storage-blob upload of the same
// bytes to the same Azurite, in one run (so the table is made of ratios measured side by side),
// and @tus/server with @tus/azure-store where it can be installed.
//
//   pnpm --filter @psitransfer/store-azure bench     (starts a private Azurite, scripts/azurite.mjs)
//   BENCH_RUNS=4 BENCH_MIB=256                       (rounds, size of each upload)
//   BENCH_AZURITE_DISK=1                             (Azurite keeps data in a temp dir, not in memory)
//   BENCH_NO_TUS=1                                   (skip the @tus/azure-store rows)
//
// Fairness: every upload row has a bare-SDK baseline staging the same bytes in the same blocks
// with the same concurrency: 16 MiB PATCHes become 8 MiB blocks (the store's block size), so
// their baseline stages 8 MiB blocks, and so do 8 MiB PATCHes (the server's default `chunkSize`,
// which its web client sends); 5,000,000-byte PATCHes become one 5,000,000-byte block
// each, so theirs stages 5,000,000-byte blocks; one block in flight in both (the store stages
// a PATCH's blocks one after another). The baseline's blocks are slices of one prepared buffer
// (the no-copy bound); the store gets the body as 64 KiB chunks, as from a request.
// Rounds run every scenario once, in alternating order (A B C … then … C B A), so neither side
// always runs first or on a fuller Azurite; the ratio is taken per round, the table shows
// medians and the range across rounds.
//
// The bare-SDK rows use the store's own ContainerClient (same pipeline, keep-alive, retries).
// Each PATCH is driven like the TUS machine drives the store: AzureLocker lock, info, append,
// release; the last one completes the upload. The @tus rows send real PATCHes over node:http
// to @tus/server's handler in this process (its peers live in bench/node_modules, installed
// with npm from bench/package.json: outside the workspace, its lockfile and the package).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AzureLocker, AzureStore } from '../dist/index.js'
import { startAzurite } from '../scripts/azurite.mjs'

const run = promisify(execFile)
const HERE = fileURLToPath(new URL('.', import.meta.url))
const MiB = 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 4)
const SIZE = Math.round(Number(process.env.BENCH_MIB ?? 256)) * MiB
const DISK = process.env.BENCH_AZURITE_DISK === '1'
const CONTAINER = 'psi-bench'

// One random pattern reused as the content of every upload: generating data is not what we
// measure. Byte i of an upload is PATTERN[i % 16 MiB]; the buffer is 8 MiB longer than the
// period so any block of up to 8 MiB is one slice of it, never a copy.
const PERIOD = 16 * MiB
const PATTERN = (() => {
  const head = randomBytes(PERIOD)
  return Buffer.concat([head, head.subarray(0, 8 * MiB)])
})()

/** `size` bytes from offset `start` of the pattern, as a request body would arrive: 64 KiB chunks. */
function* body(size, start = 0, chunk = 64 * 1024) {
  for (let at = start; at < start + size; ) {
    const from = at % PERIOD
    const n = Math.min(chunk, start + size - at, PERIOD - from)
    yield PATTERN.subarray(from, from + n)
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
  if (blockSize > PATTERN.byteLength - PERIOD) throw new Error('blocks beyond 8 MiB would need a copy')
  const blob = container.getBlockBlobClient(`sdk/blocks-${++seq}`)
  const count = Math.ceil(size / blockSize)
  const ids = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const n = next++
      const at = n * blockSize
      const len = Math.min(blockSize, size - at)
      const from = at % PERIOD
      ids[n] = sdkBlockId(n)
      await blob.stageBlock(ids[n], PATTERN.subarray(from, from + len), len)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  await blob.commitBlockList(ids)
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
/** A row; `baseline` is the row its ratio is taken against (same round), none for a baseline. */
function scenario(name, fn, baseline) {
  const sc = { name, fn, baseline, mibs: [], ratios: [], cpu: [], requests: [], rss: 0, azuriteRss: 0 }
  scenarios.push(sc)
  return sc
}

async function runRounds(azurite) {
  let current
  // Requests this process sends to Azurite while a scenario runs (the @tus rows' PATCHes to
  // their local server are not counted).
  let requests = 0
  const azuriteHost = `127.0.0.1:${azurite.port}`
  const onRequest = ({ request }) => {
    if (request.getHeader('host') === azuriteHost) requests++
  }
  subscribe('http.client.request.start', onRequest)
  const sampler = setInterval(() => {
    if (!current) return
    current.rss = Math.max(current.rss, process.memoryUsage().rss)
    current.azuriteRss = Math.max(current.azuriteRss, rssOf(azurite.pid))
  }, 50)
  try {
    for (let round = 0; round < RUNS; round++) {
      const order = round % 2 === 0 ? scenarios : [...scenarios].reverse()
      for (const sc of order) {
        current = sc
        const cpu0 = process.cpuUsage()
        requests = 0
        const t = await timed(sc.fn)
        const cpu = process.cpuUsage(cpu0)
        sc.requests.push(requests)
        sc.mibs.push(SIZE / MiB / t)
        sc.cpu.push((cpu.user + cpu.system) / 1e6)
      }
      for (const sc of order) {
        const mibs = sc.mibs[round]
        if (sc.baseline) sc.ratios.push(mibs / sc.baseline.mibs[round])
        const r = sc.baseline ? ` (${sc.ratios[round].toFixed(2)}× of its baseline)` : ''
        console.error(
          `round ${round + 1}: ${sc.name}: ${mibs.toFixed(1)} MiB/s${r}, client CPU ${sc.cpu[round].toFixed(2)} s`,
        )
      }
    }
  } finally {
    clearInterval(sampler)
    unsubscribe('http.client.request.start', onRequest)
  }
}

/** The commit measured, marked dirty when the package has uncommitted changes. */
async function revision() {
  try {
    const { stdout: head } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE })
    const { stdout: dirty } = await run('git', ['status', '--porcelain', '--', '..'], { cwd: HERE })
    return `commit ${head.trim()}${dirty.trim() ? ' + uncommitted changes' : ''}`
  } catch {
    return 'unknown commit'
  }
}

const loadStart = os.loadavg()
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
  if (blockSize !== 8 * MiB) throw new Error('the baselines assume the default 8 MiB block size')
  const mib = `${SIZE / MiB} MiB`

  const bare8 = scenario(`bare SDK stageBlock, 8 MiB blocks, 1 in flight, ${mib}`, () =>
    sdkBlocks(store.container, SIZE, 8 * MiB, 1),
  )
  const bare5 = scenario(`bare SDK stageBlock, 5,000,000-byte blocks, 1 in flight, ${mib}`, () =>
    sdkBlocks(store.container, SIZE, 5_000_000, 1),
  )
  scenario(
    `AzureStore, 16 MiB PATCHes (8 MiB blocks), ${mib}`,
    () => storeUpload(store, locker, SIZE, 16 * MiB),
    bare8,
  )
  // The server's default `chunkSize`, so what its web client sends.
  scenario(
    `AzureStore, 8 MiB PATCHes (one block each: the web client's default), ${mib}`,
    () => storeUpload(store, locker, SIZE, 8 * MiB),
    bare8,
  )
  scenario(
    `AzureStore, 5,000,000-byte PATCHes (one block each), ${mib}`,
    () => storeUpload(store, locker, SIZE, 5_000_000),
    bare5,
  )

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
    const tusRow = (patch, label, baseline) =>
      scenario(
        `@tus/server + @tus/azure-store over node:http, ${label} PATCHes, ${mib}`,
        async () => {
          const id = await tusUpload(agent, port, SIZE, patch)
          await client.getBlobClient(id).delete()
        },
        baseline,
      )
    tusRow(16 * MiB, '16 MiB', bare8)
    tusRow(8 * MiB, '8 MiB', bare8)
    tusRow(5_000_000, '5,000,000-byte', bare5)
  }
  await runRounds(azurite)
} finally {
  for (const close of closers) await Promise.resolve(close()).catch(() => {})
  await azurite.stop()
  if (location) rmSync(location, { recursive: true, force: true })
}

const loadEnd = os.loadavg()
const fmt = (v, d = 1) => v.toFixed(d)
console.log(
  `\n${new Date().toISOString()}, ${await revision()}, Node ${process.versions.node}, ${os.cpus().length} CPUs, load average ` +
    `${fmt(loadStart[0], 2)} at the start, ${fmt(loadEnd[0], 2)} at the end. Rounds: ${RUNS} (alternating order; ` +
    `medians, ratio range across rounds). Azurite data: ${DISK ? 'disk (temp dir)' : 'memory'}.` +
    (tusNote ? ` @tus rows left out: ${tusNote}.` : ''),
)
console.log(
  '\n| scenario | MiB/s | vs its bare baseline (range) | requests to Azurite | client CPU s | peak RSS MiB | Azurite peak RSS MiB |',
)
console.log('|---|---|---|---|---|---|---|')
for (const sc of scenarios) {
  const ratio = sc.baseline
    ? `${median(sc.ratios).toFixed(2)}× (${Math.min(...sc.ratios).toFixed(2)}–${Math.max(...sc.ratios).toFixed(2)})`
    : 'baseline'
  console.log(
    `| ${sc.name} | ${fmt(median(sc.mibs))} | ${ratio} | ${median(sc.requests)} | ${fmt(median(sc.cpu), 2)} | ${fmt(sc.rss / MiB, 0)} | ${fmt(sc.azuriteRss / MiB, 0)} |`,
  )
}
