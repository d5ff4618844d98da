/**
 * Downloads and archives are piped into the Node `ServerResponse` (http/send.ts), never handed to
 * @hono/node-server as a Web `ReadableStream` body. Web bodies built from Node streams could crash
 * Node 20 with undici's ERR_INVALID_STATE when a client closed the socket right after the last byte
 * (nodejs/undici#5715). That crash does not reproduce on the Node 20.20 these tests run on, so the
 * load test in network.test.ts ("survives 300 downloads closed right after the last byte") passes
 * with Web bodies too; this test pins the response path itself.
 *
 * How: the app is served by @hono/node-server's own request listener, with `app.fetch` wrapped to
 * look at what each route hands back. A route that streamed through the Node response returns the
 * adapter's already-sent marker without a body; a route that returned a Web stream (`c.body(stream)`,
 * `new Response(Readable.toWeb(...))`) returns a Response whose `body` is that stream, which the
 * adapter would then read with `getReader()`. The client must still receive every byte.
 */
import { readdirSync, readlinkSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { FileStore } from '@psitransfer/store-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTarGz, readZip } from '../test-support/archives.js'
import { bytesOf, makeApp, sha256, type TestApp, upload } from '../test-support/harness.js'

/** @hono/node-server's marker header of `RESPONSE_ALREADY_SENT`. */
const ALREADY_SENT = 'x-hono-already-sent'

interface Seen {
  path: string
  status: number
  webBody: boolean
  alreadySent: boolean
}

describe('download responses on Node', () => {
  let t: TestApp
  let server: Server
  let base = ''
  const seen: Seen[] = []
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 255)

  beforeAll(async () => {
    t = makeApp()
    const listener = getRequestListener(async (req, env) => {
      const res = await t.app.fetch(req, env)
      seen.push({
        path: new URL(req.url).pathname,
        status: res.status,
        webBody: res.body !== null,
        alreadySent: res.headers.get(ALREADY_SENT) !== null,
      })
      return res
    })
    server = createServer((req, res) => void listener(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    await upload(t, big as Uint8Array<ArrayBuffer>, { name: 'big.bin' })
    t.clock.advance(1)
    await upload(t, bytesOf('small file'), { name: 'small.txt' })
    t.clock.advance(1)
    await upload(t, bytesOf('read me once'), { name: 'once.txt', retention: 'one-time' })
    // A second bucket for the archives (the one-time file above is gone after its test).
    await upload(t, big as Uint8Array<ArrayBuffer>, { sid: 'arch', name: 'big.bin' })
  })

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  async function get(path: string, headers: Record<string, string> = {}) {
    seen.length = 0
    const res = await fetch(base + path, { headers })
    const body = new Uint8Array(await res.arrayBuffer())
    expect(seen).toHaveLength(1)
    return { res, body, route: seen[0] as Seen }
  }

  it('pipes single files (full, Range, one-time) into the Node response', async () => {
    const listing = (await (await fetch(`${base}/bucket1.json`)).json()) as {
      items: Array<{ name: string; url: string }>
    }
    const url = (name: string) => listing.items.find((i) => i.name === name)?.url as string
    const cases: Array<{ path: string; headers: Record<string, string>; status: number; bytes: Uint8Array }> =
      [
        { path: url('big.bin'), headers: {}, status: 200, bytes: big },
        { path: url('big.bin'), headers: { Range: 'bytes=1000-' }, status: 206, bytes: big.subarray(1000) },
        { path: `${url('small.txt')}?inline=1`, headers: {}, status: 200, bytes: bytesOf('small file') },
        { path: url('once.txt'), headers: {}, status: 200, bytes: bytesOf('read me once') },
      ]
    for (const c of cases) {
      const { res, body, route } = await get(c.path, c.headers)
      expect(res.status, c.path).toBe(c.status)
      expect(sha256(body), c.path).toBe(sha256(c.bytes))
      expect(route, c.path).toMatchObject({ webBody: false, alreadySent: true })
    }
  })

  it('pipes zip and tar.gz archives into the Node response', async () => {
    const { zipUrl, tarGzUrl } = (await (await fetch(`${base}/arch.json`)).json()) as {
      zipUrl: string
      tarGzUrl: string
    }
    for (const [path, read] of [
      [zipUrl, readZip],
      [tarGzUrl, readTarGz],
    ] as const) {
      const { res, body, route } = await get(path)
      expect(res.status, path).toBe(200)
      expect(sha256(read(body).get('big.bin') as Uint8Array), path).toBe(sha256(big))
      expect(route, path).toMatchObject({ webBody: false, alreadySent: true })
    }
  })
})

/**
 * File downloads are sent from two recycled buffers per response (sendFile): the bytes of one
 * chunk must not be overwritten by the next read before the socket took them, and a client that
 * leaves mid-file must release the file's handle. On the real FileStore, on disk.
 */
describe('file downloads from recycled buffers (FileStore)', () => {
  let t: TestApp
  let server: Server
  let base = ''
  let dir = ''
  // Not a repeating pattern of the buffer size: a reused buffer sent too early shows.
  const big = new Uint8Array(5 * 1024 * 1024 + 12_345).map((_, i) => (i * 7 + (i >> 18)) & 255)
  const second = new Uint8Array(700_001).map((_, i) => (i * 13 + (i >> 16)) & 255)
  let path = ''
  let zipPath = ''
  let tarGzPath = ''

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'psi-sendfile-'))
    const store = new FileStore({ uploadDir: dir })
    await store.init()
    t = makeApp({}, { store })
    const listener = getRequestListener(t.app.fetch)
    server = createServer((req, res) => void listener(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    await upload(t, big as Uint8Array<ArrayBuffer>, { sid: 'recycled', name: 'big.bin' })
    t.clock.advance(1)
    await upload(t, second as Uint8Array<ArrayBuffer>, {
      sid: 'recycled',
      name: 'second.bin',
      relativePath: 'dir',
    })
    const listing = (await (await fetch(`${base}/recycled.json`)).json()) as {
      items: Array<{ name: string; url: string }>
      zipUrl: string
      tarGzUrl: string
    }
    path = listing.items.find((i) => i.name === 'big.bin')?.url as string
    zipPath = listing.zipUrl
    tarGzPath = listing.tarGzUrl
  })

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })

  /** This process's open descriptors on files under the store's directory. */
  const openInStore = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)
      } catch {
        return false // closed meanwhile
      }
    }).length

  it('sends every byte to parallel clients, whole and in ranges', async () => {
    const ranges: Array<[string | undefined, Uint8Array]> = [
      [undefined, big],
      [undefined, big],
      ['bytes=262143-', big.subarray(262_143)],
      ['bytes=1-524288', big.subarray(1, 524_289)],
      [`bytes=${big.length - 10}-`, big.subarray(big.length - 10)],
    ]
    const got = await Promise.all(
      ranges.map(async ([range]) => {
        const res = await fetch(base + path, { headers: range ? { Range: range } : {} })
        return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) }
      }),
    )
    got.forEach((g, i) => {
      const [range, want] = ranges[i] as [string | undefined, Uint8Array]
      expect(g.status, range).toBe(range ? 206 : 200)
      expect(g.body.byteLength, range).toBe(want.byteLength)
      expect(sha256(g.body), range).toBe(sha256(want))
    })
  })

  it('zips for parallel clients from the same buffers, every byte and the exact Content-Length', async () => {
    const got = await Promise.all(
      [0, 1, 2].map(async () => {
        const res = await fetch(base + zipPath)
        return { res, body: new Uint8Array(await res.arrayBuffer()) }
      }),
    )
    for (const { res, body } of got) {
      expect(res.status).toBe(200)
      expect(res.headers.get('content-length')).toBe(String(body.byteLength))
      const entries = readZip(body)
      expect(sha256(entries.get('big.bin') as Uint8Array)).toBe(sha256(big))
      expect(sha256(entries.get('dir/second.bin') as Uint8Array)).toBe(sha256(second))
    }
  })

  /**
   * Five clients that leave after their first chunk of `url`: every store handle is released.
   * Download counts of earlier tests are written after their responses, so it waits for those first.
   */
  async function leaveMidway(url: string): Promise<void> {
    await expect.poll(openInStore, { timeout: 5_000 }).toBe(0)
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController()
      const res = await fetch(base + url, { signal: controller.signal })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      controller.abort()
      await reader.cancel().catch(() => {})
    }
    await expect.poll(openInStore, { timeout: 5_000 }).toBe(0)
  }

  it('tars for parallel clients from the same buffers, every byte', async () => {
    const got = await Promise.all(
      [0, 1, 2].map(async () => new Uint8Array(await (await fetch(base + tarGzPath)).arrayBuffer())),
    )
    for (const body of got) {
      const entries = readTarGz(body)
      expect(sha256(entries.get('big.bin') as Uint8Array)).toBe(sha256(big))
      expect(sha256(entries.get('dir/second.bin') as Uint8Array)).toBe(sha256(second))
    }
  })

  for (const [format, read] of [
    ['zip', readZip],
    ['tar.gz', readTarGz],
  ] as const) {
    it.runIf(process.platform === 'linux')(
      `releases the files when a client leaves mid-${format}`,
      async () => {
        const url = format === 'zip' ? zipPath : tarGzPath
        await leaveMidway(url)
        const res = await fetch(base + url)
        const entries = read(new Uint8Array(await res.arrayBuffer()))
        expect(sha256(entries.get('big.bin') as Uint8Array)).toBe(sha256(big))
      },
    )
  }

  it.runIf(process.platform === 'linux')('releases the file when a client leaves mid-file', async () => {
    await leaveMidway(path)
    // The server is fine and the file whole.
    const res = await fetch(base + path)
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(big))
  })
})
