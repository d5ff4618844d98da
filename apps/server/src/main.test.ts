/**
 * The executable: config errors exit non-zero naming the setting, and SIGTERM shuts down
 * within the bound while an upload is in flight, leaving it resumable after a restart.
 * Runs the built `dist/main.js` (built here first, so the test never runs stale code).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { encodeUploadMetadata } from '@psitransfer/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from './test-support/e2e.js'
import { sha256 } from './test-support/harness.js'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')
const main = join(pkg, 'dist', 'main.js')

beforeAll(async () => {
  const tsc = join(pkg, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { cwd: pkg })
}, 120_000)

function run(
  env: Record<string, string>,
): ChildProcess & { output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return Object.assign(child, { output: () => out, exited })
}

async function listening(child: ReturnType<typeof run>): Promise<string> {
  const until = Date.now() + 15_000
  while (Date.now() < until) {
    const m = /PsiTransfer listening on (http:\/\/\S+)/.exec(child.output())
    if (m) return (m[1] as string).replace('localhost', '127.0.0.1')
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`server did not start: ${child.output()}`)
}

describe('main', () => {
  it('exits non-zero naming a bad setting and its value', async () => {
    const child = run({ PSITRANSFER_PORT: 'abc' })
    expect(await child.exited).toBe(2)
    expect(child.output()).toContain('PSITRANSFER_PORT: expected a number, got "abc"')
    // A store type no installed package provides is a configuration error too, naming where it looked.
    const store = run({ PSITRANSFER_STORAGE_TYPE: 'ftp', PSITRANSFER_PORT: '0' })
    expect(await store.exited).toBe(2)
    expect(store.output()).toContain(
      'No installed package provides storage.type "ftp"; tried @psitransfer/store-ftp (not installed)',
    )
    expect(store.output()).not.toMatch(/\n\s+at /)
  })

  it('shuts down on SIGTERM within the bound and the interrupted upload resumes after a restart', async () => {
    const dir = tempDir()
    const env = {
      PSITRANSFER_UPLOAD_DIR: dir,
      PSITRANSFER_PORT: '0',
      PSITRANSFER_IFACE: '127.0.0.1',
      PSITRANSFER_SHUTDOWN_TIMEOUT: '1',
      PSITRANSFER_ACCESS_LOG: 'false',
    }
    try {
      let child = run(env)
      let base = await listening(child)
      const data = randomBytes(2 * 1024 * 1024)
      const created = await fetch(`${base}files/`, {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': String(data.length),
          'Upload-Metadata': encodeUploadMetadata({ sid: 'shutdown', name: 'x.bin', retention: '3600' }),
        },
      })
      const path = new URL(created.headers.get('location') as string, base).pathname

      // A PATCH that sends half of its body and then stalls.
      const patch = request(`${base.replace(/\/$/, '')}${path}`, {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': '0',
          'Content-Type': 'application/offset+octet-stream',
          'Content-Length': String(data.length),
        },
      })
      patch.on('error', () => {})
      patch.write(data.subarray(0, 1024 * 1024))
      await new Promise((r) => setTimeout(r, 300))

      const started = Date.now()
      child.kill('SIGTERM')
      expect(await child.exited).toBe(0)
      const took = Date.now() - started
      expect(took).toBeGreaterThanOrEqual(900) // waited for the request in flight
      expect(took).toBeLessThan(8000) // but bounded
      patch.destroy()

      child = run(env)
      base = await listening(child)
      const url = `${base.replace(/\/$/, '')}${path}`
      const head = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
      expect(head.status).toBe(200)
      const offset = Number(head.headers.get('upload-offset'))
      expect(offset).toBeGreaterThan(0)
      expect(offset).toBeLessThanOrEqual(1024 * 1024)
      const rest = await fetch(url, {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: data.subarray(offset),
      })
      expect(rest.status).toBe(204)
      const listing = (await (await fetch(`${base}shutdown.json`)).json()) as {
        items: Array<{ url: string }>
      }
      const body = Buffer.from(
        await (await fetch(`${base.replace(/\/$/, '')}${listing.items[0]!.url}`)).arrayBuffer(),
      )
      expect(sha256(body)).toBe(sha256(data))
      child.kill('SIGINT')
      expect(await child.exited).toBe(0)
    } finally {
      removeDir(dir)
    }
  }, 60_000)

  it('serves a store from a package it only knows from PSITRANSFER_STORE_PACKAGES, configured by env alone', async () => {
    const env = {
      PSITRANSFER_STORE_PACKAGES: 'some-other-package, psitransfer-store-fixture',
      PSITRANSFER_STORAGE_TYPE: 'fixture',
      PSITRANSFER_STORAGE_CAPACITY_BYTES: String(1024 * 1024),
      PSITRANSFER_PORT: '0',
      PSITRANSFER_IFACE: '127.0.0.1',
      PSITRANSFER_ACCESS_LOG: 'false',
    }
    // The fixture reads only its own variables: anything else is refused, naming its type.
    const typo = run({ ...env, PSITRANSFER_STORAGE_CAPACITY: '5' })
    expect(await typo.exited).toBe(2)
    expect(typo.output()).toContain(
      'PSITRANSFER_STORAGE_CAPACITY: unknown setting for storage.type "fixture"',
    )
    const bad = run({ ...env, PSITRANSFER_STORAGE_CAPACITY_BYTES: '-1' })
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toContain('storage.capacityBytes (PSITRANSFER_STORAGE_CAPACITY_BYTES): ')
    expect(bad.output()).toContain('got -1')

    const child = run(env)
    try {
      const base = await listening(child)
      const tusUpload = async (data: Buffer, name: string) => {
        const created = await fetch(`${base}files/`, {
          method: 'POST',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Length': String(data.length),
            'Upload-Metadata': encodeUploadMetadata({ sid: 'fixture1', name, retention: '3600' }),
            // The uploader's bucket token (proposed with the first file, sent with every file).
            'X-Bucket-Token': 'fixture1-bucket-token-0123456789',
          },
        })
        if (created.status !== 201) return created.status
        const patch = await fetch(new URL(created.headers.get('location') as string, base), {
          method: 'PATCH',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Offset': '0',
            'Content-Type': 'application/offset+octet-stream',
          },
          body: new Uint8Array(data),
        })
        expect(patch.headers.get('upload-offset')).toBe(String(data.length))
        return patch.status
      }
      const data = randomBytes(300 * 1024)
      expect(await tusUpload(data, 'a.bin')).toBe(204)
      // Its capacity came from PSITRANSFER_STORAGE_CAPACITY_BYTES: a bigger upload is refused.
      expect(await tusUpload(randomBytes(1024 * 1024 + 1), 'big.bin')).toBe(507)

      const listing = (await (await fetch(`${base}fixture1.json`)).json()) as {
        items: Array<{ url: string }>
      }
      expect(listing.items).toHaveLength(1)
      const got = await fetch(`${base.replace(/\/$/, '')}${listing.items[0]!.url}`)
      expect(got.status).toBe(200)
      expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(data))
    } finally {
      child.kill('SIGTERM')
      await child.exited
    }
  }, 60_000)
})
