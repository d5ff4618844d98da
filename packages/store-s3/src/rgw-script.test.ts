/**
 * scripts/s3/rgw.sh under concurrent runs, against the gateway this test run uses: two starts
 * at once both get it (the second waits for the first's lock instead of rebuilding it), and a
 * run releasing its lease does not take it away from another run that still holds one. And the
 * recovery of a dead radosgw, against stand-ins (see the second describe).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

/**
 * `start` on a gateway whose radosgw died (or hangs) while the monitor and the OSD are fine
 * restarts only radosgw. Run against stand-ins so that the shared gateway is never touched: a
 * state directory of its own, a fake `ceph` CLI reporting a healthy monitor and OSD, a fake
 * `radosgw` (a daemonizing HTTP server answering 200, named radosgw like the real one) and
 * Ceph tools that fail at once, so an attempt to rebuild the cluster (what `start` did before)
 * fails the test instead of starting anything. A second real cluster next to the shared one did
 * not come up on this machine (tried with PSI_RGW_DIR=/tmp/psi-rgw-e, ports 7590/6890 and 6791).
 */
describe('rgw.sh start recovers a dead radosgw', () => {
  const root = mkdtempSync(join(tmpdir(), 'psi-rgw-fake-'))
  const bin = join(root, 'bin')
  const dir = join(root, 'state')
  let port = 0

  beforeAll(async () => {
    mkdirSync(bin)
    mkdirSync(join(dir, 'run'), { recursive: true })
    mkdirSync(join(dir, 'log'))
    writeFileSync(join(dir, 'ready'), '1\n')
    writeFileSync(join(dir, 'owner'), 'manual\n')
    port = await freePort()
    const fake = (name: string, body: string) => {
      writeFileSync(join(bin, name), body)
      chmodSync(join(bin, name), 0o755)
    }
    fake(
      'ceph',
      '#!/bin/sh\ncase "$*" in *"mon stat"*) echo ok ;; *"osd stat"*) echo "1 osds: 1 up (since 9m), 1 in" ;; *) exit 1 ;; esac\n',
    )
    for (const tool of ['ceph-mon', 'ceph-osd', 'ceph-authtool', 'monmaptool', 'radosgw-admin']) {
      fake(tool, `#!/bin/sh\necho "${tool} must not run: the cluster is fine" >&2\nexit 1\n`)
    }
    // Started as `radosgw -c CONF -n client.rgw`: forks a server (the daemon) and exits, as radosgw does.
    fake(
      'radosgw',
      `#!${process.execPath}
const { spawn } = require('node:child_process')
const fs = require('node:fs')
if (!process.argv.includes('--serve')) {
  spawn(__filename, [...process.argv.slice(2), '--serve'], { detached: true, stdio: 'ignore' }).unref()
  const pidFile = ${JSON.stringify(join(dir, 'run/client.rgw.pid'))}
  const t = Date.now()
  const wait = () => (fs.existsSync(pidFile) || Date.now() - t > 5000 ? process.exit(0) : setTimeout(wait, 20))
  wait()
} else {
  // rgw.sh knows radosgw by /proc/PID/comm. A shebang script's comm is its file name on Node 20,
  // but Node 24 names its main thread "MainThread": set it back, as the real daemon's is.
  fs.writeFileSync('/proc/self/comm', 'radosgw')
  require('node:http').createServer((q, s) => s.end()).listen(${port}, '127.0.0.1', () => {
    fs.writeFileSync(${JSON.stringify(join(dir, 'run/client.rgw.pid'))}, String(process.pid))
  })
}
`,
    )
  })

  afterAll(() => {
    const pid = fakePid()
    if (pid) process.kill(pid, 'SIGKILL')
    rmSync(root, { recursive: true, force: true })
    rmSync(`${dir}.lock`, { force: true })
    rmSync(`${dir}.leases`, { recursive: true, force: true })
  })

  const fakePid = (): number | null => {
    try {
      const pid = Number(readFileSync(join(dir, 'run/client.rgw.pid'), 'utf8'))
      process.kill(pid, 0)
      return pid
    } catch {
      return null
    }
  }
  const start = (extra: Record<string, string> = {}) =>
    run(SCRIPT, ['start'], {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        PSI_RGW_DIR: dir,
        PSI_S3_PORT: String(port),
        PSI_RGW_MON_PORT: '1',
        ...extra,
      },
      timeout: 120_000,
    })

  it('starts radosgw again when it is gone, keeping the cluster', async () => {
    expect(fakePid()).toBeNull()
    const { stdout, stderr } = await start()
    expect(stderr).toMatch(/radosgw is gone while the monitor and the OSD are up; restarting only radosgw/)
    expect(stdout).toContain(`PSI_S3_ENDPOINT=http://127.0.0.1:${port}`)
    const first = fakePid()
    expect(first).not.toBeNull()
    expect(existsSync(join(dir, 'ready'))).toBe(true)

    process.kill(first as number, 'SIGKILL')
    await waitFor(() => fakePid() === null)
    await start()
    const second = fakePid()
    expect(second).not.toBeNull()
    expect(second).not.toBe(first)
    // Up again: a further start is the fast no-op.
    expect((await start()).stderr).toMatch(/already up/)
  })

  it('replaces a radosgw that runs but does not answer', async () => {
    if (fakePid() === null) await start()
    const hung = fakePid() ?? Number.NaN
    expect(hung).toBeGreaterThan(0)
    process.kill(hung, 'SIGSTOP')
    try {
      const { stderr } = await start({ PSI_RGW_HANG_GRACE: '2' })
      expect(stderr).toMatch(new RegExp(`radosgw \\(pid ${hung}\\) still not answering; killing it`))
      await waitFor(() => !alive(hung))
      const fresh = fakePid()
      expect(fresh).not.toBeNull()
      expect(fresh).not.toBe(hung)
    } finally {
      if (alive(hung)) process.kill(hung, 'SIGKILL')
    }
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitFor(ok: () => boolean, ms = 10_000): Promise<void> {
  const t = Date.now()
  while (!ok()) {
    if (Date.now() - t > ms) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}
