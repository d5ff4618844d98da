/**
 * Checksummed TUS chunks over real sockets (the fast path and Hono alike): their buffers stay
 * within the app's checksum budget however many arrive at once, a chunk that finds no room is
 * answered 503 with Retry-After (not left hanging), a mismatch keeps nothing, and the digest is
 * computed by Node's streaming hashers.
 */
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import {
  type ChecksumBudget,
  defaultChecksums,
  encodeUploadMetadata,
  type Hasher,
  MemoryChecksumBudget,
  MemoryLocker,
  type Store,
  systemClock,
  type TusDeps,
} from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { createDeps } from './deps.js'
import { registryFor } from './stores.js'
import { removeDir, tempDir } from './test-support/e2e.js'
import { testConfig } from './test-support/harness.js'
import { send, type WireResponse } from './test-support/wire.js'
import { nodeChecksums } from './upload/tus-endpoint.js'

/** The deps every TUS request handed to core's machine. */
const machineDeps = vi.hoisted(() => [] as TusDeps[])
vi.mock('@psitransfer/core', async (importOriginal) => {
  const real = await importOriginal<typeof import('@psitransfer/core')>()
  return {
    ...real,
    handleTus: (req: Parameters<typeof real.handleTus>[0], deps: TusDeps) => {
      machineDeps.push(deps)
      return real.handleTus(req, deps)
    },
  }
})

const MiB = 1024 * 1024
const TUS = { 'Tus-Resumable': '1.0.0' }

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64')
}

/** A budget whose requests wait at most `waitMs` (the machine's default wait is 3 s). */
function impatient(inner: MemoryChecksumBudget, waitMs: number): ChecksumBudget {
  return { capacity: inner.capacity, reserve: (size, options) => inner.reserve(size, { ...options, waitMs }) }
}

let dir: string
let store: Store
let server: Server
let origin: string
let budget: MemoryChecksumBudget
let waitMs = 60_000

beforeAll(async () => {
  dir = tempDir()
  const config = testConfig({ port: 0, iface: '127.0.0.1', uploadDir: dir })
  store = await (await registryFor('filesystem')).create(config.storage, { uploadDir: dir })
  await store.init()
  budget = new MemoryChecksumBudget(3 * MiB)
  const { app, tusFastPath } = buildApp(
    createDeps({
      config,
      store,
      locker: new MemoryLocker(),
      clock: systemClock,
      authFailDelayMs: 0,
      webRoot: null,
      checksumBudget: {
        capacity: budget.capacity,
        reserve: (size, options) => impatient(budget, waitMs).reserve(size, options),
      },
    }),
  )
  const hono = getRequestListener(app.fetch)
  server = createServer((req, res) => {
    if (tusFastPath(req, res) === false) void hono(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await store.close?.()
  removeDir(dir)
})

let buckets = 0

async function create(length: number): Promise<string> {
  // A bucket per file: the files are created in parallel, and a bucket's first file must be
  // created before the others (they need its upload token).
  const res = await send(origin, 'POST', '/files/', {
    ...TUS,
    'Upload-Length': String(length),
    'Upload-Metadata': encodeUploadMetadata({ sid: `sums${++buckets}`, name: 'f.bin' }),
  })
  expect(res.status).toBe(201)
  return new URL(res.headers.location as string, origin).pathname
}

function patch(path: string, data: Buffer, digest = sha256(data)): Promise<WireResponse> {
  return send(
    origin,
    'PATCH',
    path,
    {
      ...TUS,
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Checksum': `sha256 ${digest}`,
    },
    data,
  )
}

async function offsetOf(path: string): Promise<string | undefined> {
  const head = await send(origin, 'HEAD', path, TUS)
  return head.headers['upload-offset'] as string | undefined
}

describe('checksummed chunks', () => {
  it('twelve parallel 1 MiB chunks never buffer more than the 3 MiB budget, and all land', async () => {
    waitMs = 60_000
    const datas = Array.from({ length: 12 }, (_, i) => Buffer.alloc(MiB, i + 1))
    const paths = await Promise.all(datas.map((d) => create(d.length)))
    const results = await Promise.all(paths.map((p, i) => patch(p, datas[i] as Buffer)))
    expect(results.map((r) => r.status)).toEqual(paths.map(() => 204))
    expect(budget.peak).toBeLessThanOrEqual(3 * MiB)
    expect(budget.peak).toBeGreaterThanOrEqual(MiB)
    expect(budget.used).toBe(0)
    for (const p of paths) expect(await offsetOf(p)).toBe(String(MiB))
  })

  it('a chunk that finds no room in time is answered 503 with Retry-After, keeps nothing, and the retry lands', async () => {
    waitMs = 50
    const path = await create(MiB)
    const data = Buffer.alloc(MiB, 7)
    const hog = await budget.reserve(budget.capacity, { waitMs: 0 })
    let res: WireResponse
    try {
      res = await patch(path, data)
    } finally {
      hog?.release()
    }
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.body).toMatch(/busy/)
    expect(await offsetOf(path)).toBe('0')
    expect((await patch(path, data)).status).toBe(204)
    expect(await offsetOf(path)).toBe(String(MiB))
  })

  it('a mismatching chunk is answered 460 and nothing of it is kept', async () => {
    waitMs = 60_000
    const path = await create(MiB)
    const res = await patch(path, Buffer.alloc(MiB, 1), sha256(Buffer.alloc(MiB, 2)))
    expect(res.status).toBe(460)
    expect(await offsetOf(path)).toBe('0')
    expect(budget.used).toBe(0)
  })

  it("hashes with Node's streaming hashers, and the app's budget, for every TUS request", () => {
    expect(machineDeps.length).toBeGreaterThan(0)
    for (const deps of machineDeps) {
      expect(deps.checksums).toBe(nodeChecksums)
      expect(deps.checksumBudget?.capacity).toBe(3 * MiB)
    }
  })
})

describe('checksumBufferSize', () => {
  it("sizes the app's checksum budget (PSITRANSFER_CHECKSUM_BUFFER_SIZE): chunks above it are refused", async () => {
    expect(testConfig({}).checksumBufferSize).toBe(256 * MiB)
    expect(
      loadConfig({ env: { PSITRANSFER_CHECKSUM_BUFFER_SIZE: String(32 * MiB) } }).checksumBufferSize,
    ).toBe(32 * MiB)
    expect(() => loadConfig({ env: { PSITRANSFER_CHECKSUM_BUFFER_SIZE: '1000' } })).toThrow(
      /checksumBufferSize/,
    )
    const patchOf = async (checksumBufferSize: number, size: number) => {
      const { app } = buildApp(
        createDeps({
          config: testConfig({ checksumBufferSize }),
          store: new MemoryStore(),
          locker: new MemoryLocker(),
          clock: systemClock,
          webRoot: null,
        }),
      )
      const meta = `sid ${btoa('checksumsize1')},name ${btoa('a.bin')}`
      const created = await app.request('/files/', {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size), 'Upload-Metadata': meta },
      })
      expect(created.status).toBe(201)
      const data = Buffer.alloc(size, 3)
      return app.request(created.headers.get('Location') as string, {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': '0',
          'Content-Type': 'application/offset+octet-stream',
          'Content-Length': String(size),
          'Upload-Checksum': `sha256 ${sha256(data)}`,
        },
        body: data,
      })
    }
    const refused = await patchOf(MiB, MiB + 1)
    expect(refused.status).toBe(413)
    expect(await refused.text()).toMatch(/limited to 1048576 bytes/)
    expect((await patchOf(2 * MiB, MiB + 1)).status).toBe(204)
  })
})

describe('nodeChecksums', () => {
  it('offers the algorithms core does, and digests each chunk as it comes (keeps no reference to it)', async () => {
    expect(Object.keys(nodeChecksums).sort()).toEqual(Object.keys(defaultChecksums).sort())
    for (const [alg, make] of Object.entries(nodeChecksums)) {
      const data = Buffer.from('checksummed chunk, in two parts')
      const hasher: Hasher = make()
      const first = Buffer.from(data.subarray(0, 10))
      hasher.update(first)
      first.fill(0) // the machine's buffer could not change, but a retained reference would show here
      hasher.update(data.subarray(10))
      expect(Buffer.from(await hasher.digest()).toString('base64'), alg).toBe(
        createHash(alg).update(data).digest('base64'),
      )
    }
  })
})
