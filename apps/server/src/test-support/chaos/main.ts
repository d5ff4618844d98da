/**
 * `pnpm chaos -- --store fs|s3 [--uploads 100] [--seed s] [--concurrency 4] [--max-size 40MiB]
 * [--instances n] [--kill-rate 0.1] [--completion-kill-rate 0.5] [--completion-share 0.5]
 * [--max-kills-per-upload 3] [--fault-rate 0.03]
 * [--json file] [--keep]`: runs the crash and fault harness and prints a table (stderr) and the
 * JSON report (stdout, or --json file). Exits 1 when a must-be-zero figure is not 0.
 * @module
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { s3Server } from '../rgw.js'
import { newSeed } from './rng.js'
import { DEFAULTS, formatReport, mustBeZero, runChaos } from './run.js'

function bytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|b|kib|mib|gib)$/i.exec(v.trim())
  if (!m) throw new Error(`not a size: ${v} (e.g. 40MiB)`)
  const unit = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[
    (m[2] ?? '').toLowerCase()
  ] as number
  return Math.round(Number(m[1]) * unit)
}

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    store: { type: 'string', default: 'fs' },
    uploads: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    'max-size': { type: 'string' },
    instances: { type: 'string' },
    'kill-rate': { type: 'string' },
    'completion-kill-rate': { type: 'string' },
    'max-kills-per-upload': { type: 'string' },
    'completion-share': { type: 'string' },
    'fault-rate': { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})

const store = values.store
if (store !== 'fs' && store !== 's3') throw new Error('--store must be fs or s3')
const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v))
const seed = values.seed ?? newSeed()
const log = (msg: string) => {
  if (!values.quiet) process.stderr.write(`[chaos] ${msg}\n`)
}
const s3 = store === 's3' ? await s3Server() : null
try {
  const report = await runChaos({
    store,
    seed,
    uploads: num(values.uploads, DEFAULTS.uploads),
    concurrency: num(values.concurrency, DEFAULTS.concurrency),
    maxSize: values['max-size'] ? bytes(values['max-size']) : DEFAULTS.maxSize,
    instances: num(values.instances, store === 's3' ? 2 : 1),
    killRate: num(values['kill-rate'], DEFAULTS.killRate),
    completionKillRate: num(values['completion-kill-rate'], DEFAULTS.completionKillRate),
    maxKillsPerUpload: num(values['max-kills-per-upload'], DEFAULTS.maxKillsPerUpload),
    completionShare: num(values['completion-share'], DEFAULTS.completionShare),
    faultRate: num(values['fault-rate'], DEFAULTS.faultRate),
    uploadTimeoutMs: DEFAULTS.uploadTimeoutMs,
    keep: values.keep,
    log,
    ...(s3 ? { s3 } : {}),
  })
  process.stderr.write(`\n${formatReport(report)}\n`)
  for (const f of report.failures.slice(0, 20)) process.stderr.write(`  ! ${f}\n`)
  const json = `${JSON.stringify(report, null, 2)}\n`
  if (values.json) writeFileSync(values.json, json)
  else process.stdout.write(json)
  if (!report.ok) {
    const bad = mustBeZero(report).filter(([, v]) => v !== 0)
    process.stderr.write(`FAIL (seed ${seed}): ${bad.map(([k, v]) => `${k} = ${v}`).join(', ')}\n`)
    process.exitCode = 1
  } else {
    process.stderr.write(`PASS (seed ${seed})\n`)
  }
} finally {
  await s3?.release()
}
