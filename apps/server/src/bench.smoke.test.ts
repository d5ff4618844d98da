/**
 * The bench harness itself (bench/run.mjs --smoke): every family (FS, S3 over the local RGW,
 * archives from FS and S3) at tiny sizes, one round, one rep. Checks only that the harness is
 * correct: every server and scenario has its row, every upload was read back and verified,
 * every archive and one-by-one download answered. No timing is asserted.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')
const harness = resolve(process.env.BENCH_HARNESS ?? join(pkg, '..', '..', '..', 'shared', 'bench'))

interface Line {
  type?: string
  label?: string
  ok?: boolean
  warmup?: boolean
  verify?: { ok: boolean } | null
  bytes?: number
  node?: string
}

const S3_SCENARIOS = ['s3-big-16m', 's3-5mb', 's3-conc8-128m', 's3-small-64k', 's3-small-64k-cwu']

// The harness lives outside the repository (bench/harness.mjs); without it there is no bench to test.
describe.skipIf(!existsSync(join(harness, 'run-suite.mjs')))('bench --smoke', () => {
  let dir: string
  let lines: Line[] = []
  let code: number | null = null
  let stderr = ''

  beforeAll(async () => {
    // The bench runs the built server; build it when there is none (as main.test.ts does).
    if (!existsSync(join(pkg, 'dist', 'main.js'))) {
      const tsc = join(pkg, 'node_modules', 'typescript', 'bin', 'tsc')
      await promisify(execFile)(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { cwd: pkg })
    }
    dir = mkdtempSync(join(tmpdir(), 'psitransfer-bench-smoke-'))
    const out = join(dir, 'smoke.jsonl')
    code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [join(pkg, 'bench', 'run.mjs'), '--smoke', '--out', out], {
        cwd: pkg,
        env: { ...process.env, BENCH_HARNESS: harness },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      child.stderr.on('data', (d) => {
        stderr = (stderr + d).slice(-20_000)
      })
      child.on('exit', (c) => done(c))
    })
    lines = existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Line)
      : []
  }, 240_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const runs = (label: string) => lines.filter((l) => l.type === 'run' && !l.warmup && l.label === label)

  it('exits 0 and records the sitting (Node, commit, machine)', () => {
    expect(code, stderr).toBe(0)
    const sitting = lines.find((l) => l.type === 'sitting') as Record<string, unknown> | undefined
    expect(sitting).toMatchObject({ node: process.version, smoke: true })
    expect(sitting?.commit).toEqual(expect.any(String))
    expect(sitting?.cores).toEqual(expect.any(Number))
  })

  it('has a verified FS row for our server and both peers', () => {
    for (const server of ['psitransfer', 'raw-sink', 'tus-node-server']) {
      const rs = runs(`${server}:fs-smoke`)
      expect(rs, server).toHaveLength(1)
      expect(rs[0], server).toMatchObject({ ok: true, verify: { ok: true } })
    }
  })

  it('has a verified S3 row for our server, @tus/s3-store and the bare SDK in every scenario', () => {
    for (const scenario of S3_SCENARIOS) {
      for (const server of ['psitransfer', 'tus-s3-store', 's3-sdk']) {
        const rs = runs(`${server}:${scenario}`)
        expect(rs, `${server}:${scenario}`).toHaveLength(1)
        expect(rs[0], `${server}:${scenario}`).toMatchObject({ ok: true, verify: { ok: true } })
      }
    }
  })

  it('downloads a zip, a tar.gz and the files one by one from FS and from S3, after verified uploads', () => {
    for (const store of ['fs', 's3']) {
      const up = runs(`psitransfer:${store}:archive-upload`)
      expect(up, store).toHaveLength(1)
      expect(up[0], store).toMatchObject({ ok: true, verify: { ok: true } })
      for (const kind of ['zip', 'tar.gz', 'one-by-one']) {
        const rs = runs(`psitransfer:${store}:${kind}`)
        expect(rs, `${store}:${kind}`).toHaveLength(1)
        expect(rs[0], `${store}:${kind}`).toMatchObject({ ok: true })
        // 3 × 4 MiB: a zip carries at least every byte of its files, one by one exactly (the
        // tar.gz may compress: run.mjs counts it gunzipped and exits non-zero when short).
        if (kind !== 'tar.gz')
          expect(rs[0]?.bytes, `${store}:${kind}`).toBeGreaterThanOrEqual(3 * 4 * 1024 * 1024)
      }
    }
  })
})
