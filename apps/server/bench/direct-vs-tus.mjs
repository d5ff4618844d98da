#!/usr/bin/env node
/**
 * Direct-to-S3 vs TUS on the S3 store: one built server (dist/main.js) on the local Ceph RGW
 * (scripts/s3/rgw.sh, or PSI_S3_*), the same file size sent alternately both ways in one
 * sitting. Reports upload throughput and the server process's CPU seconds per GiB (utime +
 * stime from /proc, so Linux only). Prints a Markdown table (for packages/store-s3/README.md).
 *
 *   node apps/server/bench/direct-vs-tus.mjs [--size-mib 512] [--rounds 2]
 *
 * TUS is sent like the web client sends it (8 MiB PATCHes, one at a time); direct like
 * apps/web/src/upload/direct-s3.ts (the store's parts, 4 PUTs in flight). The bytes are one
 * random 8 MiB block repeated (S3 does not deduplicate; generating 512 MiB would only cost CPU
 * in this process).
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
const MAIN = resolve(here, '../dist/main.js')
const RGW = resolve(here, '../../../scripts/s3/rgw.sh')
const MiB = 1024 * 1024
const CHUNK = 8 * MiB
const PART_SIZE = 8 * MiB
const PARALLEL = 4
// Part URLs per sign request, as the web client asks for them.
const SIGN_BATCH = 8

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const SIZE = arg('size-mib', 512) * MiB
const ROUNDS = arg('rounds', 2)
const block = randomBytes(CHUNK)

async function s3Env() {
  let vars = process.env
  if (!vars.PSI_S3_BUCKET) {
    const { stdout } = await run(RGW, ['start'], { timeout: 15 * 60_000, maxBuffer: 1 << 20 })
    vars = {}
    for (const line of stdout.split('\n')) {
      const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim())
      if (m) vars[m[1]] = m[2]
    }
  }
  return vars
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

/** CPU seconds (user + system) of process `pid` so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** `[from, to)` of the payload (the block repeated). */
function slice(from, to) {
  const out = Buffer.allocUnsafe(to - from)
  for (let at = from; at < to; ) {
    const off = at % CHUNK
    const n = Math.min(CHUNK - off, to - at)
    block.copy(out, at - from, off, off + n)
    at += n
  }
  return out
}

const b64 = (s) => Buffer.from(s).toString('base64')

async function viaTus(base, sid) {
  const res = await fetch(new URL('files/', base), {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(SIZE),
      'Upload-Metadata': `sid ${b64(sid)},name ${b64('tus.bin')},retention ${b64('3600')}`,
    },
  })
  if (res.status !== 201) throw new Error(`TUS create: ${res.status} ${await res.text()}`)
  const url = new URL(res.headers.get('location'), base)
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    const body = slice(offset, Math.min(SIZE, offset + CHUNK))
    const p = await fetch(url, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
      },
      body,
    })
    if (p.status !== 204) throw new Error(`TUS PATCH at ${offset}: ${p.status} ${await p.text()}`)
  }
}

async function viaDirect(base, sid) {
  const json = (body, token) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-bucket-token': token } : {}) },
    body: JSON.stringify(body),
  })
  const res = await fetch(
    new URL('api/direct/', base),
    json({ size: SIZE, metadata: { sid, name: 'direct.bin', retention: '3600' } }),
  )
  if (res.status !== 201) throw new Error(`direct create: ${res.status} ${await res.text()}`)
  const token = res.headers.get('x-bucket-token')
  const { id, partSize, partCount } = await res.json()
  const queue = Array.from({ length: partCount }, (_, i) => i + 1)
  const worker = async () => {
    for (;;) {
      const batch = queue.splice(0, SIGN_BATCH)
      if (batch.length === 0) return
      const s = await fetch(new URL(`api/direct/${id}/parts`, base), json({ partNumbers: batch }, token))
      if (s.status !== 200) throw new Error(`sign: ${s.status} ${await s.text()}`)
      for (const { partNumber, url } of (await s.json()).urls) {
        const from = (partNumber - 1) * partSize
        const put = await fetch(url, { method: 'PUT', body: slice(from, Math.min(SIZE, from + partSize)) })
        if (put.status !== 200) throw new Error(`part ${partNumber}: ${put.status} ${await put.text()}`)
      }
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  const done = await fetch(new URL(`api/direct/${id}/complete`, base), json({}, token))
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`)
}

async function main() {
  const env = await s3Env()
  const port = await freePort()
  const base = `http://127.0.0.1:${port}/`
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      PSITRANSFER_PORT: String(port),
      PSITRANSFER_IFACE: '127.0.0.1',
      PSITRANSFER_LOG_LEVEL: 'error',
      PSITRANSFER_ACCESS_LOG: 'false',
      PSITRANSFER_STORAGE_TYPE: 's3',
      PSITRANSFER_STORAGE_BUCKET: env.PSI_S3_BUCKET,
      PSITRANSFER_STORAGE_REGION: env.PSI_S3_REGION ?? 'us-east-1',
      PSITRANSFER_STORAGE_ENDPOINT: env.PSI_S3_ENDPOINT,
      PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'true',
      PSITRANSFER_STORAGE_ACCESS_KEY_ID: env.PSI_S3_ACCESS_KEY,
      PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: env.PSI_S3_SECRET_KEY,
      PSITRANSFER_STORAGE_PREFIX: `psi-bench-direct-${Date.now().toString(36)}/`,
      PSITRANSFER_STORAGE_PART_SIZE: String(PART_SIZE),
      PSITRANSFER_STORAGE_DIRECT_UPLOAD: 'true',
      PSITRANSFER_MAX_AGE: '7200',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  try {
    for (let i = 0; ; i++) {
      const r = await fetch(new URL('healthz', base)).catch(() => null)
      if (r?.ok) break
      if (i > 150) throw new Error('server did not start')
      await new Promise((ok) => setTimeout(ok, 100))
    }
    const rows = []
    const load = [loadavg()[0]]
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, fn] of [
        ['TUS (8 MiB PATCHes, sequential)', viaTus],
        [`direct (${PART_SIZE / MiB} MiB parts, ${PARALLEL} in flight)`, viaDirect],
      ]) {
        const sid = randomBytes(16).toString('base64url').slice(0, 22)
        const cpu0 = cpuSeconds(child.pid)
        const t0 = process.hrtime.bigint()
        await fn(base, sid)
        const secs = Number(process.hrtime.bigint() - t0) / 1e9
        const cpu = cpuSeconds(child.pid) - cpu0
        rows.push({
          label,
          round: round + 1,
          mibs: SIZE / MiB / secs,
          cpuPerGiB: cpu / (SIZE / (1024 * MiB)),
        })
        load.push(loadavg()[0])
        console.error(
          `${label} round ${round + 1}: ${(SIZE / MiB / secs).toFixed(1)} MiB/s, ${cpu.toFixed(2)} CPU-s`,
        )
      }
    }
    let commit = ''
    try {
      commit = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: here })).stdout.trim()
    } catch {}
    console.log(
      `${new Date().toISOString().slice(0, 16)} UTC, commit ${commit}, ${cpus().length} cores, node ${process.version}, ${SIZE / MiB} MiB per upload, load average (1 min) ${Math.min(...load).toFixed(2)}–${Math.max(...load).toFixed(2)} during the run\n`,
    )
    console.log('| upload | round | MiB/s | server CPU-s per GiB |')
    console.log('| --- | --- | --- | --- |')
    for (const r of rows)
      console.log(`| ${r.label} | ${r.round} | ${r.mibs.toFixed(1)} | ${r.cpuPerGiB.toFixed(2)} |`)
  } finally {
    child.kill('SIGTERM')
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
