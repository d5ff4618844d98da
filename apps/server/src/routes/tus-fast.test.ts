/**
 * The TUS fast path (`routes/tus-fast.ts`) over real sockets: it serves the upload requests it
 * recognizes, hands everything else to Hono, and puts the same answers on the wire as the Hono
 * route does (a twin server without the fast path answers the same script of requests), with
 * the same request id, metrics, access log, password checks and connection handling.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { encodeUploadMetadata, MemoryLocker, systemClock } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createApp } from '../app.js'
import { registryFor } from '../stores.js'
import { type E2eServer, removeDir, startFsServer, tempDir } from '../test-support/e2e.js'
import { BucketTokens, testConfig } from '../test-support/harness.js'
import { send, type WireResponse } from '../test-support/wire.js'
import type { TusEndpointRequest } from '../upload/tus-endpoint.js'

/**
 * Calls that reached `answerTus` through the fast path: it hands over Node's headers, where
 * Hono's route hands over the Web `Headers` of its request.
 */
const fastCalls = vi.hoisted(() => [] as string[])
vi.mock('../upload/tus-endpoint.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../upload/tus-endpoint.js')>()
  return {
    ...real,
    answerTus: (request: TusEndpointRequest, deps: Parameters<typeof real.answerTus>[1]) => {
      if (!(request.headers instanceof Headers)) fastCalls.push(`${request.method} ${request.id ?? ''}`)
      return real.answerTus(request, deps)
    },
  }
})

const CONFIG = { maxFileSize: 1000, uploadPass: 'up', accessLog: true, metrics: true }
const TUS = { 'Tus-Resumable': '1.0.0' }

/** A Hono-only server (no fast path) on its own FS store, configured like the e2e server. */
async function startHonoOnly(dir: string): Promise<{ origin: string; server: Server }> {
  const config = testConfig({ port: 0, iface: '127.0.0.1', uploadDir: dir, ...CONFIG })
  const registry = await registryFor('filesystem')
  const store = await registry.create(config.storage, { uploadDir: dir })
  await store.init()
  const app = createApp({
    config,
    store,
    locker: new MemoryLocker(),
    clock: systemClock,
    authFailDelayMs: 0,
    webRoot: null,
  })
  const server = createServer(getRequestListener(app.fetch))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/** Status, headers and body with the per-request parts (ids, dates) normalized. */
function comparable(r: WireResponse): unknown {
  const headers: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(r.headers)) {
    if (k === 'date' || k === 'connection' || k === 'keep-alive') continue
    if (k === 'x-request-id') headers[k] = typeof v === 'string' && v.length > 0 ? '<id>' : v
    else if (k === 'location') headers[k] = String(v).replace(/[^/]+$/, '<id>')
    else if (k === 'upload-expires') headers[k] = '<date>'
    else if (k === 'x-bucket-token') headers[k] = typeof v === 'string' && v.length > 0 ? '<token>' : v
    // The bucket token as a cookie: same shape on both paths, a different random token.
    else if (k === 'set-cookie')
      headers[k] = ([] as string[]).concat(v as string).map((c) => c.replace(/=[^;]+;/, '=<token>;'))
    else headers[k] = v
  }
  return { status: r.status, headers, body: r.body }
}

const md = (fields: Record<string, string>) => encodeUploadMetadata(fields)

describe('TUS fast path', () => {
  let fast: E2eServer
  let twin: { origin: string; server: Server }
  let twinDir: string

  beforeAll(async () => {
    fast = await startFsServer({ config: CONFIG })
    twinDir = tempDir()
    twin = await startHonoOnly(twinDir)
  })
  afterAll(async () => {
    await fast.close()
    await new Promise((r) => twin.server.close(r))
    removeDir(fast.dir)
    removeDir(twinDir)
  })

  it('answers exactly like the Hono route, request by request', async () => {
    const auth = { ...TUS, 'X-Passwd': 'up' }
    const meta = md({ sid: 'twinbucket', name: 'a.txt', retention: '3600' })
    /** Runs one step on both servers; returns both answers after comparing them. */
    // Each server hands out its own upload token for the bucket; later creations send it.
    const tokens = { fast: new BucketTokens(), twin: new BucketTokens() }
    const both = async (method: string, path: (o: 'fast' | 'twin') => string, h = {}, body?: Buffer) => {
      const hh = (o: 'fast' | 'twin') =>
        method === 'POST' ? { ...h, ...tokens[o].headers('twinbucket') } : h
      const a = await send(fast.url(''), method, path('fast'), hh('fast'), body)
      const b = await send(twin.origin, method, path('twin'), hh('twin'), body)
      if (method === 'POST') {
        tokens.fast.keep('twinbucket', a.headers)
        tokens.twin.keep('twinbucket', b.headers)
      }
      expect(comparable(a), `${method} ${path('fast')}`).toEqual(comparable(b))
      return { a, b }
    }
    const fixed = (p: string) => () => p

    await both('OPTIONS', fixed('/files/'))
    await both('OPTIONS', fixed('/files'))
    await both('POST', fixed('/files/'), { ...TUS, 'Upload-Length': '5', 'Upload-Metadata': meta })
    await both('POST', fixed('/files/'), { ...auth, 'Upload-Length': '5000', 'Upload-Metadata': meta })
    await both('POST', fixed('/files/'), { ...auth, 'Upload-Length': '5' })
    await both('POST', fixed('/files/'), { 'Tus-Resumable': '0.2.2', 'X-Passwd': 'up', 'Upload-Length': '5' })
    await both('POST', fixed('/files/'), { ...TUS, 'X-Passwd': 'nope', 'Upload-Length': '5' })
    await both('PATCH', fixed('/files/twinbucket++nosuchfile'), {
      ...auth,
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
    })

    const created = await both('POST', fixed('/files/'), {
      ...auth,
      'Upload-Length': '11',
      'Upload-Metadata': meta,
      'X-Request-Id': 'client-chosen.id_1',
    })
    expect(created.a.status).toBe(201)
    expect(created.a.headers['x-request-id']).toBe('client-chosen.id_1')
    const loc = { fast: String(created.a.headers.location), twin: String(created.b.headers.location) }
    const at = (o: 'fast' | 'twin') => loc[o]
    await both('HEAD', at, auth)
    await both('PATCH', at, { ...auth, 'Upload-Offset': '0', 'Content-Type': 'text/plain' }, Buffer.from('x'))
    await both(
      'PATCH',
      at,
      { ...auth, 'Upload-Offset': '3', 'Content-Type': 'application/offset+octet-stream' },
      Buffer.from('xyz'),
    )
    await both(
      'PATCH',
      at,
      { ...auth, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      Buffer.from('hello world'),
    )
    await both('HEAD', at, auth)
    await both('DELETE', at, auth)

    // creation-with-upload, and a body beyond the declared length
    const withUpload = {
      ...auth,
      'Upload-Length': '3',
      'Upload-Metadata': meta,
      'Content-Type': 'application/offset+octet-stream',
    }
    await both('POST', fixed('/files/'), withUpload, Buffer.from('abc'))
    await both('POST', fixed('/files/'), withUpload, Buffer.from('abcdef'))
    expect(fastCalls.length).toBeGreaterThanOrEqual(17)
    expect(fastCalls.filter((c) => c.startsWith('PATCH ')).length).toBe(4)
  })

  it('leaves everything else to Hono: lock PATCH, query strings, encoded ids, downloads', async () => {
    const auth = { ...TUS, 'X-Passwd': 'up' }
    const created = await send(fast.url(''), 'POST', '/files/', {
      ...auth,
      'Upload-Length': '2',
      'Upload-Metadata': md({ sid: 'handover', name: 'b.txt' }),
    })
    const location = String(created.headers.location)
    const id = location.slice(location.lastIndexOf('/') + 1)
    await send(
      fast.url(''),
      'PATCH',
      location,
      { ...auth, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      Buffer.from('ok'),
    )
    fastCalls.length = 0

    // A plain HEAD/GET of files/{id} is a download (the default layout shares the path).
    expect((await send(fast.url(''), 'GET', `/files/${id}`)).status).toBe(200)
    expect((await send(fast.url(''), 'HEAD', `/files/${id}`)).status).toBe(200)
    // Percent-encoded ids go to Hono, which decodes them: the same upload.
    const encoded = await send(fast.url(''), 'HEAD', `/files/${id.replace('++', '%2B%2B')}`, auth)
    expect(encoded.status).toBe(200)
    expect(encoded.headers['upload-offset']).toBe('2')
    const query = await send(fast.url(''), 'HEAD', `/files/${id}?x=1`, auth)
    expect(query.headers['upload-offset']).toBe('2')
    const token = { 'X-Bucket-Token': String(created.headers['x-bucket-token']) }
    expect(
      (await send(fast.url(''), 'PATCH', '/files/handover?lock=yes', { ...auth, ...token })).status,
    ).toBe(204)
    expect((await send(fast.url(''), 'GET', '/healthz')).status).toBe(200)
    expect(fastCalls).toEqual([])

    // The bucket is locked now: a new file is refused (through the fast path).
    const refused = await send(fast.url(''), 'POST', '/files/', {
      ...auth,
      ...token,
      'Upload-Length': '1',
      'Upload-Metadata': md({ sid: 'handover', name: 'c.txt' }),
    })
    expect(refused.status).toBe(400)
    expect(refused.body).toMatch(/locked/i)
    expect(fastCalls).toEqual(['POST '])
  })

  it('counts requests in the metrics and writes the access log', async () => {
    const before = await send(fast.url(''), 'GET', '/metrics')
    const count = (text: string, labels: string) =>
      Number(new RegExp(`psitransfer_http_requests_total\\{${labels}\\} (\\d+)`).exec(text)?.[1] ?? 0)
    const optionsBefore = count(before.body, 'method="OPTIONS",status="204"')
    const unauthorizedBefore = count(before.body, 'method="POST",status="401"')
    fast.logger.entries.length = 0
    await send(fast.url(''), 'OPTIONS', '/files/')
    await send(fast.url(''), 'POST', '/files/', { ...TUS, 'Upload-Length': '1' })
    const after = await send(fast.url(''), 'GET', '/metrics')
    expect(count(after.body, 'method="OPTIONS",status="204"')).toBe(optionsBefore + 1)
    expect(count(after.body, 'method="POST",status="401"')).toBe(unauthorizedBefore + 1)
    expect(after.body).toMatch(/psitransfer_errors_total\{code="tus_401"\} [1-9]/)
    const lines = fast.logger.entries.filter((e) => e.msg === 'request')
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'OPTIONS',
          path: '/files/',
          status: 204,
          reqId: expect.any(String),
        }),
        expect.objectContaining({ method: 'POST', path: '/files/', status: 401 }),
      ]),
    )
  })

  it('keeps the connection usable after refusing a body it had started to read', async () => {
    const created = await send(fast.url(''), 'POST', '/files/', {
      ...TUS,
      'X-Passwd': 'up',
      'Upload-Length': '10',
      'Upload-Metadata': md({ sid: 'drain', name: 'd.txt' }),
    })
    const path = new URL(String(created.headers.location), fast.url('')).pathname
    const socket = connect(fast.port, '127.0.0.1')
    await new Promise<void>((r) => socket.once('connect', () => r()))
    let received = ''
    socket.on('data', (c: Buffer) => {
      received += c.toString('latin1')
    })
    // A chunked body longer than the upload: refused (413) after its first chunk was read. The
    // rest must be read and dropped, or the next request on this connection would never be seen.
    const chunk = Buffer.alloc(128 * 1024, 7)
    const hex = chunk.length.toString(16)
    socket.write(
      `PATCH ${path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nX-Passwd: up\r\nUpload-Offset: 0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
    )
    for (let i = 0; i < 4; i++)
      socket.write(Buffer.concat([Buffer.from(`${hex}\r\n`), chunk, Buffer.from('\r\n')]))
    socket.write('0\r\n\r\nOPTIONS /files/ HTTP/1.1\r\nHost: x\r\n\r\n')
    await vi.waitFor(
      () => {
        expect(received).toMatch(/^HTTP\/1\.1 413 [\s\S]*HTTP\/1\.1 204 /)
      },
      { timeout: 5000 },
    )
    socket.destroy()
  })
})
