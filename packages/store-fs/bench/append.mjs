#!/usr/bin/env node
// Raw append throughput of FileStore against plain fs.createWriteStream piping (what the
// `raw-sink` bench peer does), in-process, without HTTP. Scenarios as in ../../shared/bench:
//   big-16m    1 GiB uploaded as 64 PATCHes of 16 MiB, each arriving in 64 KiB network chunks
//   small-64k  200 files of 64 KiB, one PATCH each (create + append + complete + HEAD)
// Usage: node bench/append.mjs [--reps 3] [--dir /tmp] [--scenarios big-16m,small-64k]
//        [--fsync never,on-complete,always] [--block-size 1048576]
// Needs a build (`pnpm build`); `pnpm bench` runs it after turbo built the package.
import { execFileSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { newBucketId, newFileId } from '@psitransfer/core'
import { FileStore } from '../dist/index.js'

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    dir: { type: 'string', default: os.tmpdir() },
    scenarios: { type: 'string', default: 'big-16m,small-64k' },
    fsync: { type: 'string', default: 'never,on-complete,always' },
    'block-size': { type: 'string' },
  },
})
const reps = Number(args.reps)
const MiB = 1 << 20
const NET_CHUNK = 64 * 1024

// 1 MiB of noise; network chunks are zero-copy views into it, so the source costs nothing.
const NOISE = Buffer.allocUnsafe(MiB)
for (let i = 0; i < NOISE.length; i += 4) NOISE.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i)

/** `bytes` as NET_CHUNK-sized views (what an HTTP request body yields). */
function* body(bytes, start) {
  for (let at = 0; at < bytes; at += NET_CHUNK) {
    const from = (start + at) % (NOISE.length - NET_CHUNK)
    yield NOISE.subarray(from, from + Math.min(NET_CHUNK, bytes - at))
  }
}
async function* asyncBody(bytes, start) {
  yield* body(bytes, start)
}

const SCENARIOS = {
  'big-16m': { files: 1, size: 1024 * MiB, patch: 16 * MiB },
  'small-64k': { files: 200, size: 64 * 1024, patch: 64 * 1024 },
}

function newFile(size) {
  const now = Date.now()
  return {
    sid: newBucketId(),
    key: newFileId(),
    name: 'bench.bin',
    relativePath: '',
    comment: '',
    type: 'application/octet-stream',
    retention: 3600,
    uploadLength: size,
    createdAt: now,
    expiresAt: now + 3_600_000,
    bucketLocked: false,
    extra: {},
  }
}

/** FileStore: create, PATCHes via append, complete, then info (the client's final HEAD). */
async function runStore(dir, { files, size, patch }, fsync) {
  const store = new FileStore({
    uploadDir: dir,
    fsync,
    ...(args['block-size'] ? { blockSize: Number(args['block-size']) } : {}),
  })
  await store.init()
  for (let i = 0; i < files; i++) {
    const file = newFile(size)
    await store.create(file)
    let offset = 0
    while (offset < size) {
      const n = Math.min(patch, size - offset)
      offset = await store.append(file, asyncBody(n, offset), offset)
    }
    await store.complete(file)
    const info = await store.info(file)
    if (info.offset !== size) throw new Error(`offset ${info.offset} != ${size}`)
  }
}

/** raw-sink: empty file on POST, each PATCH piped into createWriteStream({flags: 'r+', start}). */
async function runRaw(dir, { files, size, patch }) {
  for (let i = 0; i < files; i++) {
    const file = path.join(dir, `raw-${i}`)
    await writeFile(file, '')
    let offset = 0
    while (offset < size) {
      const n = Math.min(patch, size - offset)
      await pipeline(Readable.from(body(n, offset)), createWriteStream(file, { flags: 'r+', start: offset }))
      offset += n
    }
    if ((await stat(file)).size !== size) throw new Error('raw size mismatch')
  }
}

async function timed(fn) {
  const dir = await mkdtemp(path.join(args.dir, 'psi-bench-append-'))
  try {
    execFileSync('sync')
    const t0 = process.hrtime.bigint()
    const cpu0 = process.cpuUsage()
    await fn(dir)
    const cpu = process.cpuUsage(cpu0)
    return { secs: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (x) => x.toFixed(1).padStart(8)

console.log(
  `node ${process.version}, ${os.cpus().length} cpus, dir ${args.dir}, ${reps} reps (median [min-max] MiB/s; cpu = process user+sys per PATCH)`,
)
for (const name of args.scenarios.split(',')) {
  const sc = SCENARIOS[name]
  if (!sc) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`)
  const mib = (sc.files * sc.size) / MiB
  const peers = [['raw createWriteStream', (d) => runRaw(d, sc)]]
  for (const fsync of args.fsync.split(','))
    peers.push([`FileStore fsync=${fsync}`, (d) => runStore(d, sc, fsync)])
  const results = new Map()
  const cpus = new Map()
  // Interleave peers per repetition so drift (page cache, other load) hits all of them alike.
  for (let r = 0; r < reps; r++) {
    for (const [label, fn] of peers) {
      const { secs, cpu } = await timed(fn)
      results.set(label, [...(results.get(label) ?? []), mib / secs])
      cpus.set(label, [...(cpus.get(label) ?? []), cpu])
    }
  }
  const base = median(results.get('raw createWriteStream'))
  console.log(
    `\n${name}: ${sc.files} x ${sc.size / 1024} KiB, PATCH ${sc.patch / 1024} KiB, ${NET_CHUNK / 1024} KiB chunks`,
  )
  for (const [label, xs] of results) {
    const m = median(xs)
    const ratio = (m / base).toFixed(2)
    const cpuMs = (median(cpus.get(label)) * 1000) / (sc.files * Math.ceil(sc.size / sc.patch))
    console.log(
      `  ${label.padEnd(28)} ${fmt(m)} [${fmt(Math.min(...xs))} -${fmt(Math.max(...xs))}]  ratio ${ratio}` +
        `  cpu ${cpuMs.toFixed(2)} ms/PATCH`,
    )
  }
}
