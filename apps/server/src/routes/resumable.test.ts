/**
 * The IETF resumable-upload endpoint on a real Node server, over raw sockets: what goes on the
 * wire, section by section of the draft (docs/resumable-upload.md), including the
 * `104 (Upload Resumption Supported)` a creation sends before it reads the content, and the
 * resumption of a creation cut off mid-body from that 104's Location.
 */
import { connect } from 'node:net'
import { MemoryLocker, systemClock } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../server.js'
import { testConfig } from '../test-support/harness.js'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Parses every response on the wire: the informational ones, then the final one. */
function parseResponses(wire: string): RawResponse[] {
  const out: RawResponse[] = []
  let rest = wire
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) break
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const i = line.indexOf(':')
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
    }
    const status = Number(statusLine.split(' ')[1])
    const length = status < 200 || status === 204 ? 0 : Number(headers['content-length'] ?? 0)
    out.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return out
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body`, and reads until
 * the final response is complete. `cutAfter`: send that many body bytes, wait for the 104, then
 * drop the connection (a client losing its network mid-upload).
 */
function exchange(
  port: number,
  head: string,
  body: Buffer = Buffer.alloc(0),
  cutAfter?: number,
): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let wire = ''
    const done = () => {
      socket.destroy()
      resolve(parseResponses(wire))
    }
    socket.on('data', (chunk) => {
      wire += chunk.toString('latin1')
      const responses = parseResponses(wire)
      if (cutAfter !== undefined && responses.some((r) => r.status === 104)) return done()
      const last = responses.at(-1)
      if (last && last.status >= 200) done()
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(parseResponses(wire)))
    socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    socket.write(cutAfter === undefined ? body : body.subarray(0, cutAfter))
  })
}

const sid = `ietf-${Date.now().toString(36)}`
const metadata = `sid ${Buffer.from(sid).toString('base64')},retention ${Buffer.from('3600').toString('base64')}`
const token = 'client-made-bucket-token-0123456789'

let server: RunningServer
beforeAll(async () => {
  const config = testConfig({ port: 0, iface: '127.0.0.1', maxFileSize: 1_000_000_000 })
  server = await startServer({
    config,
    store: new MemoryStore(),
    locker: new MemoryLocker(),
    clock: systemClock,
    authFailDelayMs: 0,
    webRoot: null,
  })
})
afterAll(async () => {
  await server?.close()
})

describe('IETF resumable uploads over the wire (draft interop version 9)', () => {
  it('creation with all content: 104 with Location before the final 200 (draft 4.2, example A)', async () => {
    const data = Buffer.from('hello resumable world')
    const [info, final, ...rest] = await exchange(
      server.port,
      [
        'POST /uploads/ HTTP/1.1',
        'Upload-Draft-Interop-Version: 9',
        'Upload-Complete: ?1',
        'Content-Type: text/plain',
        'Content-Disposition: attachment; filename="hello.txt"',
        `Upload-Metadata: ${metadata}`,
        `X-Bucket-Token: ${token}`,
        `Content-Length: ${data.length}`,
      ].join('\r\n'),
      data,
    )
    expect(rest).toEqual([])
    expect(info?.status).toBe(104)
    const location = info?.headers.location ?? ''
    expect(location).toMatch(new RegExp(`^/uploads/${sid}\\+\\+[A-Za-z0-9_-]+$`))
    expect(final?.status).toBe(200)
    expect(final?.headers.location).toBe(location)
    expect(final?.headers['upload-complete']).toBe('?1')
    // The file is a file of the bucket like any other: listed and downloadable.
    const key = location.split('++')[1]
    const got = await fetch(`${server.origin}/files/${sid}++${key}`)
    expect(got.status).toBe(200)
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true)
    const listing = (await (await fetch(`${server.origin}/${sid}.json`)).json()) as unknown
    expect(JSON.stringify(listing)).toContain('hello.txt')
  })

  it('a creation cut off mid-content resumes from the 104 Location: offset, append, completion (4.3, 4.4)', async () => {
    const data = Buffer.alloc(100_000, 7)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff
    const responses = await exchange(
      server.port,
      [
        'POST /uploads/ HTTP/1.1',
        'Upload-Draft-Interop-Version: 9',
        'Upload-Complete: ?1',
        `Upload-Length: ${data.length}`,
        'Content-Disposition: attachment; filename="big.bin"',
        `Upload-Metadata: ${metadata}`,
        `X-Bucket-Token: ${token}`,
        `Content-Length: ${data.length}`,
      ].join('\r\n'),
      data,
      30_000,
    )
    const location = responses.find((r) => r.status === 104)?.headers.location ?? ''
    expect(location).toMatch(/^\/uploads\//)
    // Offset retrieval: what the server has durably, whatever arrived before the cut.
    let head: RawResponse | undefined
    for (let i = 0; i < 50; i++) {
      ;[head] = await exchange(server.port, `HEAD ${location} HTTP/1.1\r\nUpload-Draft-Interop-Version: 9`)
      if (head?.status === 204 || head?.status === 200) break
      await new Promise((r) => setTimeout(r, 100)) // the cut creation may still hold the upload's lock
    }
    expect([200, 204]).toContain(head?.status)
    expect(head?.headers['upload-complete']).toBe('?0')
    expect(head?.headers['cache-control']).toBe('no-store')
    expect(head?.headers['upload-length']).toBe(String(data.length))
    const offset = Number(head?.headers['upload-offset'])
    expect(offset).toBeLessThanOrEqual(30_000)
    // Append the rest and complete in one request.
    const rest = data.subarray(offset)
    const [appended] = await exchange(
      server.port,
      [
        `PATCH ${location} HTTP/1.1`,
        'Upload-Draft-Interop-Version: 9',
        'Content-Type: application/partial-upload',
        `Upload-Offset: ${offset}`,
        'Upload-Complete: ?1',
        `Content-Length: ${rest.length}`,
      ].join('\r\n'),
      rest,
    )
    expect(appended?.status).toBe(200)
    const key = location.split('++')[1]
    const got = await fetch(`${server.origin}/files/${sid}++${key}`)
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true)
  })

  it('offset mismatch and cancellation answer with the draft problem types; TUS cannot touch the upload (4.4.1, 4.5)', async () => {
    const [created] = (
      await exchange(
        server.port,
        [
          'POST /uploads/ HTTP/1.1',
          'Upload-Complete: ?0',
          'Content-Disposition: attachment; filename="later.bin"',
          `Upload-Metadata: ${metadata}`,
          `X-Bucket-Token: ${token}`,
          'Content-Length: 0',
        ].join('\r\n'),
      )
    ).filter((r) => r.status >= 200)
    expect(created?.status).toBe(201)
    const location = created?.headers.location ?? ''
    const [mismatch] = await exchange(
      server.port,
      [
        `PATCH ${location} HTTP/1.1`,
        'Content-Type: application/partial-upload',
        'Upload-Offset: 5',
        'Upload-Complete: ?0',
        'Content-Length: 3',
      ].join('\r\n'),
      Buffer.from('abc'),
    )
    expect(mismatch?.status).toBe(409)
    expect(mismatch?.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(mismatch?.body ?? '{}')).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset',
      'expected-offset': 0,
      'provided-offset': 5,
    })
    // The TUS endpoint refuses an upload of the other protocol.
    const id = location.split('/').pop() ?? ''
    const tus = await fetch(`${server.origin}/files/${id}`, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0' },
    })
    expect(tus.status).toBe(400)
    const [cancelled] = await exchange(server.port, `DELETE ${location} HTTP/1.1`)
    expect(cancelled?.status).toBe(204)
    const [gone] = await exchange(server.port, `HEAD ${location} HTTP/1.1`)
    expect(gone?.status).toBe(404)
  })

  it('OPTIONS names the limits; browsers get CORS headers', async () => {
    const res = await fetch(`${server.origin}/uploads/`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://elsewhere.example' },
    })
    expect(res.status).toBeLessThan(300)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Upload-Offset/)
    expect(res.headers.get('upload-limit')).toBe('max-size=1000000000')
  })
})
