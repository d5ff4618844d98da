/**
 * scripts/s3/rgw.sh under concurrent runs, against the gateway this test run uses: two starts
 * at once both get it (the second waits for the first's lock instead of rebuilding it), and a
 * run releasing its lease does not take it away from another run that still holds one.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { s3Env } from './test-support/env.js'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('../../../scripts/s3/rgw.sh', import.meta.url))
const DIR = process.env.PSI_RGW_DIR ?? '/tmp/psi-rgw'
const holders: ChildProcess[] = []

/** A live process to hold a lease (a lease of a dead process does not count). */
function holder(): number {
  const p = spawn('sleep', ['300'], { stdio: 'ignore' })
  holders.push(p)
  return p.pid as number
}

function script(args: string[], lease?: number) {
  const env = { ...process.env, ...(lease ? { PSI_RGW_LEASE: String(lease) } : {}) }
  return run(SCRIPT, args, { env, timeout: 15 * 60_000 })
}

const up = () =>
  script(['status']).then(
    () => true,
    () => false,
  )

afterAll(() => {
  for (const p of holders) p.kill()
})

// Only the local gateway is ours to start and release; an external S3 has no script.
describe.skipIf(!s3Env().local)('rgw.sh with concurrent runs', () => {
  it('two starts at once both get the running gateway; one release leaves it up for the other', async () => {
    const a = holder()
    const b = holder()
    const [ra, rb] = await Promise.all([script(['start'], a), script(['start'], b)])
    expect(ra.stdout).toContain('PSI_S3_ENDPOINT=')
    expect(rb.stdout).toBe(ra.stdout)
    expect(existsSync(`${DIR}.leases/${a}`)).toBe(true)
    expect(existsSync(`${DIR}.leases/${b}`)).toBe(true)
    expect(await up()).toBe(true)

    await script(['release'], a)
    expect(existsSync(`${DIR}.leases/${a}`)).toBe(false)
    expect(existsSync(`${DIR}.leases/${b}`)).toBe(true)
    expect(await up()).toBe(true)
    // `stop` by a run while another holds a lease keeps the gateway too.
    await script(['stop'], a)
    expect(await up()).toBe(true)

    await script(['release'], b)
    expect(existsSync(`${DIR}.leases/${b}`)).toBe(false)
    // This test run's own lease (taken by the global setup) still holds it.
    expect(await up()).toBe(true)
  })

  it('refuses a lease that is not a process id', async () => {
    const env = { ...process.env, PSI_RGW_LEASE: '../x' }
    const err = await run(SCRIPT, ['release'], { env }).then(
      () => null,
      (e: { stderr: string }) => e,
    )
    expect(err?.stderr).toMatch(/PSI_RGW_LEASE must be a process id/)
  })
})
