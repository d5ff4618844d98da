#!/usr/bin/env node
// Upload benchmark of the built server against the shared harness's peers, in one sitting:
// `raw-sink` (node:http piping into a file, the practical ceiling) and `tus-node-server`
// (@tus/server + @tus/file-store, stock). Every upload is read back and sha256-verified.
//
//   pnpm --filter @psitransfer/server bench [-- --all] [--rounds 2] [--reps 3] [--scenarios a,b]
//        [--peers raw-sink,tus-node-server] [--ours name=/path/main.js[;ENV=value…]] [--env K=V]
//        [--out FILE]
//
// Peers and scenarios are interleaved: every round runs each server once per scenario (the
// order rotating between rounds), so load from other jobs on the machine hits all of them
// alike. Ratios are of medians; the [range] is the per-round ratio, a measure of drift.
// Needs a build (turbo's `bench` task depends on `build`); the harness is BENCH_HARNESS or
// ../shared/bench next to the repository, copied and npm-installed under the OS temp dir.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { prepareHarness } from './harness.mjs'
import { renderSummary, summarize } from './summary.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..', '..')
const DEFAULT_SCENARIOS = ['big-16m', 'small-64k', 'small-64k-c8']
const ALL_SCENARIOS = [...DEFAULT_SCENARIOS, 'big-1patch', 'conc8-128m', 'dl-1g']
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
    scenarios: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    reps: { type: 'string', default: '3' },
    peers: { type: 'string', default: Object.keys(PEERS).join(',') },
    ours: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
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

const scenarios = a.scenarios
  ? a.scenarios.split(',').filter(Boolean)
  : a.all
    ? ALL_SCENARIOS
    : DEFAULT_SCENARIOS
for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) die(`unknown scenario ${s}`)
const peers = a.peers.split(',').filter(Boolean)
for (const p of peers) if (!PEERS[p]) die(`unknown peer ${p} (known: ${Object.keys(PEERS).join(', ')})`)
const rounds = positive(a.rounds, 'rounds')
const reps = positive(a.reps, 'reps')
const commonEnv = Object.fromEntries((a.env ?? []).map(kv))
const ours = (a.ours ?? [`psitransfer=${path.join(REPO, 'apps/server/dist/main.js')}`]).map((spec) => {
  const [name, rest] = kv(spec)
  const [main, ...envs] = rest.split(';')
  const file = path.resolve(main)
  if (!fs.existsSync(file))
    die(`${file} does not exist: build first (pnpm --filter @psitransfer/server... build)`)
  // run-suite splits --server-cmd on spaces and must start the server process itself.
  if (/\s/.test(file) || /\s/.test(process.execPath)) die(`paths with spaces are not supported: ${file}`)
  return { name, main: file, env: Object.fromEntries(envs.filter(Boolean).map(kv)) }
})
if (new Set([...ours.map((o) => o.name), ...peers]).size !== ours.length + peers.length)
  die('duplicate server names')

const harness = prepareHarness(
  path.resolve(process.env.BENCH_HARNESS ?? path.join(REPO, '..', 'shared', 'bench')),
  log,
)
const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'psitransfer-bench-data-'))
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
const out = path.resolve(a.out ?? path.join(HERE, 'results', `bench-${stamp}.jsonl`))
fs.mkdirSync(path.dirname(out), { recursive: true })

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function cpuTimes() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = (f[3] ?? 0) + (f[4] ?? 0)
  return { total: f.reduce((x, y) => x + y, 0), idle }
}

/** Busy cores of the whole machine over `ms`, before a server starts: the other jobs' load. */
async function backgroundLoad(ms = 1000) {
  if (!fs.existsSync('/proc/stat')) return null
  const before = cpuTimes()
  await new Promise((r) => setTimeout(r, ms))
  const after = cpuTimes()
  const total = after.total - before.total
  return total > 0 ? ((total - (after.idle - before.idle)) / total) * os.cpus().length : null
}

/** Environment for one server: ours get PSITRANSFER_* only from here, never from the caller. */
function serverEnv(server, port, dir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PSITRANSFER_')))
  env.BENCH_DATA = dataRoot
  if (server.peer) return { ...env, HOST: '127.0.0.1', PORT: String(port), [PEERS[server.name].dirEnv]: dir }
  return {
    ...env,
    PSITRANSFER_PORT: String(port),
    PSITRANSFER_IFACE: '127.0.0.1',
    PSITRANSFER_UPLOAD_DIR: dir,
    PSITRANSFER_ACCESS_LOG: 'false',
    PSITRANSFER_LOG_LEVEL: 'warn',
    ...commonEnv,
    ...server.env,
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
        `${process.execPath} ${script}`,
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
      if (!server.peer) args.push('--meta', 'sid=bench')
      const before = fs.existsSync(out) ? fs.statSync(out).size : 0
      const child = spawn(process.execPath, args, {
        cwd: harness,
        env: serverEnv(server, port, dir),
        stdio: ['ignore', 'ignore', 'inherit'],
      })
      child.on('exit', (code) => {
        const fresh = fs.readFileSync(out).subarray(before).toString('utf8')
        const lines = fresh
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
        resolve({ code, lines, round })
      })
    })().catch((err) => resolve({ code: 1, lines: [], round, err }))
  })
}

const servers = [...ours.map((o) => ({ ...o, peer: false })), ...peers.map((name) => ({ name, peer: true }))]
const runs = []
const background = []
let failures = 0
log(
  `bench: ${servers.map((s) => s.name).join(', ')} × ${scenarios.join(', ')}; ${rounds} round(s) × ${reps} rep(s); results → ${out}`,
)
try {
  for (const scenario of scenarios) {
    for (let round = 1; round <= rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length])
      for (const server of order) {
        const busyCores = await backgroundLoad()
        background.push({ scenario, busyCores })
        fs.appendFileSync(
          out,
          `${JSON.stringify({ tool: 'psitransfer-bench', type: 'background', ts: new Date().toISOString(), server: server.name, scenario, round, busyCores })}\n`,
        )
        log(`\n## ${scenario} · round ${round} · ${server.name} (other load: ${busyCores?.toFixed(2)} cores)`)
        const r = await runSuite(server, scenario, round)
        if (r.code !== 0) {
          failures++
          log(
            `bench: run-suite for ${server.name} / ${scenario} exited ${r.code}${r.err ? `: ${r.err}` : ''}`,
          )
        }
        for (const line of r.lines) {
          if (line.type === 'event') failures++
          if (line.type !== 'run' || line.warmup || typeof line.label !== 'string') continue
          const prefix = `${server.name}:`
          if (!line.label.startsWith(prefix)) continue
          const label = line.label.slice(prefix.length)
          if (label.endsWith(':upload')) continue // dl-1g's setup upload
          runs.push({ peer: server.name, scenario: label, round, line })
        }
      }
    }
  }
} finally {
  fs.rmSync(dataRoot, { recursive: true, force: true })
}

const rows = summarize({ runs, background, ours: ours.map((o) => o.name), peers })
process.stdout.write(
  `\n${renderSummary(rows, peers)}\n\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `${os.cpus().length} cores; ${rounds} rounds × ${reps} reps per server and scenario; JSONL: ${out}\n`,
)
if (failures) {
  log(`bench: ${failures} failure(s) (failed verification, a dead server or a failed run); see above`)
  process.exitCode = 1
}
