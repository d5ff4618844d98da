// The bench's own scenario families, driven with the shared harness's tus-bench and dl-bench
// (run-suite's scenarios are fixed at 1 GiB and FS-only): the S3 store against @tus/server +
// @tus/s3-store and the bare SDK, and archives against downloading the same files one by one.
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createGunzip } from 'node:zlib'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const PEERS_DIR = path.join(HERE, 'peers')
const MiB = 1024 * 1024

/** S3 scenarios: tus-bench arguments per size (full and smoke). */
export const S3_SCENARIOS = {
  's3-big-16m': {
    full: { size: 1024 * MiB, chunk: 16 * MiB, files: 1, c: 1 },
    smoke: { size: 12 * MiB, chunk: 4 * MiB, files: 1, c: 1 },
  },
  // PsiTransfer's own web client sends 5,000,000-byte PATCHes: below S3's 5 MiB part minimum.
  's3-5mb': {
    full: { size: 256 * MiB, chunk: 5_000_000, files: 1, c: 1 },
    smoke: { size: 12 * MiB, chunk: 5_000_000, files: 1, c: 1 },
  },
  's3-conc8-128m': {
    full: { size: 128 * MiB, chunk: 16 * MiB, files: 8, c: 8 },
    smoke: { size: 4 * MiB, chunk: 4 * MiB, files: 2, c: 2 },
  },
  's3-small-64k': {
    full: { size: 64 * 1024, chunk: 16 * MiB, files: 50, c: 1 },
    smoke: { size: 64 * 1024, chunk: 16 * MiB, files: 3, c: 1 },
  },
  // The same files as the web app and `curl -T` send them: the bytes in the creating POST
  // (creation-with-upload), which lets a store write a whole small file in one go.
  's3-small-64k-cwu': {
    full: { size: 64 * 1024, chunk: 16 * MiB, files: 50, c: 1, creationWithUpload: true },
    smoke: { size: 64 * 1024, chunk: 16 * MiB, files: 3, c: 1, creationWithUpload: true },
  },
}
/**
 * Our server lets only a bucket's uploader add files: the first creation proposes this token and
 * every later one sends it (X-Bucket-Token), as the web app does with its own.
 */
export const BUCKET_TOKEN = 'psitransfer-bench-bucket-token'
export const BUCKET_TOKEN_HEADER = `X-Bucket-Token=${BUCKET_TOKEN}`
export const S3_SERVERS = ['psitransfer', 'tus-s3-store', 's3-sdk']
export const ARCHIVE_STORES = ['fs', 's3']
export const ARCHIVE_KINDS = ['zip', 'tar.gz', 'one-by-one']

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function waitPort(port, ms, child) {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null)
        return reject(new Error(`server exited (${child.exitCode}) before listening`))
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve()
      })
      s.once('error', () => {
        s.destroy()
        if (Date.now() > deadline) reject(new Error(`nothing listening on port ${port}`))
        else setTimeout(attempt, 100)
      })
    }
    attempt()
  })
}

/** Starts `node script` (the process measured is the server itself, never a wrapper). */
export async function startServer(node, script, env, port, log) {
  const child = spawn(node, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  child.stdout.on('data', (d) => log(`  [server] ${String(d).trimEnd()}`))
  await waitPort(port, 30_000, child)
  return child
}

export async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(t)
}

/** Runs a harness tool (or our s3-sdk peer) on `node`; its JSON lines are appended to `out` and returned. */
export function runTool(node, script, args, { out, env = process.env, cwd } = {}) {
  return new Promise((resolve) => {
    const p = spawn(node, [script, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'inherit'] })
    let buf = ''
    p.stdout.on('data', (d) => {
      buf += d
    })
    p.on('error', (err) => resolve({ code: 1, lines: [], err }))
    p.on('exit', (code) => {
      const raw = buf.split('\n').filter((l) => l.startsWith('{'))
      if (out) fs.appendFileSync(out, raw.map((l) => `${l}\n`).join(''))
      resolve({ code, lines: raw.map((l) => JSON.parse(l)) })
    })
  })
}

/** Installs the S3 peers into bench/peers/node_modules (npm ci, once). */
export async function installPeers(log) {
  if (fs.existsSync(path.join(PEERS_DIR, 'node_modules', '@tus', 's3-store', 'package.json'))) return
  log(
    'bench: installing the S3 peers (@tus/server, @tus/s3-store, @aws-sdk/client-s3) into bench/peers (once)',
  )
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  await promisify(execFile)(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PEERS_DIR,
    timeout: 10 * 60_000,
    maxBuffer: 16 << 20,
  })
}

function parseEnv(text) {
  const out = {}
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1]] = m[2]
  }
  return out
}

/**
 * The S3 to use: PSI_S3_* from the environment when PSI_S3_BUCKET is set, else the shared local
 * RGW (scripts/s3/rgw.sh start: idempotent, never stopped here) under a lease of this process.
 */
export async function s3Target(repo) {
  const script = path.join(repo, 'scripts', 's3', 'rgw.sh')
  let vars = process.env
  let release = async () => {}
  if (!process.env.PSI_S3_BUCKET) {
    const env = { ...process.env, PSI_RGW_LEASE: String(process.pid) }
    const { stdout } = await promisify(execFile)(script, ['start'], {
      env,
      timeout: 15 * 60_000,
      maxBuffer: 1 << 20,
    })
    vars = parseEnv(stdout)
    release = () => promisify(execFile)(script, ['release'], { env, timeout: 120_000 }).catch(() => {})
  }
  const need = (k) => {
    if (!vars[k]) throw new Error(`${k} is not set (rgw.sh printed no env?)`)
    return vars[k]
  }
  const s3 = {
    PSI_S3_ENDPOINT: need('PSI_S3_ENDPOINT'),
    PSI_S3_BUCKET: need('PSI_S3_BUCKET'),
    PSI_S3_REGION: vars.PSI_S3_REGION || 'us-east-1',
    PSI_S3_ACCESS_KEY: need('PSI_S3_ACCESS_KEY'),
    PSI_S3_SECRET_KEY: need('PSI_S3_SECRET_KEY'),
  }
  return { env: s3, release }
}

/** Our server's storage variables for the S3 store (as apps/server/src/test-support/rgw.ts). */
export function s3StorageEnv(s3) {
  return {
    PSITRANSFER_STORAGE_TYPE: 's3',
    PSITRANSFER_STORAGE_BUCKET: s3.PSI_S3_BUCKET,
    PSITRANSFER_STORAGE_REGION: s3.PSI_S3_REGION,
    PSITRANSFER_STORAGE_ENDPOINT: s3.PSI_S3_ENDPOINT,
    PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'true',
    PSITRANSFER_STORAGE_ACCESS_KEY_ID: s3.PSI_S3_ACCESS_KEY,
    PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: s3.PSI_S3_SECRET_KEY,
  }
}

export const tusS3Peer = path.join(PEERS_DIR, 'tus-s3-store.mjs')
export const s3SdkPeer = path.join(PEERS_DIR, 's3-sdk.mjs')

/** tus-bench arguments of one S3 scenario. */
export function tusArgs(def) {
  return [
    '--size',
    String(def.size),
    '--chunk',
    String(def.chunk),
    '--files',
    String(def.files),
    '--concurrency',
    String(def.c),
    ...(def.creationWithUpload ? ['--creation-with-upload'] : []),
  ]
}

/** Bytes of the archive at `url` as its entries hold them: a tar.gz is counted gunzipped. */
async function archiveBytes(url, kind) {
  const res = await fetch(url)
  if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`)
  let n = 0
  const body = Readable.fromWeb(res.body)
  for await (const c of kind === 'tar.gz' ? body.pipe(createGunzip()) : body) n += c.length
  return n
}

/** Admin password of our servers in the bench (they listen on 127.0.0.1 only). */
export const BENCH_ADMIN_PASS = 'psitransfer-bench-admin'

/** Deletes bucket `sid` and its files through the admin API (a bucket on S3 outlives the run). */
export async function deleteBucket(base, sid) {
  const res = await fetch(`${base}/admin/buckets/${sid}`, {
    method: 'DELETE',
    headers: { 'x-passwd': BENCH_ADMIN_PASS },
  })
  if (res.status !== 204) throw new Error(`DELETE admin/buckets/${sid}: HTTP ${res.status}`)
}

/** A dl-bench line's rate in payload bytes (what the files hold), its wire rate kept beside. */
function payloadRate(line, payload) {
  const total = payload * (line.count ?? 1)
  return { wireMibPerS: line.mibPerS, payloadBytes: total, mibPerS: total / MiB / line.wallS }
}

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } })
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
  return res.json()
}

/**
 * One archive sitting on a running server of ours: uploads `files` × `size` into bucket `sid`
 * (verified, untimed), then times the zip, the tar.gz and the same files one by one, each
 * `reps` times. Returns the dl-bench lines (labels `${name}:zip|tar.gz|one-by-one`) and failures.
 */
export async function archiveRun({ node, harness, out, base, pid, name, sid, files, size, reps, s3 }) {
  const failures = []
  const lines = []
  const loc = path.join(path.dirname(out), `.locations-${process.pid}-${name.replace(/[^\w.-]/g, '_')}.json`)
  // S3 answers a plain file GET with a 302 to a presigned URL; `inline=1` on an inline-safe type
  // streams it through the server, as the archive does, so both sides read the same S3 objects.
  const downloadUrl = s3 ? '{location}?inline=1' : '{location}'
  const up = await runTool(
    node,
    path.join(harness, 'tus-bench.mjs'),
    [
      '--endpoint',
      `${base}/files/`,
      '--size',
      String(size),
      '--chunk',
      String(16 * MiB),
      '--files',
      String(files),
      '--concurrency',
      '4',
      '--meta',
      `sid=${sid}`,
      ...(s3 ? ['--meta', 'type=text/plain'] : []),
      '--headers',
      BUCKET_TOKEN_HEADER,
      '--server-pid',
      String(pid),
      '--verify',
      '--download-url',
      downloadUrl,
      '--locations-out',
      loc,
      '--label',
      `${name}:archive-upload`,
      '--quiet',
    ],
    { out, cwd: harness },
  )
  if (up.code !== 0 || !up.lines.every((l) => l.ok && l.verify?.ok)) {
    failures.push(`${name}: the archive's upload failed or did not verify`)
    return { lines, failures }
  }
  const listing = await getJson(`${base}/${sid}.json`)
  if (listing.items?.length !== files)
    failures.push(`${name}: listing has ${listing.items?.length} of ${files} files`)
  const dl = (kind, args) =>
    runTool(
      node,
      path.join(harness, 'dl-bench.mjs'),
      [
        ...args,
        '--repeat',
        String(reps),
        '--server-pid',
        String(pid),
        '--label',
        `${name}:${kind}`,
        '--quiet',
      ],
      { out, cwd: harness },
    )
  for (const [kind, url] of [
    ['zip', listing.zipUrl],
    ['tar.gz', listing.tarGzUrl],
  ]) {
    const href = new URL(url, base).href
    const r = await dl(kind, ['--url', href, '--count', '1'])
    if (r.code !== 0) failures.push(`${name}:${kind}: dl-bench exited ${r.code}`)
    // The rate that matters is the files' bytes per second (a tar.gz's wire bytes are fewer).
    for (const l of r.lines) if (l.type === 'run') Object.assign(l, payloadRate(l, files * size))
    lines.push(...r.lines)
    // Untimed: the archive carries every file's bytes (stored zip entries; the tar once gunzipped).
    const got = await archiveBytes(href, kind).catch((err) => `${err.message}`)
    if (typeof got !== 'number' || got < files * size)
      failures.push(
        `${name}:${kind}: archive holds ${got} bytes, fewer than the ${files * size} of its files`,
      )
  }
  const one = await dl('one-by-one', [
    '--urls-from',
    loc,
    '--count',
    String(files),
    '--concurrency',
    '1',
    '--hash',
  ])
  if (one.code !== 0) failures.push(`${name}:one-by-one: dl-bench exited ${one.code}`)
  lines.push(...one.lines)
  // An S3 bucket outlives the run: delete it, or every sitting leaves its archive's gigabyte
  // behind (finished uploads take no tus termination; the test gateway's disk filled up that way).
  if (s3) await deleteBucket(base, sid).catch((err) => failures.push(`${name}: ${err.message}`))
  fs.rmSync(loc, { force: true })
  return { lines, failures }
}
