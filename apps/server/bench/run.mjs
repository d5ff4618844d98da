#!/usr/bin/env node
// Benchmark of the built server in one sitting, three families, one table each:
//  fs       uploads (and `dl-1g` downloads) on the FS store against the shared harness's peers
//           `raw-sink` (node:http piping into a file, the practical ceiling) and
//           `tus-node-server` (@tus/server + @tus/file-store, stock), through its run-suite;
//  s3       uploads on the S3 store (the local RGW, scripts/s3/rgw.sh) against @tus/server +
//           @tus/s3-store and the bare-SDK ceiling (8 MiB parts, 4 in flight, same bytes);
//  archive  a zip and a tar.gz of N × M MiB from FS and from S3 against the same files GET one
//           by one (server peak RSS beside).
// Every upload is read back and sha256-verified.
//
//   pnpm --filter @psitransfer/server bench [-- --all] [--families fs,s3,archive] [--rounds 2]
//        [--reps 3] [--scenarios a,b] [--peers raw-sink,tus-node-server] [--node 24|22|/path/node]
//        [--ours name=/path/main.js[;ENV=value…]] [--env K=V] [--archive-files 100]
//        [--archive-mib 10] [--scale 1] [--smoke] [--save] [--out FILE]
//
// Servers are interleaved: every round runs each server once per scenario (the order rotating
// between rounds), so load from other jobs on the machine hits all of them alike. Ratios are of
// medians; the [range] is the per-round ratio, a measure of drift. `--node` runs every server,
// ours and the peers (and the harness's clients), on that Node: 24 and 22 are the pinned
// binaries of scripts/ci/node.sh. `--smoke`: tiny sizes, 1 round × 1 rep, every family, for the
// harness's own test. `--save`: the JSONL (gzipped) and the tables go to bench/results/, named by
// date, commit, Node and machine. Needs a build (turbo's `bench` task depends on `build`); the
// harness is BENCH_HARNESS or ../shared/bench next to the repository, copied and npm-installed
// under the OS temp dir.
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import {
  ARCHIVE_STORES,
  archiveRun,
  BENCH_ADMIN_PASS,
  BUCKET_TOKEN_HEADER,
  deleteBucket,
  freePort,
  installPeers,
  runTool,
  S3_SCENARIOS,
  s3SdkPeer,
  s3StorageEnv,
  s3Target,
  startServer,
  stopServer,
  tusArgs,
  tusS3Peer,
} from './families.mjs'
import { prepareHarness } from './harness.mjs'
import { renderSummary, summarize } from './summary.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..', '..')
const MiB = 1024 * 1024
const FAMILIES = ['fs', 's3', 'archive']
const DEFAULT_SCENARIOS = ['big-16m', 'small-64k', 'small-64k-c8']
const ALL_SCENARIOS = [...DEFAULT_SCENARIOS, 'big-1patch', 'conc8-128m', 'dl-1g']
// run-suite's scenarios are fixed in size (200 files at the least): a smoke run drives
// tus-bench itself for the FS family.
const FS_SMOKE = { 'fs-smoke': { size: 4 * 1024 * 1024, chunk: 1024 * 1024, files: 3, c: 2 } }
const PEERS = {
  'raw-sink': { script: 'peers/raw-sink.mjs', dirEnv: 'SINK_DIR', closeDelayMs: 0 },
  // @tus/server 2.4.5 crashes on Node 20 when a download's client closes at once (harness README).
  'tus-node-server': { script: 'peers/tus-node-server.mjs', dirEnv: 'TUS_DIR', closeDelayMs: 500 },
}

// `pnpm … bench -- --all` passes the `--` through.
const argv = process.argv.slice(2)
const { values: a } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    all: { type: 'boolean', default: false },
    families: { type: 'string' },
    scenarios: { type: 'string' },
    rounds: { type: 'string' },
    reps: { type: 'string' },
    peers: { type: 'string', default: Object.keys(PEERS).join(',') },
    node: { type: 'string' },
    ours: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    'archive-files': { type: 'string' },
    'archive-mib': { type: 'string' },
    scale: { type: 'string', default: '1' },
    smoke: { type: 'boolean', default: false },
    save: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (a.help) {
  process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport')[0])
  process.exit(0)
}

const log = (s) => process.stderr.write(`${s}\n`)
const die = (s) => {
  log(`bench: ${s}`)
  process.exit(2)
}
const positive = (s, name) => {
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n < 1) die(`--${name} must be a positive integer`)
  return n
}
const kv = (s) => {
  const i = s.indexOf('=')
  if (i < 1) die(`expected KEY=VALUE, got "${s}"`)
  return [s.slice(0, i), s.slice(i + 1)]
}

/** The Node binary every server runs on: 24/22 are scripts/ci/node.sh's pinned builds. */
function resolveNode(spec) {
  if (!spec) return process.execPath
  if (/^\d+$/.test(spec)) {
    const bin = execFileSync(path.join(REPO, 'scripts', 'ci', 'node.sh'), [spec, '--path'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim()
    return path.join(bin, 'node')
  }
  const file = path.resolve(spec)
  if (!fs.existsSync(file)) die(`--node ${spec}: no such file`)
  return file
}

const families = (a.families ?? FAMILIES.join(',')).split(',').filter(Boolean)
for (const f of families)
  if (!FAMILIES.includes(f)) die(`unknown family ${f} (known: ${FAMILIES.join(', ')})`)
const smoke = a.smoke
const scenarios = a.scenarios
  ? a.scenarios.split(',').filter(Boolean)
  : smoke
    ? []
    : a.all
      ? ALL_SCENARIOS
      : DEFAULT_SCENARIOS
for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) die(`unknown scenario ${s}`)
const peers = a.peers.split(',').filter(Boolean)
for (const p of peers) if (!PEERS[p]) die(`unknown peer ${p} (known: ${Object.keys(PEERS).join(', ')})`)
const rounds = positive(a.rounds ?? (smoke ? '1' : '2'), 'rounds')
const reps = positive(a.reps ?? (smoke ? '1' : '3'), 'reps')
const scale = Number(a.scale)
if (!(scale > 0)) die('--scale must be a positive number')
const archiveFiles = positive(a['archive-files'] ?? (smoke ? '3' : '100'), 'archive-files')
const archiveSize = Math.round(
  positive(a['archive-mib'] ?? (smoke ? '4' : '10'), 'archive-mib') * MiB * scale,
)
const commonEnv = Object.fromEntries((a.env ?? []).map(kv))
const node = resolveNode(a.node)
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
const ours = (a.ours ?? [`psitransfer=${path.join(REPO, 'apps/server/dist/main.js')}`]).map((spec) => {
  const [name, rest] = kv(spec)
  const [main, ...envs] = rest.split(';')
  const file = path.resolve(main)
  if (!fs.existsSync(file))
    die(`${file} does not exist: build first (pnpm --filter @psitransfer/server... build)`)
  // run-suite splits --server-cmd on spaces and must start the server process itself.
  if (/\s/.test(file) || /\s/.test(node)) die(`paths with spaces are not supported: ${file}`)
  return { name, main: file, env: Object.fromEntries(envs.filter(Boolean).map(kv)) }
})
if (new Set([...ours.map((o) => o.name), ...peers]).size !== ours.length + peers.length)
  die('duplicate server names')
// S3 scenario sizes: smoke or full, byte sizes times --scale (chunk sizes stay: they are the point).
const s3Defs = Object.fromEntries(
  Object.entries(S3_SCENARIOS).map(([k, v]) => {
    const d = smoke ? v.smoke : v.full
    return [k, { ...d, size: Math.max(1, Math.round(d.size * scale)) }]
  }),
)

const harness = prepareHarness(
  path.resolve(process.env.BENCH_HARNESS ?? path.join(REPO, '..', 'shared', 'bench')),
  log,
)
const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'psitransfer-bench-data-'))
const started = new Date()
const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19)
const out = path.resolve(a.out ?? path.join(os.tmpdir(), `psitransfer-bench-${stamp}-${process.pid}.jsonl`))
fs.mkdirSync(path.dirname(out), { recursive: true })
const loadBefore = os.loadavg()

function cpuTimes() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = (f[3] ?? 0) + (f[4] ?? 0)
  return { total: f.reduce((x, y) => x + y, 0), idle }
}

/** Busy cores of the whole machine over `ms`, before a server starts: the other jobs' load. */
async function backgroundLoad(ms = smoke ? 100 : 1000) {
  if (!fs.existsSync('/proc/stat')) return null
  const before = cpuTimes()
  await new Promise((r) => setTimeout(r, ms))
  const after = cpuTimes()
  const total = after.total - before.total
  return total > 0 ? ((total - (after.idle - before.idle)) / total) * os.cpus().length : null
}

/** Environment for one server: ours get PSITRANSFER_* only from here, never from the caller. */
function serverEnv(server, port, dir, extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PSITRANSFER_')))
  env.BENCH_DATA = dataRoot
  if (server.peer) return { ...env, HOST: '127.0.0.1', PORT: String(port), ...extra }
  return {
    ...env,
    PSITRANSFER_PORT: String(port),
    PSITRANSFER_IFACE: '127.0.0.1',
    PSITRANSFER_UPLOAD_DIR: dir,
    PSITRANSFER_ACCESS_LOG: 'false',
    PSITRANSFER_LOG_LEVEL: 'warn',
    // For deleting the run's buckets afterwards (finished uploads take no tus termination).
    PSITRANSFER_ADMIN_PASS: BENCH_ADMIN_PASS,
    ...commonEnv,
    ...server.env,
    ...extra,
  }
}

function runSuite(server, scenario, round) {
  return new Promise((resolve) => {
    ;(async () => {
      const port = await freePort()
      const dir = path.join(dataRoot, server.name)
      fs.mkdirSync(dir, { recursive: true })
      const script = server.peer ? path.join(harness, PEERS[server.name].script) : server.main
      const args = [
        path.join(harness, 'run-suite.mjs'),
        '--server-cmd',
        `${node} ${script}`,
        '--endpoint',
        `http://127.0.0.1:${port}/files/`,
        '--data-dir',
        dir,
        '--scenarios',
        scenario,
        '--reps',
        String(reps),
        '--name',
        server.name,
        '--out',
        out,
        '--close-delay-ms',
        String(server.peer ? PEERS[server.name].closeDelayMs : 0),
      ]
      // Our server files every upload under a bucket (`sid`); tus-bench's `filename` is the name.
      if (!server.peer) args.push('--meta', 'sid=bench', '--headers', BUCKET_TOKEN_HEADER)
      const before = fs.existsSync(out) ? fs.statSync(out).size : 0
      const env = serverEnv(server, port, dir, server.peer ? { [PEERS[server.name].dirEnv]: dir } : {})
      // run-suite itself runs on `node`: it starts the peers (and the clients) with its own Node.
      const child = spawn(node, args, { cwd: harness, env, stdio: ['ignore', 'ignore', 'inherit'] })
      child.on('exit', (code) => {
        const fresh = fs.existsSync(out) ? fs.readFileSync(out).subarray(before).toString('utf8') : ''
        const lines = fresh
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
        resolve({ code, lines, round })
      })
    })().catch((err) => resolve({ code: 1, lines: [], round, err }))
  })
}

const record = (o) =>
  fs.appendFileSync(
    out,
    `${JSON.stringify({ tool: 'psitransfer-bench', ts: new Date().toISOString(), ...o })}\n`,
  )
let failures = 0
const fail = (s) => {
  failures++
  log(`bench: ${s}`)
}

/** Samples the machine's load, logs the step and records it: one per server and scenario run. */
async function before(family, scenario, round, name, background) {
  const busyCores = await backgroundLoad()
  background.push({ scenario, busyCores })
  record({ type: 'background', family, server: name, scenario, round, busyCores })
  log(`\n## ${family} · ${scenario} · round ${round} · ${name} (other load: ${busyCores?.toFixed(2)} cores)`)
}

/** Keeps the measured `run` lines of `server` labelled `server:…`, minus setup uploads. */
function collect(runs, server, round, lines, { rename = server, skip = () => false } = {}) {
  for (const line of lines) {
    if (line.type === 'event') fail(`${server}: ${line.event ?? 'event'} during ${line.label}`)
    if (line.type !== 'run' || line.warmup || typeof line.label !== 'string') continue
    const prefix = `${server}:`
    if (!line.label.startsWith(prefix)) continue
    const label = line.label.slice(prefix.length)
    if (label.endsWith(':upload') || skip(label)) continue
    if (!line.ok || (line.verify && !line.verify.ok)) fail(`${server} / ${label}: failed or did not verify`)
    runs.push({ peer: rename, scenario: label, round, line })
  }
}

async function fsFamily() {
  const servers = [
    ...ours.map((o) => ({ ...o, peer: false })),
    ...peers.map((name) => ({ name, peer: true })),
  ]
  const runs = []
  const background = []
  for (const scenario of scenarios) {
    for (let round = 1; round <= rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length])
      for (const server of order) {
        await before('fs', scenario, round, server.name, background)
        const r = await runSuite(server, scenario, round)
        if (r.code !== 0)
          fail(`run-suite for ${server.name} / ${scenario} exited ${r.code}${r.err ? `: ${r.err}` : ''}`)
        collect(runs, server.name, round, r.lines)
      }
    }
  }
  const rows = summarize({ runs, background, ours: ours.map((o) => o.name), peers })
  return `### FS store (default \`fsync: on-complete\`)\n\n${renderSummary(rows, peers)}`
}

/** Ours on S3; `error` level: the store logs the 404s of its ordinary lookups as warnings. */
const s3Env = (s3) => ({ ...s3StorageEnv(s3.env), PSITRANSFER_LOG_LEVEL: 'error' })

let sidSeq = 0
/** A fresh bucket per run (S3 keeps them across runs and only their uploader may add files). */
const freshSid = () => `bench${Date.now().toString(36)}${++sidSeq}`

/**
 * Ours on S3 answers a plain file GET with a 302 to a presigned URL, which the harness does not
 * follow; `inline=1` on an inline-safe type streams it through the server instead.
 */
const ourS3Meta = (sid) => [
  ...['--meta', `sid=${sid}`, '--headers', BUCKET_TOKEN_HEADER],
  ...['--meta', 'type=text/plain', '--download-url', '{location}?inline=1'],
]

/**
 * Interleaved upload scenarios driven with tus-bench directly (run-suite's are fixed in size):
 * `servers` are `{ name, script, env(dir), args(), closeDelayMs }`, or `{ name, sdk: true }`
 * for the bare-SDK peer, which uploads the same bytes itself.
 */
async function uploadFamily(family, defs, servers, peerNames) {
  const runs = []
  const background = []
  for (const [scenario, def] of Object.entries(defs)) {
    for (let round = 1; round <= rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length])
      for (const server of order) {
        await before(family, scenario, round, server.name, background)
        const label = `${server.name}:${scenario}`
        let r
        if (server.sdk) {
          r = await runTool(
            node,
            s3SdkPeer,
            [
              ...['--harness', harness, '--size', String(def.size), '--files', String(def.files)],
              ...['--concurrency', String(def.c), '--repeat', String(reps), '--label', label],
            ],
            { out, env: { ...process.env, ...server.s3 } },
          )
        } else {
          const port = await freePort()
          const dir = path.join(dataRoot, `${family}-${server.name}`)
          fs.rmSync(dir, { recursive: true, force: true })
          fs.mkdirSync(dir, { recursive: true })
          const env = serverEnv(server, port, dir, server.env(dir))
          let child
          try {
            child = await startServer(node, server.script, env, port, log)
            r = await runTool(
              node,
              path.join(harness, 'tus-bench.mjs'),
              [
                ...['--endpoint', `http://127.0.0.1:${port}/files/`, ...tusArgs(def)],
                ...['--repeat', String(reps), '--server-pid', String(child.pid), '--verify'],
                ...['--close-delay-ms', String(server.closeDelayMs ?? 0)],
                ...server.args(dir),
                ...['--label', label, '--quiet'],
              ],
              { out, cwd: harness },
            )
            if (child.exitCode !== null) fail(`${server.name} exited during ${scenario}`)
            else await server.cleanup?.(`http://127.0.0.1:${port}`)
          } catch (err) {
            r = { code: 1, lines: [], err }
          } finally {
            await stopServer(child)
            fs.rmSync(dir, { recursive: true, force: true })
          }
        }
        if (r.code !== 0)
          fail(`${server.name} / ${scenario} exited ${r.code}${r.err ? `: ${r.err.message}` : ''}`)
        collect(runs, server.name, round, r.lines)
      }
    }
  }
  const rows = summarize({ runs, background, ours: ours.map((o) => o.name), peers: peerNames })
  const sizes = Object.entries(defs)
    .map(
      ([k, d]) => `${k}: ${d.files} × ${(d.size / MiB).toFixed(2)} MiB in ${d.chunk}-byte PATCHes, c=${d.c}`,
    )
    .join('; ')
  return `${renderSummary(rows, peerNames)}\n\n${sizes}`
}

function s3Family(s3) {
  const servers = [
    ...ours.map((o) => {
      let sid
      return {
        ...o,
        peer: false,
        script: o.main,
        env: () => s3Env(s3),
        args: () => {
          sid = freshSid()
          return ourS3Meta(sid)
        },
        // Buckets outlive the run on S3: the run's files are deleted (admin API) once it is over.
        cleanup: (base) =>
          deleteBucket(base, sid).catch((err) => fail(`${o.name}: deleting bucket ${sid}: ${err.message}`)),
      }
    }),
    { name: 'tus-s3-store', peer: true, script: tusS3Peer, env: () => s3.env, args: () => ['--delete'] },
    { name: 's3-sdk', sdk: true, s3: s3.env },
  ]
  return uploadFamily('s3', s3Defs, servers, ['tus-s3-store', 's3-sdk']).then(
    (t) => `### S3 store (${s3.env.PSI_S3_ENDPOINT}; bare SDK: 8 MiB parts, 4 in flight per file)\n\n${t}`,
  )
}

/** The FS family at smoke size: run-suite's smallest scenario is 200 files per server. */
function fsSmokeFamily() {
  const clean = (dir) => ['--clean-dir', dir]
  const servers = [
    ...ours.map((o) => ({
      ...o,
      peer: false,
      script: o.main,
      env: () => ({}),
      args: (dir) => [...clean(dir), '--meta', `sid=${freshSid()}`, '--headers', BUCKET_TOKEN_HEADER],
    })),
    ...peers.map((name) => ({
      name,
      peer: true,
      script: path.join(harness, PEERS[name].script),
      env: (dir) => ({ [PEERS[name].dirEnv]: dir }),
      args: clean,
      closeDelayMs: PEERS[name].closeDelayMs,
    })),
  ]
  return uploadFamily('fs', FS_SMOKE, servers, peers).then(
    (t) => `### FS store (default \`fsync: on-complete\`; smoke)\n\n${t}`,
  )
}

async function archiveFamily(s3) {
  const runs = []
  const background = []
  const stores = ARCHIVE_STORES.filter((s) => s !== 's3' || s3)
  for (const store of stores) {
    for (let round = 1; round <= rounds; round++) {
      for (const o of ours) {
        await before('archive', store, round, o.name, background)
        const port = await freePort()
        const dir = path.join(dataRoot, `archive-${o.name}-${store}`)
        fs.rmSync(dir, { recursive: true, force: true })
        fs.mkdirSync(dir, { recursive: true })
        const server = { ...o, peer: false }
        const env = serverEnv(server, port, dir, store === 's3' ? s3Env(s3) : {})
        let child
        try {
          child = await startServer(node, o.main, env, port, log)
          const r = await archiveRun({
            node,
            harness,
            out,
            base: `http://127.0.0.1:${port}`,
            pid: child.pid,
            name: `${o.name}:${store}`,
            sid: freshSid(),
            files: archiveFiles,
            size: archiveSize,
            reps,
            s3: store === 's3',
          })
          for (const f of r.failures) fail(f)
          // One table: `store:zip` and `store:tar.gz` against the same files one by one.
          collect(runs, o.name, round, r.lines, { skip: (s) => s.endsWith(':one-by-one') })
          for (const kind of ['zip', 'tar.gz']) {
            const one = r.lines
              .filter((l) => l.label === `${o.name}:${store}:one-by-one`)
              .map((l) => ({ ...l, label: `one-by-one:${store}:${kind}` }))
            collect(runs, 'one-by-one', round, one)
          }
        } catch (err) {
          fail(`archive ${o.name} / ${store}: ${err.message}`)
        } finally {
          await stopServer(child)
          fs.rmSync(dir, { recursive: true, force: true })
        }
      }
    }
  }
  const rows = summarize({ runs, background, ours: ours.map((o) => o.name), peers: ['one-by-one'] })
  return `### Archives (${archiveFiles} × ${(archiveSize / MiB).toFixed(2)} MiB; one by one: c=1, through the server; MiB/s of the files' bytes, a tar.gz's wire bytes are fewer)\n\n${renderSummary(rows, ['one-by-one'])}`
}

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO,
      encoding: 'utf8',
    }).trim()
    return dirty ? `${sha}-dirty` : sha
  } catch {
    return 'unknown'
  }
}

const commit = gitCommit()
const cores = os.cpus().length
record({
  type: 'sitting',
  started: started.toISOString(),
  commit,
  node: nodeVersion,
  nodePath: node,
  cores,
  cpu: os.cpus()[0]?.model,
  loadavg: loadBefore,
  families,
  smoke,
  rounds,
  reps,
  argv: process.argv.slice(2),
})
log(
  `bench: ${families.join(', ')} on Node ${nodeVersion} (${node}); ${rounds} round(s) × ${reps} rep(s); results → ${out}`,
)
const tables = []
let s3
try {
  if (families.includes('s3') || families.includes('archive')) {
    s3 = await s3Target(REPO)
    if (families.includes('s3')) await installPeers(log)
  }
  if (families.includes('fs')) tables.push(await (scenarios.length ? fsFamily() : fsSmokeFamily()))
  if (families.includes('s3')) tables.push(await s3Family(s3))
  if (families.includes('archive')) tables.push(await archiveFamily(s3))
} finally {
  fs.rmSync(dataRoot, { recursive: true, force: true })
  await s3?.release()
}

const footer =
  `${started.toISOString().slice(0, 10)}, commit ${commit}, Node ${nodeVersion}, ${cores} cores (${os.cpus()[0]?.model ?? '?'}), ` +
  `load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}; ${rounds} round(s) × ${reps} rep(s) per server and scenario` +
  `${smoke ? ' (smoke sizes)' : ''}; JSONL: ${out}`
const report = `${tables.join('\n\n')}\n\n${footer}\n`
process.stdout.write(`\n${report}`)
if (a.save) {
  const name = `${started.toISOString().slice(0, 10)}-${commit}-node${nodeVersion.replace(/^v/, '')}-${cores}c-load${loadBefore[0].toFixed(1)}-${families.join('+')}`
  const dir = path.join(HERE, 'results')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, `${name}.jsonl.gz`), gzipSync(fs.readFileSync(out)))
  fs.writeFileSync(
    path.join(dir, `${name}.md`),
    `# bench ${started.toISOString()}\n\n\`node apps/server/bench/run.mjs ${process.argv.slice(2).join(' ')}\`\n\n${report.replace(`JSONL: ${out}`, `JSONL: ${name}.jsonl.gz`)}`,
  )
  log(`bench: saved bench/results/${name}.{jsonl.gz,md}`)
}
if (failures) {
  log(`bench: ${failures} failure(s) (failed verification, a dead server or a failed run); see above`)
  process.exitCode = 1
}
