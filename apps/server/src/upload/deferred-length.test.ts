/**
 * maxBucketSize with `Upload-Defer-Length`, end to end on a listening server: the length is not
 * known at creation, so the bucket's room bounds every PATCH and the length declared later.
 */
import { request } from 'node:http'
import { encodeUploadMetadata } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2eServer, removeDir, startFsServer } from '../test-support/e2e.js'
import { BucketTokens } from '../test-support/harness.js'

const MiB = 1024 * 1024
const TUS = { 'Tus-Resumable': '1.0.0' }

/** A PATCH whose body is streamed in chunks without Content-Length (chunked encoding). */
function streamPatch(server: E2eServer, path: string, offset: number, total: number) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      server.url(path),
      {
        method: 'PATCH',
        headers: {
          ...TUS,
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': String(offset),
        },
      },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => {
          body += c.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    // The server may answer and close before the whole body is sent.
    req.on('error', (err) => reject(err))
    let sent = 0
    const pump = () => {
      while (sent < total) {
        const n = Math.min(64 * 1024, total - sent)
        sent += n
        if (!req.write(Buffer.alloc(n, 1))) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

const tokens = new BucketTokens()

async function create(server: E2eServer, headers: Record<string, string>, name: string) {
  const res = await fetch(server.url('/files/'), {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Metadata': encodeUploadMetadata({ sid: 'small', name }),
      ...tokens.headers('small'),
      ...headers,
    },
  })
  expect(res.status).toBe(201)
  tokens.keep('small', res.headers)
  return new URL(res.headers.get('location') as string, server.url('/')).pathname
}

async function offsetOf(server: E2eServer, path: string): Promise<number> {
  const res = await fetch(server.url(path), { method: 'HEAD', headers: TUS })
  return Number(res.headers.get('upload-offset'))
}

describe('maxBucketSize with a deferred upload length (real server)', () => {
  let server: E2eServer
  beforeAll(async () => {
    server = await startFsServer({ config: { maxBucketSize: MiB } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dir)
  })

  it('keeps a 1 MiB bucket at 1 MiB: deferred bytes are cut off at its room, a larger length is refused', async () => {
    const first = await create(server, { 'Upload-Length': String(MiB / 4) }, 'a.bin')
    const put = await fetch(server.url(first), {
      method: 'PATCH',
      headers: { ...TUS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
      body: Buffer.alloc(MiB / 4, 2),
    })
    expect(put.status).toBe(204)

    const late = await create(server, { 'Upload-Defer-Length': '1' }, 'late.bin')
    // 5 MiB announced by Content-Length: refused before a byte is stored.
    const announced = await fetch(server.url(late), {
      method: 'PATCH',
      headers: { ...TUS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
      body: Buffer.alloc(5 * MiB, 1),
    }).catch(() => undefined)
    if (announced) expect(announced.status).toBe(413)
    expect(await offsetOf(server, late)).toBe(0)
    // 5 MiB streamed without Content-Length: stopped at the room (3/4 MiB).
    const streamed = await streamPatch(server, late, 0, 5 * MiB).catch(() => undefined)
    if (streamed) expect(streamed.status).toBe(413)
    const kept = await offsetOf(server, late)
    expect(kept).toBeLessThanOrEqual((3 * MiB) / 4)
    // Declaring a length beyond the room is refused; the room itself is fine.
    const declare = (length: number) =>
      fetch(server.url(late), {
        method: 'PATCH',
        headers: {
          ...TUS,
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': String(kept),
          'Upload-Length': String(length),
        },
      })
    expect((await declare(5 * MiB)).status).toBe(413)
    expect((await declare((3 * MiB) / 4 + 1)).status).toBe(413)
    const fits = await fetch(server.url(late), {
      method: 'PATCH',
      headers: {
        ...TUS,
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': String(kept),
        'Upload-Length': String((3 * MiB) / 4),
      },
      body: Buffer.alloc((3 * MiB) / 4 - kept, 1),
    })
    expect(fits.status).toBe(204)
    const listing = (await (await fetch(server.url('/small.json'))).json()) as {
      items: Array<{ size: number }>
    }
    expect(listing.items.reduce((sum, i) => sum + i.size, 0)).toBe(MiB)
  })
})
