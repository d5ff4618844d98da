// The shared benchmark harness lives outside this repository (default `../shared/bench` next to
// the repo root, override with BENCH_HARNESS). It may be read-only, so it is copied to a cache
// directory under the OS temp dir and `npm ci`-installed there once per harness version.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const SKIP = new Set(['node_modules', 'results', 'data', 'bench-data', '.git'])

function listFiles(dir, rel = '') {
  const out = []
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue
    const r = path.join(rel, e.name)
    if (e.isDirectory()) out.push(...listFiles(dir, r))
    else if (e.isFile()) out.push(r)
  }
  return out.sort()
}

/** Returns the path of a ready-to-run copy of the harness at `source`. */
export function prepareHarness(source, log) {
  if (!fs.existsSync(path.join(source, 'run-suite.mjs'))) {
    throw new Error(`no benchmark harness at ${source} (set BENCH_HARNESS to the shared bench directory)`)
  }
  const files = listFiles(source)
  const hash = createHash('sha256')
  for (const f of files)
    hash
      .update(f)
      .update('\0')
      .update(fs.readFileSync(path.join(source, f)))
  const cacheRoot = path.join(os.tmpdir(), 'psitransfer-bench')
  const target = path.join(cacheRoot, `harness-${hash.digest('hex').slice(0, 12)}`)
  if (fs.existsSync(path.join(target, '.ready'))) return target

  log(`bench: installing the harness from ${source} into ${target} (once)`)
  fs.mkdirSync(cacheRoot, { recursive: true })
  // Build next to the target and rename: a concurrent run never sees a half-installed copy.
  const staging = `${target}.tmp-${process.pid}`
  fs.rmSync(staging, { recursive: true, force: true })
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(staging, f)), { recursive: true })
    fs.copyFileSync(path.join(source, f), path.join(staging, f))
    fs.chmodSync(path.join(staging, f), 0o644)
  }
  const lock = fs.existsSync(path.join(staging, 'package-lock.json'))
  execFileSync('npm', [lock ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: staging,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  fs.writeFileSync(path.join(staging, '.ready'), new Date().toISOString())
  try {
    fs.renameSync(staging, target)
  } catch (err) {
    // Someone else finished first; theirs is as good as ours.
    fs.rmSync(staging, { recursive: true, force: true })
    if (!fs.existsSync(path.join(target, '.ready'))) throw err
  }
  return target
}
