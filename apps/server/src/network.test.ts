/**
 * Connection-level behaviour against a listening server: clients that close the socket right
 * after the last byte (the undici ERR_INVALID_STATE crash on Node 20, nodejs/undici#5715, must
 * not be possible here), and archive downloads whose client disconnects midway.
 */
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { connect } from 'node:net'
import { listAll, type Store } from '@psitransfer/core'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { toWebStream } from './http/send.js'
import { type E2eServer, removeDir, startFsServer } from './test-support/e2e.js'
import { BucketTokens, testConfig } from './test-support/harness.js'

const tokens = new BucketTokens()

function tusUpload(server: E2eServer, data: Buffer, metadata: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: server.url('/files/'),
      metadata,
      chunkSize: 4 * 1024 * 1024,
      // As the bucket's uploader: later files of a bucket send the token its first one got.
      ...(metadata.sid ? tokens.tusOptions(metadata.sid) : {}),
      onSuccess: () => resolve(),
      onError: reject,
    })
    upload.start()
  })
}

/**
 * GETs `path` on a raw socket and destroys the socket the moment the response is complete
 * (Content-Length bytes, or the final chunk), or after `stopAfter` body bytes.
 */
function rawGet(
  port: number,
  path: string,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let head = Buffer.alloc(0)
    let status = 0
    let length = -1
    let chunked = false
    let bytes = 0
    let tail = ''
    let done = false
    const finish = () => {
      if (done) return
      done = true
      socket.destroy()
      resolve({ status, bytes })
    }
    socket.on('connect', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`),
    )
    socket.on('data', (chunk: Buffer) => {
      if (done) return
      let body = chunk
      if (status === 0) {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        const text = head.subarray(0, end).toString()
        status = Number(text.split(' ')[1])
        length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1)
        chunked = /transfer-encoding: chunked/i.test(text)
        body = head.subarray(end + 4)
      }
      bytes += body.length
      if (chunked) tail = (tail + body.toString('latin1')).slice(-16)
      if (
        (length >= 0 && bytes >= length) ||
        (chunked && tail.endsWith('\r\n0\r\n\r\n')) ||
        bytes >= stopAfter
      )
        finish()
    })
    socket.on('error', (err) => (done ? undefined : reject(err)))
    socket.on('close', () => finish())
  })
}

describe('clients that close the socket at once', () => {
  let server: E2eServer
  let active = 0
  let opened = 0
  const uncaught: unknown[] = []
  const onUncaught = (err: unknown) => uncaught.push(err)

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught)
    process.on('unhandledRejection', onUncaught)
    server = await startFsServer({
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, prop) {
            if (prop === 'read') {
              return async (...args: Parameters<Store['read']>) => {
                const it = await target.read(...args)
                opened++
                active++
                return (async function* () {
                  try {
                    yield* it
                  } finally {
                    active--
                  }
                })()
              }
            }
            if (prop === 'openReader' && target.openReader) {
              const open = target.openReader.bind(target)
              return async (...args: Parameters<NonNullable<Store['openReader']>>) => {
                const reader = await open(...args)
                opened++
                active++
                let closed = false
                return {
                  size: reader.size,
                  read: (into: Uint8Array, position: number) => reader.read(into, position),
                  close: () => {
                    if (!closed) active--
                    closed = true
                    return reader.close()
                  },
                }
              }
            }
            const v = Reflect.get(target, prop, target)
            return typeof v === 'function' ? v.bind(target) : v
          },
        }),
    })
    await tusUpload(server, randomBytes(64 * 1024), { sid: 'small', name: 's.bin', retention: '3600' })
    await tusUpload(server, randomBytes(1024 * 1024), { sid: 'mid', name: 'm.bin', retention: '3600' })
    for (let i = 0; i < 4; i++) {
      await tusUpload(server, randomBytes(8 * 1024 * 1024), {
        sid: 'bigarch',
        name: `f${i}.bin`,
        retention: '3600',
      })
    }
  })
  afterAll(async () => {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
    await server.close()
    removeDir(server.dir)
  })

  async function urls(sid: string) {
    const res = await fetch(server.url(`/${sid}.json`))
    return (await res.json()) as { items: Array<{ url: string }>; zipUrl: string; tarGzUrl: string }
  }

  // A load test, kept as such: on the Node 20.20 this suite runs on, undici's ERR_INVALID_STATE
  // crash does not reproduce, so this also passes with Web ReadableStream bodies (a reviewer tried
  // Readable.toWeb). That downloads and archives never take that path is checked by
  // http/send.test.ts.
  it('survives 300 downloads closed right after the last byte', async () => {
    const small = (await urls('small')).items[0]!.url
    const mid = (await urls('mid')).items[0]!.url
    for (let round = 0; round < 30; round++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => rawGet(server.port, i % 2 ? small : mid)),
      )
      for (const [i, r] of results.entries()) {
        expect(r.status).toBe(200)
        expect(r.bytes).toBe(i % 2 ? 64 * 1024 : 1024 * 1024)
      }
    }
    const health = await fetch(server.url('/healthz'))
    expect(health.status).toBe(200)
    expect(uncaught).toEqual([])
  })

  it('survives archive downloads closed at once', async () => {
    const { zipUrl, tarGzUrl } = await urls('small')
    for (let i = 0; i < 20; i++) {
      const [z, t] = await Promise.all([rawGet(server.port, zipUrl), rawGet(server.port, tarGzUrl)])
      expect(z.status).toBe(200)
      expect(t.status).toBe(200)
    }
    expect((await fetch(server.url('/healthz'))).status).toBe(200)
    expect(uncaught).toEqual([])
  })

  for (const format of ['zip', 'tar.gz'] as const) {
    it(`stops reading from the store at once when a ${format} client disconnects`, async () => {
      const { zipUrl, tarGzUrl } = await urls('bigarch')
      await waitFor(() => active === 0)
      const before = opened
      const r = await rawGet(server.port, format === 'zip' ? zipUrl : tarGzUrl, 256 * 1024)
      expect(r.status).toBe(200)
      // The open read is released promptly, and no further file is opened.
      await waitFor(() => active === 0, 2000)
      await new Promise((res) => setTimeout(res, 200))
      expect(opened - before).toBe(1)
      expect(active).toBe(0)
      expect(uncaught).toEqual([])
    })
  }

  it('releases a single-file read when the client disconnects midway', async () => {
    const { items } = await urls('bigarch')
    await waitFor(() => active === 0)
    const r = await rawGet(server.port, items[0]!.url, 128 * 1024)
    expect(r.status).toBe(200)
    await waitFor(() => active === 0, 2000)
  })
})

describe('request bodies refused midway', () => {
  let server: E2eServer
  beforeAll(async () => {
    server = await startFsServer({ config: { maxFileSize: 100_000 } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dir)
  })

  /** Sends `size` bytes chunked (no Content-Length), so the limit is only noticed while reading. */
  function chunkedRequest(method: string, path: string, headers: Record<string, string>, size: number) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        server.url(path),
        { method, headers: { ...headers, 'Transfer-Encoding': 'chunked' } },
        (res) => {
          let body = ''
          res.on('data', (d: Buffer) => {
            body += d.toString()
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      for (let sent = 0; sent < size; sent += 16 * 1024) req.write(randomBytes(16 * 1024))
      req.end()
    })
  }

  it('answers 413 (not a reset) when a chunked PATCH goes beyond the upload length', async () => {
    const created = await fetch(server.url('/files/'), {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '50000',
        'Upload-Metadata': `sid ${Buffer.from('limits').toString('base64')},name ${Buffer.from('a').toString('base64')}`,
      },
    })
    const path = new URL(created.headers.get('location') as string, server.url('/')).pathname
    const res = await chunkedRequest(
      'PATCH',
      path,
      { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      200 * 1024,
    )
    expect(res.status).toBe(413)
    expect(res.body).toContain('TOO_LARGE')
    expect((await fetch(server.url('/healthz'))).status).toBe(200)
  })

  it('answers 413 when a chunked PUT passes maxFileSize, and keeps nothing', async () => {
    const res = await chunkedRequest('PUT', '/big.bin', {}, 300 * 1024)
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body)).toMatchObject({ code: 'TOO_LARGE' })
    expect((await listAll(server.store)).filter((f) => f.name === 'big.bin')).toEqual([])
  })
})

describe('slow clients', () => {
  it('closes a stalled upload after idleTimeout, and the upload resumes', async () => {
    const server = await startFsServer({ config: { idleTimeout: 1 } })
    try {
      const md = `sid ${Buffer.from('slow').toString('base64')},name ${Buffer.from('s').toString('base64')}`
      const created = await fetch(server.url('/files/'), {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10000', 'Upload-Metadata': md },
      })
      const path = new URL(created.headers.get('location') as string, server.url('/')).pathname
      const started = Date.now()
      await new Promise<void>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            `PATCH ${path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
              'Content-Type: application/offset+octet-stream\r\nContent-Length: 10000\r\n\r\n',
          )
          socket.write(Buffer.alloc(1000, 1))
          // ...and then nothing more.
        })
        socket.on('error', () => {})
        socket.on('close', () => resolve())
        setTimeout(() => reject(new Error('the stalled socket was not closed')), 10_000).unref()
      })
      expect(Date.now() - started).toBeGreaterThanOrEqual(900)
      // The cut-off PATCH may still be saving its bytes when the client sees the socket close:
      // HEAD waits for it (it takes the upload's lock), so the offset it reports is the one the
      // resuming PATCH must send (it used to race and report 0, then the PATCH got 409).
      const head = await fetch(server.url(path), { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
      const offset = Number(head.headers.get('upload-offset'))
      expect([0, 1000]).toContain(offset)
      const rest = await fetch(server.url(path), {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: Buffer.alloc(10000 - offset, 1),
      })
      expect(rest.status).toBe(204)
      expect(rest.headers.get('upload-offset')).toBe('10000')
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })
})

describe('minimum upload body rate', () => {
  const md = (sid: string) =>
    `sid ${Buffer.from(sid).toString('base64')},name ${Buffer.from('s').toString('base64')}`

  /**
   * Sends `head` and then `chunks` on a raw socket, one every `everyMs`, and reports what came
   * back and when the server closed the connection (`null` when it answered 2xx, or did not
   * close it within `waitMs`).
   */
  function paced(
    port: number,
    head: string,
    chunks: Buffer[],
    everyMs: number,
    waitMs: number,
  ): Promise<{ closedAfterMs: number | null; response: string }> {
    return new Promise((resolve) => {
      const started = Date.now()
      let response = ''
      let timer: NodeJS.Timeout | undefined
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(head)
        let i = 0
        timer = setInterval(() => {
          if (i < chunks.length && socket.writable) socket.write(chunks[i++] as Buffer)
        }, everyMs)
      })
      socket.on('data', (d: Buffer) => {
        response += d.toString('latin1')
        // A success keeps the connection open (keep-alive): done once its head arrived.
        if (/^HTTP\/1\.1 2\d\d /.test(response) && response.includes('\r\n\r\n')) done(null)
      })
      socket.on('error', () => {})
      const done = (closedAfterMs: number | null) => {
        clearInterval(timer)
        clearTimeout(giveUp)
        socket.destroy()
        resolve({ closedAfterMs, response })
      }
      socket.on('close', () => done(Date.now() - started))
      const giveUp = setTimeout(() => done(null), waitMs)
    })
  }

  const patchHead = (path: string, length: number) =>
    `PATCH ${path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
    `Content-Type: application/offset+octet-stream\r\nContent-Length: ${length}\r\n\r\n`

  async function create(server: E2eServer, sid: string, length: number): Promise<string> {
    const created = await fetch(server.url('/files/'), {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(length), 'Upload-Metadata': md(sid) },
    })
    return new URL(created.headers.get('location') as string, server.url('/')).pathname
  }

  it('cuts off a PATCH trickling bytes (408, connection closed); what arrived stays resumable', async () => {
    // idleTimeout (120 s) never fires: a byte arrives every 200 ms.
    const server = await startFsServer({ config: { minUploadRate: 2000, uploadRateWindow: 1 } })
    try {
      const path = await create(server, 'trickle', 20_000)
      const first = Buffer.alloc(3000, 1)
      const drip = Array.from({ length: 100 }, () => Buffer.alloc(1, 1))
      const { closedAfterMs, response } = await paced(
        server.port,
        patchHead(path, 20_000) + first.toString('latin1'),
        drip,
        200,
        8000,
      )
      expect(closedAfterMs, 'the trickling PATCH was never cut off').not.toBeNull()
      // Grace: the first window (with 3000 bytes) passes; the next one (5 bytes) does not.
      expect(closedAfterMs).toBeGreaterThanOrEqual(1500)
      expect(closedAfterMs).toBeLessThan(4000)
      expect(response).toMatch(/^HTTP\/1\.1 408 /)
      expect(response).toMatch(/too slowly/)
      const head = await fetch(server.url(path), { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
      const offset = Number(head.headers.get('upload-offset'))
      expect(offset).toBeGreaterThanOrEqual(3000)
      const rest = await fetch(server.url(path), {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: Buffer.alloc(20_000 - offset, 1),
      })
      expect([rest.status, rest.headers.get('upload-offset')]).toEqual([204, '20000'])
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })

  it('cuts off a trickling PUT (the Hono route) too', async () => {
    const server = await startFsServer({ config: { minUploadRate: 2000, uploadRateWindow: 1 } })
    try {
      const drip = Array.from({ length: 100 }, () => Buffer.alloc(1, 1))
      const { closedAfterMs } = await paced(
        server.port,
        'PUT /slow.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n',
        drip,
        200,
        8000,
      )
      expect(closedAfterMs, 'the trickling PUT was never cut off').not.toBeNull()
      expect(closedAfterMs).toBeLessThan(4000)
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })

  it('a 64 kbit/s link passes the default rate, and a slow store never counts against the client', async () => {
    // Defaults scaled down 20x in time (window 1 s instead of 20 s; the rate, 1024 B/s, as is).
    const server = await startFsServer({
      config: { uploadRateWindow: 1 },
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, prop) {
            if (prop === 'append') {
              return async (...args: Parameters<Store['append']>) => {
                // A store that stalls 2.5 s before it reads the body (a slow S3 part upload).
                if (args[0].sid === 'stall') await new Promise((r) => setTimeout(r, 2500))
                return target.append(...args)
              }
            }
            const v = Reflect.get(target, prop, target)
            return typeof v === 'function' ? v.bind(target) : v
          },
        }),
    })
    try {
      expect(testConfig().minUploadRate).toBe(1024)
      // 64 kbit/s = 8000 B/s: 800 bytes every 100 ms for 3 s.
      const path = await create(server, 'modem', 24_000)
      const chunks = Array.from({ length: 30 }, () => Buffer.alloc(800, 2))
      const slow = await paced(server.port, patchHead(path, 24_000), chunks, 100, 6000)
      expect(slow.response).toMatch(/^HTTP\/1\.1 204 /)
      expect(slow.response).toMatch(/upload-offset: 24000/i)
      // The client sends everything at once; the server does not read for 2.5 s.
      const stalled = await create(server, 'stall', 50_000)
      const fast = await paced(server.port, patchHead(stalled, 50_000), [Buffer.alloc(50_000, 3)], 1, 6000)
      expect(fast.response).toMatch(/^HTTP\/1\.1 204 /)
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })
})

describe('memory', () => {
  it('stays flat while a 384 MiB PATCH streams into the filesystem store', async () => {
    const server = await startFsServer()
    try {
      const size = 384 * 1024 * 1024
      const created = await fetch(server.url('/files/'), {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': String(size),
          'Upload-Metadata': `sid ${Buffer.from('mem').toString('base64')},name ${Buffer.from('m').toString('base64')}`,
        },
      })
      const path = new URL(created.headers.get('location') as string, server.url('/')).pathname
      const before = process.memoryUsage().rss
      let peak = before
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss)
      }, 20)
      const chunk = Buffer.alloc(1024 * 1024, 3)
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          server.url(path),
          {
            method: 'PATCH',
            headers: {
              'Tus-Resumable': '1.0.0',
              'Upload-Offset': '0',
              'Content-Type': 'application/offset+octet-stream',
              'Content-Length': String(size),
            },
          },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          },
        )
        req.on('error', reject)
        let sent = 0
        const pump = () => {
          while (sent < size) {
            sent += chunk.length
            if (!req.write(chunk)) return void req.once('drain', pump)
          }
          req.end()
        }
        pump()
      })
      clearInterval(sampler)
      expect(status).toBe(204)
      // Retaining the body would add ~384 MiB; allow for buffers, GC lag and the page pool.
      expect((peak - before) / 1024 / 1024).toBeLessThan(160)
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  }, 60_000)
})

describe('Web stream fallback', () => {
  it('never touches the controller after a cancel (no ERR_INVALID_STATE)', async () => {
    const uncaught: unknown[] = []
    const on = (e: unknown) => uncaught.push(e)
    process.on('uncaughtException', on)
    process.on('unhandledRejection', on)
    try {
      for (let i = 0; i < 200; i++) {
        let ended: boolean | undefined
        const source = (async function* () {
          yield new Uint8Array(10)
          await new Promise((r) => setTimeout(r, 0))
          yield new Uint8Array(10)
        })()
        const stream = toWebStream(source, (completed) => {
          ended = completed
        })
        const reader = stream.getReader()
        await reader.read()
        await reader.read()
        // Cancel while the source is about to report its end.
        await reader.cancel()
        expect(ended).toBe(false)
      }
      await new Promise((r) => setTimeout(r, 20))
      expect(uncaught).toEqual([])
    } finally {
      process.off('uncaughtException', on)
      process.off('unhandledRejection', on)
    }
  })
})

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('headers of responses written straight to the Node response', () => {
  let server: E2eServer
  beforeAll(async () => {
    server = await startFsServer()
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dir)
  })

  const base = (res: Response) => ({
    id: res.headers.get('x-request-id'),
    nosniff: res.headers.get('x-content-type-options'),
    referrer: res.headers.get('referrer-policy'),
    opener: res.headers.get('cross-origin-opener-policy'),
  })
  const expectBase = (res: Response) =>
    expect(base(res)).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      nosniff: 'nosniff',
      referrer: 'no-referrer',
      opener: 'same-origin',
    })

  it('TUS answers and downloads carry the request id and security headers, only TUS answers CORS', async () => {
    // @hono/node-server logs (console.error) a response it tried to write a second time.
    const errors = vi.spyOn(console, 'error')
    const md = `sid ${Buffer.from('hdrs').toString('base64')},name ${Buffer.from('h.txt').toString('base64')}`
    const post = await fetch(server.url('/files/'), {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '5', 'Upload-Metadata': md },
    })
    expect(post.status).toBe(201)
    expectBase(post)
    expect(post.headers.get('access-control-allow-origin')).toBe('*')
    expect(post.headers.get('access-control-expose-headers')).toContain('Upload-Offset')
    expect(post.headers.get('content-length')).toBe('0')
    const location = server.url(post.headers.get('location') ?? '')
    const patch = await fetch(location, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
      },
      body: 'hello',
    })
    expect([patch.status, patch.headers.get('upload-offset')]).toEqual([204, '5'])
    expectBase(patch)
    const wrong = await fetch(location, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '1',
        'Content-Type': 'application/offset+octet-stream',
      },
      body: 'x',
    })
    // Bytes for a completed upload: PsiTransfer's 400 (core's TUS machine).
    expect(wrong.status).toBe(400)
    expect(wrong.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await wrong.text()).toMatch(/Upload already completed/)
    const head = await fetch(location, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
    expect([head.status, head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual([
      200,
      '5',
      '5',
    ])
    expectBase(head)
    expect(head.headers.get('access-control-expose-headers')).toContain('Upload-Offset')
    const preflight = await fetch(location, { method: 'OPTIONS' })
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH')
    const download = await fetch(location)
    expect([download.status, await download.text()]).toEqual([200, 'hello'])
    expectBase(download)
    expect(download.headers.get('x-frame-options')).toBe('DENY')
    const headDownload = await fetch(location, { method: 'HEAD' })
    expect([headDownload.status, headDownload.headers.get('content-length')]).toEqual([200, '5'])
    expectBase(headDownload)
    // Downloads share the `files/` prefix with TUS but are no TUS requests: no CORS, so another
    // site's script cannot read a file whose link it learned.
    for (const res of [download, headDownload]) {
      for (const name of ['allow-origin', 'expose-headers', 'allow-methods', 'allow-headers']) {
        expect(res.headers.get(`access-control-${name}`), name).toBeNull()
      }
    }
    await new Promise((r) => setTimeout(r, 50))
    expect(errors).not.toHaveBeenCalled()
    errors.mockRestore()
  })
})

describe('graceful shutdown', () => {
  it('stops accepting at once and closes each connection that still answers (no keep-alive)', async () => {
    const server = await startFsServer()
    try {
      const create = await fetch(server.url('/files/'), {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': '2000',
          'Upload-Metadata': `sid ${Buffer.from('drain').toString('base64')},name ${Buffer.from('d.bin').toString('base64')}`,
        },
      })
      expect(create.status).toBe(201)
      // A PATCH in flight: half its body now, the rest once the shutdown has begun.
      const patch = request(new URL(create.headers.get('location') as string, server.url('/')), {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': '0',
          'Content-Type': 'application/offset+octet-stream',
          'Content-Length': '2000',
          Connection: 'keep-alive',
        },
      })
      const answered = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        patch.on('response', (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection })
        })
        patch.on('error', reject)
      })
      patch.write(randomBytes(1000))
      await new Promise((r) => setTimeout(r, 100))
      const closing = server.close()
      // Synchronously: a proxy must find the port closed, not a server answering 503s.
      expect(server.server.listening).toBe(false)
      patch.end(randomBytes(1000))
      const res = await answered
      expect(res.status).toBe(204)
      expect(res.connection).toBe('close')
      await closing
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })

  it('answers a request on an idle keep-alive connection during the grace instead of resetting it', async () => {
    const server = await startFsServer()
    const socket = connect(server.port, '127.0.0.1')
    try {
      let received = ''
      socket.setEncoding('latin1')
      socket.on('data', (d: string) => {
        received += d
      })
      const ended = new Promise<void>((r) => socket.once('end', () => r()))
      const answers = async (n: number) => {
        while ((received.match(/HTTP\/1\.1 \d+/g) ?? []).length < n)
          await new Promise((r) => setTimeout(r, 10))
      }
      const healthz = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n'
      socket.write(healthz)
      await answers(1)
      expect(received).toMatch(/^HTTP\/1\.1 200/)
      expect(received).not.toMatch(/connection: close/i)
      // The connection is idle now, as a proxy's pooled one between two requests.
      const closing = server.close()
      expect(server.server.listening).toBe(false)
      await new Promise((r) => setTimeout(r, 100))
      // A proxy reuses it for the next request: that one is answered, and the connection ends after it.
      socket.write(healthz)
      await answers(2)
      const second = received.slice(received.lastIndexOf('HTTP/1.1'))
      expect(second).toMatch(/^HTTP\/1\.1 503/)
      expect(second).toMatch(/connection: close/i)
      await ended
      await closing
    } finally {
      socket.destroy()
      await server.close()
      removeDir(server.dir)
    }
  })
})
