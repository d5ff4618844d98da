import { describe, expect, it, vi } from 'vitest'
import { PsiError } from '../errors.js'
import { parseFileRef } from '../ids.js'
import type { FileMeta } from '../meta.js'
import { listAll } from '../store.js'
import { MemoryChecksumBudget } from './checksum.js'
import { completeIfFull } from './handler.js'
import { parseUploadMetadata } from './metadata.js'
import {
  b64,
  bytes,
  chunks,
  ENDPOINT,
  failingBody,
  harness,
  metadataHeader,
  patchHeaders,
} from './test-helpers.test-support.js'

async function sha(alg: string, data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest(alg, data as Uint8Array<ArrayBuffer>))
  return btoa(String.fromCharCode(...d))
}

describe('OPTIONS discovery', () => {
  it('advertises version, extensions, max size and checksum algorithms without Tus-Resumable', async () => {
    const h = harness({ limits: { maxSize: 1000 } })
    const res = await h.send({ method: 'OPTIONS', noVersion: true })
    expect(res.status).toBe(204)
    expect(res.headers['Tus-Version']).toBe('1.0.0')
    expect(res.headers['Tus-Extension']?.split(',')).toEqual(
      expect.arrayContaining([
        'creation',
        'creation-with-upload',
        'creation-defer-length',
        'termination',
        'expiration',
        'checksum',
        'concatenation',
      ]),
    )
    expect(res.headers['Tus-Max-Size']).toBe('1000')
    expect(res.headers['Tus-Checksum-Algorithm']?.split(',')).toEqual(
      expect.arrayContaining(['sha1', 'sha256']),
    )
  })

  it('omits Tus-Max-Size when unlimited', async () => {
    const res = await harness().send({ method: 'OPTIONS' })
    expect(res.headers['Tus-Max-Size']).toBeUndefined()
  })
})

describe('Tus-Resumable', () => {
  it('412 with Tus-Version when missing or unsupported', async () => {
    const h = harness()
    for (const headers of [{}, { 'Tus-Resumable': '0.2.2' }] as Record<string, string>[]) {
      const res = await h.send({
        method: 'POST',
        headers: { 'Upload-Length': '1', ...headers },
        noVersion: true,
      })
      expect(res.status).toBe(412)
      expect(res.headers['Tus-Version']).toBe('1.0.0')
    }
    expect(await listAll(h.store)).toHaveLength(0)
  })

  it('every non-OPTIONS response carries Tus-Resumable', async () => {
    const h = harness()
    const id = await h.create(3)
    const res = await h.send({ method: 'HEAD', id })
    expect(res.headers['Tus-Resumable']).toBe('1.0.0')
  })
})

describe('creation', () => {
  it('creates an upload, answers 201 with Location, HEAD shows offset 0 without caching', async () => {
    const h = harness()
    const res = await h.send({
      method: 'POST',
      headers: {
        'Upload-Length': '10',
        'Upload-Metadata': metadataHeader({ sid: 'b1', name: 'x.txt', password: 's3cret' }),
      },
    })
    expect(res.status).toBe(201)
    expect(res.headers.Location).toMatch(/^\/files\/b1\+\+[A-Za-z0-9_-]{22,23}$/)
    expect(res.headers['Upload-Expires']).toBeDefined()
    const id = (res.headers.Location ?? '').slice(ENDPOINT.length)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.status).toBe(200)
    expect(head.headers['Upload-Offset']).toBe('0')
    expect(head.headers['Upload-Length']).toBe('10')
    expect(head.headers['Cache-Control']).toBe('no-store')
    const md = parseUploadMetadata(head.headers['Upload-Metadata'])
    expect(md.name).toBe('x.txt')
    expect(md.sid).toBe('b1')
    // Never echo the password or its hash.
    expect(Object.keys(md)).not.toContain('password')
    expect(head.headers['Upload-Metadata']).not.toContain(b64('hashed:s3cret'))
  })

  it.each([
    [{}, 400],
    [{ 'Upload-Length': 'abc' }, 400],
    [{ 'Upload-Length': '-1' }, 400],
    [{ 'Upload-Length': '1e3' }, 400],
    [{ 'Upload-Length': '99999999999999999' }, 400],
    [{ 'Upload-Length': '5', 'Upload-Defer-Length': '1' }, 400],
    [{ 'Upload-Defer-Length': '2' }, 400],
    [{ 'Upload-Length': '1', 'Upload-Metadata': 'name !!!' }, 400],
    [{ 'Upload-Length': '1', 'Upload-Metadata': `name ${b64('a')},name ${b64('b')}` }, 400],
  ])('refuses bad creation headers %o with %i and stores nothing', async (headers, status) => {
    const h = harness()
    const res = await h.send({ method: 'POST', headers })
    expect(res.status).toBe(status)
    expect(res.body.length).toBeGreaterThan(0)
    expect(await listAll(h.store)).toHaveLength(0)
  })

  it('413 above Tus-Max-Size', async () => {
    const h = harness({ limits: { maxSize: 100 } })
    const res = await h.send({ method: 'POST', headers: { 'Upload-Length': '101' } })
    expect(res.status).toBe(413)
    expect(await listAll(h.store)).toHaveLength(0)
  })

  it('refusals from the onCreate hook keep their status and message', async () => {
    const h = harness({
      hooks: {
        onCreate: () => {
          throw new PsiError('INVALID_NAME', 'Invalid file name')
        },
      },
    })
    const res = await h.send({ method: 'POST', headers: { 'Upload-Length': '1' } })
    expect(res.status).toBe(400)
    expect(res.body).toBe('Invalid file name')
  })

  it('a zero-length upload is complete at creation', async () => {
    const h = harness()
    const id = await h.create(0)
    expect(h.completed).toHaveLength(1)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Offset']).toBe('0')
    expect(head.headers['Upload-Expires']).toBeUndefined()
  })

  it('GET and PUT are not TUS methods', async () => {
    const h = harness()
    expect((await h.send({ method: 'GET' })).status).toBe(405)
    const id = await h.create(1)
    expect((await h.send({ method: 'PUT', id })).status).toBe(405)
  })

  it('rejects hostile upload ids', async () => {
    const h = harness()
    for (const id of ['..', 'a/b++c', 'b1++../x', 'b1', '++', 'b1++', '%2e%2e++x']) {
      const res = await h.send({ method: 'HEAD', id })
      expect(res.status, id).toBe(400)
    }
  })
})

describe('PATCH (core protocol)', () => {
  it('appends chunks at matching offsets and completes', async () => {
    const h = harness()
    const data = bytes(100)
    const id = await h.create(100)
    let res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: data.subarray(0, 40) })
    expect(res.status).toBe(204)
    expect(res.headers['Upload-Offset']).toBe('40')
    expect(res.headers['Upload-Expires']).toBeDefined()
    expect(h.completed).toHaveLength(0)
    res = await h.send({ method: 'PATCH', id, headers: patchHeaders(40), body: data.subarray(40) })
    expect(res.status).toBe(204)
    expect(res.headers['Upload-Offset']).toBe('100')
    expect(h.completed).toHaveLength(1)
    expect(h.completed[0]?.complete).toBe(true)
    expect(await h.bytesOf(id)).toEqual(data)
  })

  it('400 "Upload already completed" for bytes sent to a completed upload (as PsiTransfer); an empty PATCH at its end is 204', async () => {
    const h = harness()
    const data = bytes(10)
    const id = await h.create(10)
    expect((await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: data })).status).toBe(204)
    for (const offset of [10, 0]) {
      const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(offset), body: bytes(3) })
      expect(res.status, `offset ${offset}`).toBe(400)
      expect(res.body).toMatch(/Upload already completed/)
    }
    const empty = await h.send({ method: 'PATCH', id, headers: patchHeaders(10), body: new Uint8Array() })
    expect(empty.status).toBe(204)
    expect(empty.headers['Upload-Offset']).toBe('10')
    expect(await h.bytesOf(id)).toEqual(data)
  })

  it('415 without the offset content type, 400 without Upload-Offset', async () => {
    const h = harness()
    const id = await h.create(3)
    let res = await h.send({
      method: 'PATCH',
      id,
      headers: { 'Content-Type': 'application/octet-stream', 'Upload-Offset': '0' },
      body: bytes(3),
    })
    expect(res.status).toBe(415)
    res = await h.send({
      method: 'PATCH',
      id,
      headers: { 'Content-Type': 'application/offset+octet-stream' },
      body: bytes(3),
    })
    expect(res.status).toBe(400)
    expect((await h.bytesOf(id)).length).toBe(0)
  })

  it('409 on an offset mismatch, writing nothing', async () => {
    const h = harness()
    const id = await h.create(10)
    await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(4) })
    for (const off of [0, 3, 5, 10]) {
      const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(off), body: bytes(2, 9) })
      expect(res.status).toBe(409)
    }
    expect(await h.bytesOf(id)).toEqual(bytes(4))
  })

  it('413 for a body beyond Upload-Length, by Content-Length or while streaming', async () => {
    const h = harness()
    const id = await h.create(10)
    let res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(11) })
    expect(res.status).toBe(413)
    expect((await h.bytesOf(id)).length).toBe(0)
    // Without Content-Length the machine stops at the length and refuses the rest.
    res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: chunks(bytes(15), 4) })
    expect(res.status).toBe(413)
    const head = await h.send({ method: 'HEAD', id })
    expect(Number(head.headers['Upload-Offset'])).toBeLessThanOrEqual(10)
    expect((await h.bytesOf(id)).length).toBe(Number(head.headers['Upload-Offset']))
  })

  it('honours X-HTTP-Method-Override', async () => {
    const h = harness()
    const id = await h.create(3)
    const res = await h.send({
      method: 'POST',
      id,
      headers: patchHeaders(0, { 'X-HTTP-Method-Override': 'PATCH' }),
      body: bytes(3),
    })
    expect(res.status).toBe(204)
    expect(res.headers['Upload-Offset']).toBe('3')
  })

  it('Upload-Length is immutable once set', async () => {
    const h = harness()
    const id = await h.create(10)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Upload-Length': '20' }),
      body: bytes(2),
    })
    expect(res.status).toBe(400)
    const same = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Upload-Length': '10' }),
      body: bytes(2),
    })
    expect(same.status).toBe(204)
  })

  it('an interrupted body leaves exactly the received bytes, and the upload resumes', async () => {
    const h = harness()
    const data = bytes(50)
    const id = await h.create(50)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Content-Length': '50' }),
      body: failingBody(data, 23),
    })
    expect(res.status).toBeGreaterThanOrEqual(400)
    const head = await h.send({ method: 'HEAD', id })
    const offset = Number(head.headers['Upload-Offset'])
    expect(offset).toBeLessThanOrEqual(23)
    expect(await h.bytesOf(id)).toEqual(data.subarray(0, offset))
    const done = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(offset),
      body: data.subarray(offset),
    })
    expect(done.status).toBe(204)
    expect(await h.bytesOf(id)).toEqual(data)
  })

  it('a dropped connection is a client abort (400), not a server error', async () => {
    const errors: unknown[] = []
    const h = harness({ hooks: { onError: (e) => errors.push(e) } })
    const id = await h.create(50)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0),
      body: failingBody(bytes(50), 20),
    })
    expect(res.status).toBe(400)
    expect(res.body).toMatch(/interrupted/)
    expect(errors).toEqual([])
    // Same for a checksummed chunk, which is buffered before anything is written.
    const res2 = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(Number((await h.send({ method: 'HEAD', id })).headers['Upload-Offset']), {
        'Upload-Checksum': 'sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      }),
      body: failingBody(bytes(10), 5),
    })
    expect(res2.status).toBe(400)
    expect(errors).toEqual([])
  })

  it('stops reading the request body when the store fails', async () => {
    const h = harness()
    const id = await h.create(100)
    let returned = false
    async function* body() {
      try {
        for (let i = 0; i < 10; i++) yield bytes(10)
      } finally {
        returned = true
      }
    }
    h.store.append = async (_ref, data) => {
      for await (const _ of data) throw new Error('disk on fire')
      return 0
    }
    const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: body() })
    expect(res.status).toBe(500)
    expect(returned).toBe(true)
  })

  it('a body shorter than Content-Length is reported, and the received bytes stay', async () => {
    const h = harness()
    const id = await h.create(10)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Content-Length': '10' }),
      body: chunks(bytes(6)),
    })
    expect(res.status).toBe(400)
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Offset']).toBe('6')
  })

  it('concurrent PATCHes on one upload never interleave: one wins, the other gets 423 or 409', async () => {
    const h = harness({ limits: { lockWaitMs: 20 } })
    const id = await h.create(20)
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    async function* slow(data: Uint8Array) {
      yield data.subarray(0, 5)
      await gate
      yield data.subarray(5)
    }
    const a = h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: slow(bytes(10, 1)) })
    await new Promise((r) => setTimeout(r, 5))
    const b = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: slow(bytes(10, 2)) })
    release()
    expect([423, 409]).toContain(b.status)
    expect((await a).status).toBe(204)
    expect(await h.bytesOf(id)).toEqual(bytes(10, 1))
  })

  it('a PATCH waiting for the lock proceeds once the holder finishes (then sees the new offset)', async () => {
    const h = harness({ limits: { lockWaitMs: 1000 } })
    const id = await h.create(20)
    async function* delayed() {
      await new Promise((r) => setTimeout(r, 30))
      yield bytes(10)
    }
    const a = h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: delayed() })
    await new Promise((r) => setTimeout(r, 5))
    const b = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(10, 3) })
    expect((await a).status).toBe(204)
    expect(b.status).toBe(409)
  })
})

describe('HEAD while a PATCH is writing', () => {
  /** A PATCH body that sends `first`, then stalls until `release()`, then sends `second`. */
  function stalledPatch(h: ReturnType<typeof harness>, id: string, first: Uint8Array, second: Uint8Array) {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    let midway: () => void = () => {}
    const reachedMidway = new Promise<void>((r) => {
      midway = r
    })
    async function* body() {
      yield first
      midway() // the store took `first` and asks for more
      await gate
      yield second
    }
    const done = h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: body() })
    return { done, reachedMidway, release }
  }

  it('waits for the write in flight and reports the offset after it', async () => {
    const h = harness({ limits: { lockWaitMs: 10_000 } })
    const id = await h.create(20)
    const patch = stalledPatch(h, id, bytes(5, 1), bytes(5, 2))
    await patch.reachedMidway
    const head = h.send({ method: 'HEAD', id })
    // Let the HEAD get as far as it can before the PATCH finishes.
    await new Promise((r) => setTimeout(r, 20))
    patch.release()
    expect((await patch.done).status).toBe(204)
    const res = await head
    expect(res.status).toBe(200)
    expect(res.headers['Upload-Offset']).toBe('10')
    // The client resumes from there.
    const rest = await h.send({ method: 'PATCH', id, headers: patchHeaders(10), body: bytes(10, 3) })
    expect(rest.status).toBe(204)
  })

  it('does not lock a finished upload: its offset cannot move', async () => {
    const h = harness({ limits: { lockWaitMs: 10_000 } })
    const id = await h.create(4)
    expect((await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(4, 1) })).status).toBe(
      204,
    )
    const held = await h.deps.locker.lock(id)
    try {
      const lock = vi.spyOn(h.deps.locker, 'lock')
      const res = await h.send({ method: 'HEAD', id })
      expect(res.status).toBe(200)
      expect(res.headers['Upload-Offset']).toBe('4')
      expect(lock).not.toHaveBeenCalled()
    } finally {
      await held.release()
    }
  })

  it('answers from the durable state when the write outlasts the lock wait', async () => {
    const h = harness({ limits: { lockWaitMs: 20 } })
    const id = await h.create(20)
    const patch = stalledPatch(h, id, bytes(5, 1), bytes(5, 2))
    await patch.reachedMidway
    const res = await h.send({ method: 'HEAD', id })
    expect(res.status).toBe(200)
    // What the store holds durably so far (MemoryStore keeps each chunk it took).
    expect(res.headers['Upload-Offset']).toBe('5')
    patch.release()
    expect((await patch.done).status).toBe(204)
  })
})

describe('an upload whose last append outlived its completion (crash between the two)', () => {
  /** Writes all bytes through the store, as a PATCH whose process died before complete() did. */
  async function fullButIncomplete(h: ReturnType<typeof harness>, length: number) {
    const id = await h.create(length)
    const [sid, key] = id.split('++') as [string, string]
    const ref = { sid, key } as never
    await h.store.append(ref, chunks(bytes(length, 9), 100), 0)
    expect(await h.store.info(ref)).toMatchObject({ offset: length, complete: false })
    return { id, ref }
  }

  it('HEAD completes it first (the hooks run once) and only then reports the full offset', async () => {
    const h = harness()
    const { id, ref } = await fullButIncomplete(h, 300)
    const res = await h.send({ method: 'HEAD', id })
    expect(res.status).toBe(200)
    expect(res.headers['Upload-Offset']).toBe('300')
    expect(await h.store.info(ref)).toMatchObject({ complete: true })
    expect(h.completed).toHaveLength(1)
    expect(await h.bytesOf(id)).toEqual(bytes(300, 9))
    expect((await h.send({ method: 'HEAD', id })).status).toBe(200)
    expect(h.completed).toHaveLength(1)
  })

  it('HEAD never reports the full offset while it cannot complete it: 423 with Retry-After', async () => {
    // The lock of the instance that died is still held (S3: until it expires).
    const h = harness({ limits: { lockWaitMs: 20, completeWaitMs: 60 } })
    const { id, ref } = await fullButIncomplete(h, 300)
    const dead = await h.deps.locker.lock(id)
    const t0 = Date.now()
    const res = await h.send({ method: 'HEAD', id })
    // It waited longer than a plain HEAD would (completeWaitMs), then refused.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55)
    expect(res.status).toBe(423)
    expect(res.headers['Retry-After']).toBe('1')
    expect(res.headers['Upload-Offset']).toBeUndefined()
    expect((await h.store.info(ref)).complete).toBe(false)
    // Once the lock is free, the client's retry completes it.
    await dead.release()
    const retry = await h.send({ method: 'HEAD', id })
    expect(retry.status).toBe(200)
    expect(retry.headers['Upload-Offset']).toBe('300')
    expect(h.completed).toHaveLength(1)
  })

  it('a PATCH at offset == length with an empty body completes it', async () => {
    const h = harness()
    const { id, ref } = await fullButIncomplete(h, 300)
    const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(300), body: new Uint8Array(0) })
    expect(res.status).toBe(204)
    expect(res.headers['Upload-Offset']).toBe('300')
    expect((await h.store.info(ref)).complete).toBe(true)
    expect(h.completed).toHaveLength(1)
  })

  it('completeIfFull completes it under its lock, idempotently, and leaves other uploads alone', async () => {
    const h = harness()
    const { ref } = await fullButIncomplete(h, 300)
    const [a, b] = await Promise.all([completeIfFull(ref, h.deps), completeIfFull(ref, h.deps)])
    expect(a).toMatchObject({ complete: true, offset: 300 })
    expect(b).toMatchObject({ complete: true, offset: 300 })
    expect(h.completed).toHaveLength(1)
    expect(await completeIfFull(ref, h.deps)).toMatchObject({ complete: true })
    expect(h.completed).toHaveLength(1)
    // Not full: returned as it is, nothing locked or completed.
    const partId = await h.create(10)
    await h.send({ method: 'PATCH', id: partId, headers: patchHeaders(0), body: bytes(4, 1) })
    const [sid, key] = partId.split('++') as [string, string]
    const lock = vi.spyOn(h.deps.locker, 'lock')
    expect(await completeIfFull({ sid, key } as never, h.deps)).toMatchObject({ complete: false, offset: 4 })
    expect(lock).not.toHaveBeenCalled()
  })

  it('completeIfFull fails with UPLOAD_LOCKED (and completes nothing) while the lock is held', async () => {
    const h = harness()
    const { id, ref } = await fullButIncomplete(h, 300)
    const held = await h.deps.locker.lock(id)
    await expect(completeIfFull(ref, h.deps, { waitMs: 10 })).rejects.toMatchObject({
      code: 'UPLOAD_LOCKED',
      details: { retryAfter: 1 },
    })
    expect(h.completed).toHaveLength(0)
    await held.release()
  })
})

describe('creation-defer-length', () => {
  it('defers the length until a PATCH sets it', async () => {
    const h = harness({ limits: { maxSize: 100 } })
    const id = await h.create(null)
    let head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Defer-Length']).toBe('1')
    expect(head.headers['Upload-Length']).toBeUndefined()
    let res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(5) })
    expect(res.status).toBe(204)
    // Beyond the max size while deferred → 413
    res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(5, { 'Upload-Length': '101' }),
      body: bytes(1),
    })
    expect(res.status).toBe(413)
    res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(5, { 'Upload-Length': '8' }),
      body: bytes(3),
    })
    expect(res.status).toBe(204)
    expect(h.completed).toHaveLength(1)
    head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Length']).toBe('8')
  })

  it('refuses a deferred upload growing past Tus-Max-Size', async () => {
    const h = harness({ limits: { maxSize: 10 } })
    const id = await h.create(null)
    const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(11) })
    expect(res.status).toBe(413)
  })
})

describe('creation-with-upload', () => {
  it('stores the POST body as the first chunk', async () => {
    const h = harness()
    const data = bytes(30)
    const res = await h.send({
      method: 'POST',
      headers: {
        'Upload-Length': '30',
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Metadata': metadataHeader({ sid: 'b2', name: 'a' }),
      },
      body: data.subarray(0, 12),
    })
    expect(res.status).toBe(201)
    expect(res.headers['Upload-Offset']).toBe('12')
    const id = (res.headers.Location ?? '').slice(ENDPOINT.length)
    expect(await h.bytesOf(id)).toEqual(data.subarray(0, 12))
  })

  it('answers 201 with the durable offset when the first chunk is cut off', async () => {
    // The chunk path (a whole small file goes through createComplete: see "whole small files").
    const h = harness({ limits: { wholeFileMax: 0 } })
    const data = bytes(30)
    const res = await h.send({
      method: 'POST',
      headers: {
        'Upload-Length': '30',
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': '30',
      },
      body: failingBody(data, 10),
    })
    expect(res.status).toBe(201)
    expect(Number(res.headers['Upload-Offset'])).toBeLessThanOrEqual(10)
    expect(res.headers.Location).toBeDefined()
  })
})

describe('checksum', () => {
  it.each(['sha1', 'sha256'])('accepts a chunk whose %s matches', async (alg) => {
    const h = harness()
    const id = await h.create(10)
    const data = bytes(10)
    const digest = await sha(alg === 'sha1' ? 'SHA-1' : 'SHA-256', data)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Upload-Checksum': `${alg} ${digest}` }),
      body: data,
    })
    expect(res.status).toBe(204)
    expect(await h.bytesOf(id)).toEqual(data)
  })

  it('460 on mismatch and nothing is persisted', async () => {
    const h = harness()
    const id = await h.create(10)
    const digest = await sha('SHA-1', bytes(10, 42))
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Upload-Checksum': `sha1 ${digest}` }),
      body: bytes(10),
    })
    expect(res.status).toBe(460)
    expect((await h.bytesOf(id)).length).toBe(0)
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Offset']).toBe('0')
  })

  it('400 for an unsupported algorithm or malformed header', async () => {
    const h = harness()
    const id = await h.create(10)
    for (const value of ['crc99 AAAA', 'sha1', 'sha1 a b']) {
      const res = await h.send({
        method: 'PATCH',
        id,
        headers: patchHeaders(0, { 'Upload-Checksum': value }),
        body: bytes(10),
      })
      expect(res.status, value).toBe(400)
    }
  })

  it('refuses checksummed chunks above the buffer limit with 413', async () => {
    const h = harness({ limits: { maxChecksumChunk: 8 } })
    const id = await h.create(10)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0, { 'Upload-Checksum': `sha1 ${await sha('SHA-1', bytes(10))}` }),
      body: chunks(bytes(10), 3),
    })
    expect(res.status).toBe(413)
    expect((await h.bytesOf(id)).length).toBe(0)
  })
})

describe('checksum memory budget', () => {
  /** A body that sends `data` in two halves with a pause (until `gate`) between them. */
  async function* paused(data: Uint8Array, gate: Promise<void>, started?: () => void) {
    yield data.subarray(0, data.length >> 1)
    started?.()
    await gate
    yield data.subarray(data.length >> 1)
  }
  function gate() {
    let open: () => void = () => {}
    const promise = new Promise<void>((r) => {
      open = r
    })
    return { promise, open }
  }
  async function checksummed(data: Uint8Array, offset = 0, extra: Record<string, string> = {}) {
    return patchHeaders(offset, {
      'Upload-Checksum': `sha256 ${await sha('SHA-256', data)}`,
      'Content-Length': String(data.length),
      ...extra,
    })
  }

  it('many parallel checksummed PATCHes never buffer more than the budget, and all land', async () => {
    const budget = new MemoryChecksumBudget(25)
    const h = harness({ checksumBudget: budget, limits: { checksumWaitMs: 10_000 } })
    const ids = await Promise.all(Array.from({ length: 10 }, () => h.create(10)))
    const datas = ids.map((_, i) => bytes(10, i + 1))
    const headers = await Promise.all(datas.map((d) => checksummed(d)))
    const hold = gate()
    const pending = ids.map((id, i) =>
      h.send({
        method: 'PATCH',
        id,
        headers: headers[i],
        body: paused(datas[i] as Uint8Array, hold.promise),
      }),
    )
    // Two chunks fit; the other eight queue for room.
    while (budget.waiting < 8) await new Promise((r) => setImmediate(r))
    expect(budget.used).toBe(20)
    hold.open()
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual(ids.map(() => 204))
    expect(budget.peak).toBeLessThanOrEqual(25)
    expect(budget.used).toBe(0)
    for (const [i, id] of ids.entries()) expect(await h.bytesOf(id)).toEqual(datas[i])
  })

  it('a chunk trickling in slower than the minimum rate gives its reservation back (408), nothing kept', async () => {
    const budget = new MemoryChecksumBudget(100)
    const h = harness({
      checksumBudget: budget,
      limits: { checksumGraceMs: 50, checksumMinRate: 1_000_000 },
    })
    const id = await h.create(20)
    const data = bytes(20, 5)
    const never = gate()
    const started = gate()
    const stalled = h.send({
      method: 'PATCH',
      id,
      headers: await checksummed(data),
      body: paused(data, never.promise, started.open),
    })
    await started.promise
    expect(budget.used).toBe(20)
    const res = await stalled
    expect(res.status).toBe(408)
    expect(res.body).toMatch(/too slowly/)
    expect(budget.used).toBe(0)
    expect((await h.bytesOf(id)).length).toBe(0)
    // A chunk that arrives in time is unaffected.
    expect((await h.send({ method: 'PATCH', id, headers: await checksummed(data), body: data })).status).toBe(
      204,
    )
    expect(await h.bytesOf(id)).toEqual(data)
  })

  it('the whole chunk is reserved before its first byte is read and while it is written', async () => {
    const budget = new MemoryChecksumBudget(100)
    const h = harness({ checksumBudget: budget })
    const id = await h.create(30)
    const data = bytes(30, 4)
    const append = h.store.append.bind(h.store)
    const usedAtAppend: number[] = []
    h.store.append = (...args: Parameters<typeof append>) => {
      usedAtAppend.push(budget.used)
      return append(...args)
    }
    const usedAtFirstByte: number[] = []
    async function* body() {
      usedAtFirstByte.push(budget.used)
      yield* chunks(data, 7)
    }
    const res = await h.send({ method: 'PATCH', id, headers: await checksummed(data), body: body() })
    expect(res.status).toBe(204)
    expect(usedAtFirstByte).toEqual([30])
    expect(usedAtAppend).toEqual([30])
    expect(budget.used).toBe(0)
  })

  it('a chunk that finds no room in time gets 503 with Retry-After (no hang), and nothing of it is kept', async () => {
    const budget = new MemoryChecksumBudget(10)
    const h = harness({ checksumBudget: budget, limits: { checksumWaitMs: 30 } })
    const a = await h.create(10)
    const b = await h.create(10)
    const hold = gate()
    const started = gate()
    const first = bytes(10, 1)
    const holding = h.send({
      method: 'PATCH',
      id: a,
      headers: await checksummed(first),
      body: paused(first, hold.promise, started.open),
    })
    await started.promise
    expect(budget.used).toBe(10)
    const second = bytes(10, 2)
    const refused = await h.send({ method: 'PATCH', id: b, headers: await checksummed(second), body: second })
    expect(refused.status).toBe(503)
    expect(refused.headers['Retry-After']).toBe('1')
    expect(refused.body).toMatch(/busy/)
    expect((await h.bytesOf(b)).length).toBe(0)
    // Creation-with-upload: the upload exists, the client resumes it from offset 0.
    const created = await h.send({
      method: 'POST',
      headers: {
        'Upload-Length': '10',
        'Upload-Metadata': metadataHeader({ sid: 'bucket1', name: 'c.bin' }),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Checksum': `sha256 ${await sha('SHA-256', second)}`,
      },
      body: second,
    })
    expect(created.status).toBe(201)
    expect(created.headers['Upload-Offset']).toBe('0')
    hold.open()
    expect((await holding).status).toBe(204)
    expect(budget.used).toBe(0)
    // The retry goes through.
    const retried = await h.send({ method: 'PATCH', id: b, headers: await checksummed(second), body: second })
    expect(retried.status).toBe(204)
    expect(await h.bytesOf(b)).toEqual(second)
  })

  it('gives the reservation back on every path: mismatch, dropped body, store failure, refusal', async () => {
    const budget = new MemoryChecksumBudget(100)
    const h = harness({ checksumBudget: budget })
    const id = await h.create(10)
    const data = bytes(10)
    const wrong = await checksummed(bytes(10, 9))
    expect((await h.send({ method: 'PATCH', id, headers: wrong, body: data })).status).toBe(460)
    expect(budget.used).toBe(0)
    const dropped = await h.send({
      method: 'PATCH',
      id,
      headers: await checksummed(data),
      body: failingBody(data, 6),
    })
    expect(dropped.status).toBe(400)
    expect(budget.used).toBe(0)
    const longer = await h.send({
      method: 'PATCH',
      id,
      headers: await checksummed(data.subarray(0, 4)),
      body: chunks(data, 3),
    })
    expect(longer.status).toBe(400)
    expect(budget.used).toBe(0)
    const append = h.store.append.bind(h.store)
    h.store.append = async () => {
      throw new Error('disk on fire')
    }
    expect((await h.send({ method: 'PATCH', id, headers: await checksummed(data), body: data })).status).toBe(
      500,
    )
    h.store.append = append
    expect(budget.used).toBe(0)
    expect((await h.bytesOf(id)).length).toBe(0)
    expect((await h.send({ method: 'PATCH', id, headers: await checksummed(data), body: data })).status).toBe(
      204,
    )
    expect(budget.used).toBe(0)
    expect(budget.peak).toBe(10)
  })

  it('a chunk without Content-Length reserves the most it may be: the room left, or the chunk limit', async () => {
    const budget = new MemoryChecksumBudget(1000)
    const h = harness({ checksumBudget: budget, limits: { maxChecksumChunk: 40 } })
    const small = await h.create(12)
    const data = bytes(12)
    const headers = patchHeaders(0, { 'Upload-Checksum': `sha1 ${await sha('SHA-1', data)}` })
    expect((await h.send({ method: 'PATCH', id: small, headers, body: chunks(data, 5) })).status).toBe(204)
    expect(budget.peak).toBe(12)
    const deferred = await h.create(null)
    expect((await h.send({ method: 'PATCH', id: deferred, headers, body: chunks(data, 5) })).status).toBe(204)
    expect(budget.peak).toBe(40)
    expect(await h.bytesOf(deferred)).toEqual(data)
  })

  it('checksummed chunks are limited to the budget, refused (413) before anything is read', async () => {
    const budget = new MemoryChecksumBudget(8)
    const h = harness({ checksumBudget: budget })
    const id = await h.create(10)
    let read = false
    async function* body() {
      read = true
      yield bytes(10)
    }
    const res = await h.send({ method: 'PATCH', id, headers: await checksummed(bytes(10)), body: body() })
    expect(res.status).toBe(413)
    expect(res.body).toContain('8 bytes')
    expect(read).toBe(false)
    expect(budget.peak).toBe(0)
  })
})

describe('expiration', () => {
  it('an expired upload answers 410 to HEAD and PATCH', async () => {
    const h = harness()
    const id = await h.create(10)
    h.clock.advance(3600 * 1000)
    expect((await h.send({ method: 'HEAD', id })).status).toBe(410)
    expect((await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(1) })).status).toBe(410)
  })

  it('Upload-Expires is an HTTP date', async () => {
    const h = harness()
    const res = await h.send({ method: 'POST', headers: { 'Upload-Length': '5' } })
    const date = new Date(res.headers['Upload-Expires'] ?? '')
    expect(date.getTime()).toBe(h.clock.now() + 3600 * 1000)
  })
})

describe('termination', () => {
  it('DELETE removes the upload; afterwards it is 404', async () => {
    const h = harness()
    const terminated: string[] = []
    h.deps.hooks.onTerminate = (m) => {
      terminated.push(m.key)
    }
    const id = await h.create(10)
    await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(5) })
    const res = await h.send({ method: 'DELETE', id })
    expect(res.status).toBe(204)
    expect(terminated).toHaveLength(1)
    expect((await h.send({ method: 'HEAD', id })).status).toBe(404)
    expect((await h.send({ method: 'DELETE', id })).status).toBe(404)
    expect(await listAll(h.store)).toHaveLength(0)
  })
})

describe('concatenation', () => {
  async function partial(h: ReturnType<typeof harness>, data: Uint8Array): Promise<string> {
    const id = await h.create(data.length, { sid: 'b9', name: 'p' }, { 'Upload-Concat': 'partial' })
    const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: data })
    expect(res.status).toBe(204)
    return id
  }

  it('builds a final upload from finished partials', async () => {
    const h = harness()
    const a = await partial(h, bytes(13, 1))
    const b = await partial(h, bytes(7, 2))
    const head = await h.send({ method: 'HEAD', id: a })
    expect(head.headers['Upload-Concat']).toBe('partial')
    const res = await h.send({
      method: 'POST',
      headers: {
        'Upload-Concat': `final;${ENDPOINT}${a} http://host${ENDPOINT}${b}`,
        'Upload-Metadata': metadataHeader({ sid: 'b9', name: 'whole.bin' }),
      },
    })
    expect(res.status).toBe(201)
    const id = (res.headers.Location ?? '').slice(ENDPOINT.length)
    const fh = await h.send({ method: 'HEAD', id })
    expect(fh.headers['Upload-Length']).toBe('20')
    expect(fh.headers['Upload-Offset']).toBe('20')
    expect(fh.headers['Upload-Concat']).toBe(`final;${a} ${b}`)
    const expected = new Uint8Array(20)
    expected.set(bytes(13, 1))
    expected.set(bytes(7, 2), 13)
    expect(await h.bytesOf(id)).toEqual(expected)
    expect(h.completed.map((m) => m.name)).toContain('whole.bin')
    // A final upload cannot be patched.
    expect((await h.send({ method: 'PATCH', id, headers: patchHeaders(20), body: bytes(1) })).status).toBe(
      403,
    )
  })

  it('refuses unfinished or non-partial parts and Upload-Length on a final upload', async () => {
    const h = harness()
    const unfinished = await h.create(10, { sid: 'b9', name: 'p' }, { 'Upload-Concat': 'partial' })
    const plain = await h.create(0)
    for (const parts of [unfinished, plain]) {
      const res = await h.send({ method: 'POST', headers: { 'Upload-Concat': `final;${ENDPOINT}${parts}` } })
      expect(res.status).toBe(400)
    }
    const done = await partial(h, bytes(3))
    const res = await h.send({
      method: 'POST',
      headers: { 'Upload-Concat': `final;${ENDPOINT}${done}`, 'Upload-Length': '3' },
    })
    expect(res.status).toBe(400)
    expect((await h.send({ method: 'POST', headers: { 'Upload-Concat': 'final;' } })).status).toBe(400)
    expect((await h.send({ method: 'POST', headers: { 'Upload-Concat': 'whatever' } })).status).toBe(400)
  })

  const finalOf = (h: ReturnType<typeof harness>, parts: string[], sid = 'b9') =>
    h.send({
      method: 'POST',
      headers: {
        'Upload-Concat': `final;${parts.map((p) => `${ENDPOINT}${p}`).join(' ')}`,
        'Upload-Metadata': metadataHeader({ sid, name: 'whole.bin' }),
      },
    })
  const finals = async (h: ReturnType<typeof harness>) =>
    (await listAll(h.store)).filter((m) => m.concat?.kind === 'final')

  it('refuses a part listed twice (it would multiply its bytes), before anything is created', async () => {
    const h = harness()
    const a = await partial(h, bytes(1024, 1))
    const b = await partial(h, bytes(10, 2))
    const res = await finalOf(h, [a, b, ...Array.from({ length: 50 }, () => a)])
    expect(res.status).toBe(400)
    expect(res.body).toBe(`Upload-Concat: final lists upload ${a} more than once`)
    // The same upload named by two URL spellings is still one upload.
    expect((await finalOf(h, [a, `${a}?x=1`])).status).toBe(400)
    expect(await finals(h)).toEqual([])
    // The parts are untouched: a proper final still works.
    expect((await finalOf(h, [a, b])).status).toBe(201)
  })

  it('caps the number of parts (limits.maxConcatParts, default 100)', async () => {
    const h = harness({ limits: { maxConcatParts: 3 } })
    const parts = [
      await partial(h, bytes(3, 1)),
      await partial(h, bytes(3, 2)),
      await partial(h, bytes(3, 3)),
    ]
    const four = [...parts, await partial(h, bytes(3, 4))]
    const res = await finalOf(h, four)
    expect(res.status).toBe(400)
    expect(res.body).toBe('Upload-Concat: final lists 4 uploads; at most 3 can be concatenated')
    expect((await finalOf(h, parts)).status).toBe(201)
    // Default: 101 distinct (even unknown) uploads are refused before any is looked up.
    const d = harness()
    const many = Array.from({ length: 101 }, (_, i) => `b9++k${i}`)
    const big = await finalOf(d, many)
    expect([big.status, big.body]).toEqual([400, expect.stringMatching(/at most 100 can be concatenated/)])
  })

  it('a partial feeds one final upload only: it is consumed, a later final gets a clear 400', async () => {
    const h = harness()
    const a = await partial(h, bytes(13, 1))
    const b = await partial(h, bytes(7, 2))
    expect((await finalOf(h, [a, b])).status).toBe(201)
    // The parts are gone once the final is complete.
    expect((await h.send({ method: 'HEAD', id: a })).status).toBe(404)
    const again = await finalOf(h, [b])
    expect(again.status).toBe(400)
    expect(again.body).toMatch(
      new RegExp(`Partial upload ${b.replace(/\+/g, '\\+')} does not exist: .*already concatenated`),
    )
    expect(await finals(h)).toHaveLength(1)
  })

  it('two finals racing for one partial: exactly one gets its bytes', async () => {
    for (const lockWaitMs of [0, 2000]) {
      const h = harness({ limits: { lockWaitMs } })
      const a = await partial(h, bytes(1000, 1))
      const b = await partial(h, bytes(500, 2))
      const c = await partial(h, bytes(300, 3))
      const results = await Promise.all([finalOf(h, [a, b]), finalOf(h, [c, b]), finalOf(h, [b])])
      const statuses = results.map((r) => r.status)
      expect(
        statuses.filter((s) => s === 201),
        String(statuses),
      ).toHaveLength(1)
      // The others waited and found the part used (400), or gave up waiting for it (423).
      for (const r of results.filter((x) => x.status !== 201)) {
        expect([400, 423]).toContain(r.status)
        expect(r.body).toMatch(/Partial upload .*(already concatenated|being written or concatenated)/)
      }
      const made = await finals(h)
      expect(made).toHaveLength(1)
      expect(made[0]).toMatchObject({ complete: true })
      // No byte of b was copied twice.
      const total = made.reduce((n, m) => n + m.offset, 0)
      expect([1500, 800, 500]).toContain(total)
    }
  })

  it('a final upload counts against maxSize (Tus-Max-Size); refused, its parts stay usable', async () => {
    const h = harness({ limits: { maxSize: 100 } })
    const a = await partial(h, bytes(60, 1))
    const b = await partial(h, bytes(60, 2))
    const res = await finalOf(h, [a, b])
    expect(res.status).toBe(413)
    expect(await finals(h)).toEqual([])
    expect((await finalOf(h, [a])).status).toBe(201)
    expect((await finalOf(h, [b])).status).toBe(201)
  })

  it('a part URL that is not valid percent-encoding is a 400 with a clear message, not a server error', async () => {
    const errors: unknown[] = []
    const h = harness({ hooks: { onError: (err) => errors.push(err) } })
    for (const url of [`${ENDPOINT}%E0%A4`, `http://host${ENDPOINT}bucket1%2B%2`]) {
      const res = await h.send({ method: 'POST', headers: { 'Upload-Concat': `final;${url}` } })
      expect(res.status, url).toBe(400)
      expect(res.body, url).toMatch(/Upload-Concat/)
    }
    expect(errors).toEqual([])
  })
})

describe('hooks', () => {
  it('authorize guards every request but OPTIONS', async () => {
    const h = harness()
    const id = await h.create(5)
    h.deps.hooks.authorize = () => {
      throw new PsiError('FORBIDDEN', 'Wrong upload password')
    }
    expect((await h.send({ method: 'OPTIONS' })).status).toBe(204)
    expect((await h.send({ method: 'POST', headers: { 'Upload-Length': '5' } })).status).toBe(403)
    expect((await h.send({ method: 'HEAD', id })).status).toBe(403)
    expect((await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(5) })).status).toBe(403)
    expect((await h.send({ method: 'DELETE', id })).status).toBe(403)
    expect((await h.bytesOf(id)).length).toBe(0)
  })

  it('a failing onComplete does not fail the upload, and is reported', async () => {
    const errors: unknown[] = []
    const h = harness({
      hooks: {
        onComplete: () => {
          throw new Error('webhook down')
        },
        onError: (e) => {
          errors.push(e)
        },
      },
    })
    const id = await h.create(2)
    const res = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(2) })
    expect(res.status).toBe(204)
    expect(errors).toHaveLength(1)
  })

  it('onCreated sees each created record once (before its first bytes, a whole file once stored); a failing one is reported', async () => {
    const created: Array<{ key: string; offset: number }> = []
    const errors: unknown[] = []
    const h = harness({
      hooks: {
        onCreated: (meta) => {
          created.push({ key: meta.key, offset: meta.offset })
          if (created.length === 2) throw new Error('bookkeeping failed')
        },
        onError: (e) => {
          errors.push(e)
        },
      },
    })
    const id = await h.create(3)
    expect(created).toEqual([{ key: id.split('++')[1], offset: 0 }])
    const withUpload = await h.send({
      method: 'POST',
      headers: { 'Upload-Length': '3', 'Content-Type': 'application/offset+octet-stream' },
      body: bytes(3),
    })
    expect(withUpload.status).toBe(201)
    expect(created).toHaveLength(2)
    // A whole small file (see "whole small files"): the store has all of it when onCreated runs.
    expect(created[1]?.offset).toBe(3)
    expect(errors).toHaveLength(1)
    // Refused before the store: no record, no call.
    expect((await h.send({ method: 'POST', headers: {} })).status).toBe(400)
    expect(created).toHaveLength(2)
  })

  it('unexpected store failures become a 500 without internals', async () => {
    const h = harness()
    const id = await h.create(2)
    h.store.info = async () => {
      throw new Error('EACCES: permission denied, open /secret/path')
    }
    const res = await h.send({ method: 'HEAD', id })
    expect(res.status).toBe(500)
    expect(res.body).not.toContain('/secret')
  })

  it('counts accepted bytes', async () => {
    let n = 0
    const h = harness({ hooks: { onBytes: (c) => (n += c) } })
    const id = await h.create(9)
    await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(9) })
    expect(n).toBe(9)
  })
})

describe('HEAD of a finished protected file', () => {
  it('shows only offset and length, no metadata (its name, comment and extra fields need the password)', async () => {
    const h = harness()
    const id = await h.create(4, { sid: 'p1', name: 'secret-plans.pdf', comment: 'q3', password: 'pw' })
    const during = await h.send({ method: 'HEAD', id })
    expect(parseUploadMetadata(during.headers['Upload-Metadata']).name).toBe('secret-plans.pdf')
    await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(4) })
    const head = await h.send({ method: 'HEAD', id })
    expect(head.status).toBe(200)
    expect(head.headers['Upload-Offset']).toBe('4')
    expect(head.headers['Upload-Length']).toBe('4')
    expect(head.headers['Upload-Metadata']).toBeUndefined()
    // Unprotected files keep showing theirs.
    const open = await h.create(1, { sid: 'p2', name: 'public.txt' })
    await h.send({ method: 'PATCH', id: open, headers: patchHeaders(0), body: bytes(1) })
    const openHead = await h.send({ method: 'HEAD', id: open })
    expect(parseUploadMetadata(openHead.headers['Upload-Metadata']).name).toBe('public.txt')
  })
})

describe('deferred length and maxDeferredLength', () => {
  it('cuts a deferred upload off at the room the hook gives and refuses a larger declared length', async () => {
    const asked: number[] = []
    const h = harness({
      hooks: {
        maxDeferredLength: (meta) => {
          asked.push(meta.offset)
          return 10
        },
      },
    })
    const id = await h.create(null)
    // Content-Length beyond the room: refused before the body is read.
    const tooLong = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(11) })
    expect(tooLong.status).toBe(413)
    // Within the room: accepted.
    const first = await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(6) })
    expect(first.status).toBe(204)
    expect(first.headers['Upload-Offset']).toBe('6')
    const declared = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(6, { 'Upload-Length': '11' }),
      body: bytes(0),
    })
    expect(declared.status).toBe(413)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Defer-Length']).toBe('1')
    const ok = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(6, { 'Upload-Length': '10' }),
      body: bytes(4),
    })
    expect(ok.status).toBe(204)
    expect(h.completed).toHaveLength(1)
    expect(asked.length).toBeGreaterThanOrEqual(3)
  })

  it('stops a streamed deferred body at the room', async () => {
    const h = harness({ hooks: { maxDeferredLength: () => 5 } })
    const id = await h.create(null)
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: patchHeaders(0),
      body: chunks(bytes(50), 3),
    })
    expect(res.status).toBe(413)
    expect((await h.bytesOf(id)).byteLength).toBeLessThanOrEqual(5)
  })

  it('is not asked for uploads with a known length', async () => {
    const hook = vi.fn(() => 1)
    const h = harness({ hooks: { maxDeferredLength: hook } })
    const id = await h.create(8)
    expect((await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(8) })).status).toBe(204)
    expect(hook).not.toHaveBeenCalled()
  })
})

describe('whole small files (Store.createComplete)', () => {
  const post = (
    data: Uint8Array | AsyncIterable<Uint8Array>,
    length: number,
    extra: Record<string, string> = {},
  ) => ({
    method: 'POST',
    headers: {
      'Upload-Length': String(length),
      'Content-Type': 'application/offset+octet-stream',
      'Content-Length': String(length),
      ...extra,
    },
    body: data,
  })

  it('stores a whole file in one call: complete, readable, hooks once, no lock taken', async () => {
    const created: FileMeta[] = []
    const h = harness({ hooks: { onCreated: (m) => void created.push(m) } })
    let locks = 0
    const lock = h.deps.locker.lock.bind(h.deps.locker)
    h.deps.locker.lock = (id, o) => {
      locks++
      return lock(id, o)
    }
    let calls = 0
    const createComplete = h.store.createComplete.bind(h.store)
    h.store.createComplete = (...args) => {
      calls++
      return createComplete(...args)
    }
    const data = bytes(5000)
    const res = await h.send(post(data, data.length))
    expect(res.status).toBe(201)
    expect(res.headers['Upload-Offset']).toBe('5000')
    const id = (res.headers.Location ?? '').slice(ENDPOINT.length)
    expect(calls).toBe(1)
    expect(locks).toBe(0)
    expect(created).toHaveLength(1)
    expect(h.completed.map((m) => m.key)).toEqual([created[0]?.key])
    expect(await h.bytesOf(id)).toEqual(data)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Offset']).toBe('5000')
  })

  it('reads the bytes before onCreate and runs onCreated once the store has the file', async () => {
    // A shared store's bucket lock is taken in onCreate and freed in onCreated: it must cover
    // the store's write (a recount then sees the file) and never wait for the client's bytes.
    const events: string[] = []
    let bodyDone = false
    const data = bytes(4000)
    async function* body() {
      events.push('body read')
      yield data.subarray(0, 2000)
      yield data.subarray(2000)
      bodyDone = true
    }
    const h = harness({
      hooks: {
        onCreate: ({ metadata }) => {
          events.push(`onCreate (body ${bodyDone ? 'read' : 'pending'})`)
          return {
            sid: (metadata.sid ?? 'b1') as never,
            name: 'w.bin',
            relativePath: '',
            comment: '',
            type: '',
            retention: 3600,
            createdAt: 0,
            expiresAt: null,
            bucketLocked: false,
            extra: {},
          }
        },
        onCreated: (m) => void events.push(`onCreated (offset ${m.offset}, complete ${m.complete})`),
      },
    })
    const createComplete = h.store.createComplete.bind(h.store)
    h.store.createComplete = async (...args) => {
      events.push('store write begins')
      const meta = await createComplete(...args)
      events.push('store write done')
      return meta
    }
    const res = await h.send(post(body(), data.length))
    expect(res.status).toBe(201)
    expect(events).toEqual([
      'body read',
      'onCreate (body read)',
      'store write begins',
      'store write done',
      'onCreated (offset 4000, complete true)',
    ])
    expect(await h.bytesOf((res.headers.Location ?? '').slice(ENDPOINT.length))).toEqual(data)
  })

  it('a refused whole file leaves nothing, and a failed store write calls no onCreated', async () => {
    const created: FileMeta[] = []
    const refusing = harness({
      hooks: {
        onCreate: () => {
          throw new PsiError('TOO_LARGE', 'Bucket would be larger than the maximum bucket size of 10 bytes')
        },
        onCreated: (m) => void created.push(m),
      },
    })
    const refused = await refusing.send(post(bytes(20), 20))
    expect(refused.status).toBe(413)
    const left = []
    for await (const m of refusing.store.list()) left.push(m)
    expect(left).toEqual([])
    const h = harness({ hooks: { onCreated: (m) => void created.push(m) } })
    h.store.createComplete = async () => {
      throw new PsiError('ABORTED', 'The upload was interrupted before the request body ended')
    }
    const failed = await h.send(post(bytes(20), 20))
    expect(failed.status).toBe(400)
    expect(failed.headers.Location).toBeUndefined()
    expect(created).toEqual([])
    expect(h.completed).toEqual([])
  })

  it('leaves no file when the body is cut, and answers the error without a Location', async () => {
    const h = harness()
    const data = bytes(3000)
    const res = await h.send(post(failingBody(data, 1000), data.length))
    expect(res.status).toBe(400)
    expect(res.headers.Location).toBeUndefined()
    const left = []
    for await (const m of h.store.list()) left.push(m)
    expect(left).toEqual([])
    expect(h.completed).toEqual([])
  })

  it('goes the chunk path for a checksummed, partial, larger-than-the-bound or lengthless creation', async () => {
    const h = harness({ limits: { wholeFileMax: 100 } })
    let calls = 0
    const createComplete = h.store.createComplete.bind(h.store)
    h.store.createComplete = (...args) => {
      calls++
      return createComplete(...args)
    }
    const data = bytes(100)
    const sha1 = await sha('SHA-1', data)
    expect((await h.send(post(data, 100, { 'Upload-Checksum': `sha1 ${sha1}` }))).status).toBe(201)
    expect((await h.send(post(bytes(101), 101))).status).toBe(201)
    const partial = await h.send({
      ...post(data.subarray(0, 50), 100),
      headers: {
        'Upload-Length': '100',
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': '50',
      },
    })
    expect(partial.headers['Upload-Offset']).toBe('50')
    expect(calls).toBe(0)
    expect((await h.send(post(data, 100))).status).toBe(201)
    expect(calls).toBe(1)
  })
})

describe('uploads of other ways in', () => {
  it('refuses HEAD, PATCH and DELETE of an upload another protocol marked (e.g. direct-to-S3), and leaves it unchanged', async () => {
    const h = harness()
    const id = await h.create(10)
    const ref = parseFileRef(id)
    await h.store.update(ref, { extra: { protocol: 'direct' } })
    for (const req of [
      { method: 'HEAD', id },
      {
        method: 'PATCH',
        id,
        headers: { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
        body: bytes(10),
      },
      { method: 'DELETE', id },
    ]) {
      const res = await h.send(req)
      expect(res.status, req.method).toBe(400)
      expect(String(res.body)).toMatch(/not created with TUS \(direct\)/)
    }
    expect(await h.store.info(ref)).toMatchObject({ offset: 0, complete: false })
  })
})
