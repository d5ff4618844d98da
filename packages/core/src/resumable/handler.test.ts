/**
 * The resumable-upload machine, following draft-ietf-httpbis-resumable-upload section by
 * section (numbers of the text in docs/resumable-upload.md): its examples as requests, and the
 * server requirements of each section.
 */
import { describe, expect, it } from 'vitest'
import { PsiError } from '../errors.js'
import { MemoryLocker } from '../locker.js'
import { listAll } from '../store.js'
import { handleTus } from '../tus/handler.js'
import type { TusDeps } from '../tus/types.js'
import { PROBLEM_TYPES } from './fields.js'
import { handleResumable, RESUMABLE_PROTOCOL, UPLOAD_PROTOCOL_KEY } from './handler.js'
import {
  appendHeaders,
  b64,
  bytes,
  chunks,
  ENDPOINT,
  failingBody,
  harness,
  idOf,
  metadata,
} from './test-support.test-support.js'
import type { InformationalResponse } from './types.js'

const creation = (complete: boolean, extra: Record<string, string> = {}) => ({
  'Upload-Complete': complete ? '?1' : '?0',
  'Upload-Metadata': metadata(),
  ...extra,
})

function problem(res: { body: string; headers: Record<string, string> }) {
  expect(res.headers['Content-Type']).toBe('application/problem+json')
  return JSON.parse(res.body) as Record<string, unknown>
}

/** A body that yields `first`, then waits for `release()` before yielding `rest`. */
function gatedBody(first: Uint8Array, rest: Uint8Array) {
  let release!: () => void
  const gate = new Promise<void>((r) => {
    release = r
  })
  async function* body() {
    yield first
    await gate
    yield rest
  }
  return { body: body(), release }
}

describe('§3.1 Example 1: complete upload of representation data with known size', () => {
  it('creation is interrupted after the 104, the offset is retrieved, the rest appended', async () => {
    const h = harness()
    const file = bytes(1000)
    const live: InformationalResponse[] = []
    // 1) POST with everything, cut after 400 bytes.
    const res = await h.send({
      method: 'POST',
      headers: creation(true, { 'Content-Length': '1000' }),
      body: failingBody(file, 400),
      live,
    })
    expect(live).toHaveLength(1)
    expect(live[0]?.status).toBe(104)
    const id = (live[0]?.headers.Location ?? '').slice(ENDPOINT.length)
    expect(res.headers.Location).toBe(live[0]?.headers.Location)
    // 2) HEAD: the offset the server processed.
    const head = await h.send({ method: 'HEAD', id })
    expect(head.status).toBe(204)
    expect(head.headers['Upload-Offset']).toBe('400')
    expect(head.headers['Upload-Complete']).toBe('?0')
    expect(head.headers['Upload-Length']).toBe('1000')
    // 3) PATCH the rest with Upload-Complete: ?1.
    const done = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(400, true),
      body: file.subarray(400),
    })
    expect(done.status).toBe(200)
    expect(done.headers['Upload-Complete']).toBe('?1')
    expect(await h.bytesOf(id)).toEqual(file)
    expect(h.completed).toHaveLength(1)
  })

  it('4) cancellation deletes the upload resource', async () => {
    const h = harness()
    const id = await h.create()
    expect((await h.send({ method: 'DELETE', id })).status).toBe(204)
    expect((await h.send({ method: 'HEAD', id })).status).toBe(404)
    expect(await listAll(h.store)).toEqual([])
  })
})

describe('§3.2 Example 2: upload as a series of parts', () => {
  it('creates with a first part, appends parts, resumes after an interruption, completes', async () => {
    const h = harness()
    const file = bytes(900, 3)
    const created = await h.send({ method: 'POST', headers: creation(false), body: file.subarray(0, 300) })
    expect(created.status).toBe(201)
    expect(created.headers['Upload-Offset']).toBe('300')
    const id = idOf(created)
    const second = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(300, false),
      body: file.subarray(300, 500),
    })
    expect(second.status).toBe(204)
    expect(second.headers['Upload-Complete']).toBe('?0')
    expect(second.headers['Upload-Offset']).toBe('500')
    // An append cut short keeps what arrived.
    const cut = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(500, false),
      body: failingBody(file.subarray(500, 700), 120),
    })
    expect(cut.status).toBeGreaterThanOrEqual(400)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Offset']).toBe('620')
    expect(head.headers['Upload-Length']).toBeUndefined()
    const last = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(620, true),
      body: file.subarray(620),
    })
    expect(last.status).toBe(200)
    expect(last.headers['Upload-Length']).toBe('900')
    expect(await h.bytesOf(id)).toEqual(file)
  })
})

describe('§4.1.1 Offset', () => {
  it.each(['-1', '1.5', 'abc', ''])(
    'an invalid Upload-Offset %j is ignored, so the append lacks one (400)',
    async (raw) => {
      const h = harness()
      const id = await h.create()
      const res = await h.send({
        method: 'PATCH',
        id,
        headers: appendHeaders(0, false, { 'Upload-Offset': raw }),
        body: bytes(3),
      })
      expect(res.status).toBe(400)
      expect(await h.bytesOf(id)).toEqual(new Uint8Array())
    },
  )

  it('an Upload-Offset with parameters is an Integer', async () => {
    const h = harness()
    const id = await h.create()
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false, { 'Upload-Offset': '0;x=1' }),
      body: bytes(3),
    })
    expect(res.status).toBe(204)
    expect(res.headers['Upload-Offset']).toBe('3')
  })
})

describe('§4.1.2 Completeness', () => {
  it('is explicit: an upload whose offset reached its length stays incomplete until ?1', async () => {
    const h = harness()
    const id = await h.create({ 'Upload-Length': '5' })
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(5) })
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Offset']).toBe('5')
    expect(head.headers['Upload-Complete']).toBe('?0')
    expect(h.completed).toHaveLength(0)
    // An empty append with ?1 completes it.
    const done = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(5, true),
      body: new Uint8Array(),
    })
    expect(done.status).toBe(200)
    expect(h.completed).toHaveLength(1)
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Complete']).toBe('?1')
  })

  it.each(['true', '1', '?2'])(
    'an invalid Upload-Complete %j is ignored: creation and append need one (400)',
    async (raw) => {
      const h = harness()
      const res = await h.send({
        method: 'POST',
        headers: creation(true, { 'Upload-Complete': raw }),
        body: bytes(3),
      })
      expect(res.status).toBe(400)
      expect(await listAll(h.store)).toEqual([])
      const id = await h.create()
      const patch = await h.send({
        method: 'PATCH',
        id,
        headers: appendHeaders(0, false, { 'Upload-Complete': raw }),
        body: bytes(3),
      })
      expect(patch.status).toBe(400)
    },
  )
})

describe('§4.1.3 Length', () => {
  it('Upload-Length and Content-Length with ?1 must match at creation (nothing is created)', async () => {
    const h = harness()
    const res = await h.send({
      method: 'POST',
      headers: creation(true, { 'Upload-Length': '11' }),
      body: bytes(10),
    })
    expect(res.status).toBe(400)
    expect(problem(res).type).toBe(PROBLEM_TYPES.inconsistentLength)
    expect(await listAll(h.store)).toEqual([])
  })

  it('a later request may not indicate another length', async () => {
    const h = harness()
    const id = await h.create({ 'Upload-Length': '10' })
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false, { 'Upload-Length': '12' }),
      body: bytes(3),
    })
    expect(res.status).toBe(400)
    expect(problem(res).type).toBe(PROBLEM_TYPES.inconsistentLength)
    const done = await h.send({ method: 'PATCH', id, headers: appendHeaders(0, true), body: bytes(9) })
    expect(done.status).toBe(400)
    expect(problem(done).type).toBe(PROBLEM_TYPES.inconsistentLength)
    expect(await h.bytesOf(id)).toEqual(new Uint8Array())
  })

  it('is recorded from the first request that indicates it, and HEAD reports it', async () => {
    const h = harness()
    const id = await h.create()
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Length']).toBeUndefined()
    await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false, { 'Upload-Length': '8' }),
      body: bytes(2),
    })
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Length']).toBe('8')
  })

  it('content beyond the length (no Content-Length) invalidates the upload', async () => {
    const h = harness()
    const id = await h.create({ 'Upload-Length': '10' })
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false),
      body: chunks(bytes(15), 4),
    })
    expect(res.status).toBe(400)
    expect(problem(res).type).toBe(PROBLEM_TYPES.inconsistentLength)
    expect((await h.send({ method: 'HEAD', id })).status).toBe(404)
    expect(h.terminated).toHaveLength(1)
  })

  it('a Content-Length beyond the length is refused before anything is written', async () => {
    const h = harness()
    const id = await h.create({ 'Upload-Length': '10' })
    const res = await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(11) })
    expect(res.status).toBe(400)
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Offset']).toBe('0')
  })

  it('?1 with fewer bytes than the length (chunked) keeps them and leaves the upload open', async () => {
    const h = harness()
    const id = await h.create({ 'Upload-Length': '10' })
    const res = await h.send({ method: 'PATCH', id, headers: appendHeaders(0, true), body: chunks(bytes(6)) })
    expect(res.status).toBe(400)
    expect(problem(res).type).toBe(PROBLEM_TYPES.inconsistentLength)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Offset']).toBe('6')
    expect(head.headers['Upload-Complete']).toBe('?0')
  })
})

describe('§4.1.4 Limits', () => {
  it('Upload-Limit is announced by OPTIONS with Accept-Patch, and by creation and HEAD', async () => {
    const h = harness({ limits: { maxSize: 1000, maxAppendSize: 100 } })
    const opt = await h.send({ method: 'OPTIONS' })
    expect(opt.status).toBe(204)
    expect(opt.headers['Accept-Patch']).toContain('application/partial-upload')
    expect(opt.headers['Upload-Limit']).toBe('max-size=1000, max-append-size=100')
    const live: InformationalResponse[] = []
    const res = await h.send({ method: 'POST', headers: creation(false), live })
    expect(res.headers['Upload-Limit']).toBe('max-size=1000, max-append-size=100, max-age=3600')
    expect(live[0]?.headers['Upload-Limit']).toBe(res.headers['Upload-Limit'])
    h.clock.advance(600_500)
    const head = await h.send({ method: 'HEAD', id: idOf(res) })
    expect(head.headers['Upload-Limit']).toBe('max-size=1000, max-append-size=100, max-age=2999')
  })

  it('OPTIONS without limits has no Upload-Limit', async () => {
    const res = await harness().send({ method: 'OPTIONS', id: 'b++k' })
    expect(res.headers['Accept-Patch']).toBe('application/partial-upload')
    expect(res.headers['Upload-Limit']).toBeUndefined()
  })

  it('max-size: a larger creation is refused with 413 and Upload-Limit', async () => {
    const h = harness({ limits: { maxSize: 100 } })
    const res = await h.send({ method: 'POST', headers: creation(false, { 'Upload-Length': '101' }) })
    expect(res.status).toBe(413)
    expect(res.headers['Upload-Limit']).toBe('max-size=100')
    expect(await listAll(h.store)).toEqual([])
  })

  it('max-size: content of an upload of unknown length stops at the limit (413)', async () => {
    const h = harness({ limits: { maxSize: 100 } })
    const id = await h.create()
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false),
      body: chunks(bytes(150), 30),
    })
    expect(res.status).toBe(413)
    expect(res.headers['Upload-Limit']).toBe('max-size=100')
    expect((await h.bytesOf(id)).length).toBe(100)
  })

  it('max-append-size: a larger request is refused; without Content-Length it stops there', async () => {
    const h = harness({ limits: { maxAppendSize: 10 } })
    const big = await h.send({ method: 'POST', headers: creation(false), body: bytes(11) })
    expect(big.status).toBe(413)
    expect(big.headers['Upload-Limit']).toBe('max-append-size=10')
    expect(await listAll(h.store)).toEqual([])
    const id = await h.create()
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false),
      body: chunks(bytes(25), 4),
    })
    expect(res.status).toBe(413)
    expect((await h.send({ method: 'HEAD', id })).headers['Upload-Offset']).toBe('10')
    const ok = await h.send({ method: 'PATCH', id, headers: appendHeaders(10, false), body: bytes(10) })
    expect(ok.status).toBe(204)
  })

  it('maxDeferredLength (a bucket’s room) narrows max-size for an upload of unknown length', async () => {
    const h = harness({ hooks: { maxDeferredLength: () => 20 } })
    const id = await h.create()
    const res = await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(21) })
    expect(res.status).toBe(413)
  })
})

describe('§4.2.2 Upload creation: server behaviour', () => {
  it('sends the 104 with Location, interop version and limits before reading any content', async () => {
    const h = harness()
    const live: InformationalResponse[] = []
    let seenAtFirstRead = -1
    async function* body() {
      seenAtFirstRead = live.length
      yield bytes(4)
    }
    const res = await h.send({ method: 'POST', headers: creation(false), body: body(), live, interop: 8 })
    expect(seenAtFirstRead).toBe(1)
    expect(live[0]).toEqual({
      status: 104,
      headers: {
        Location: res.headers.Location,
        'Upload-Draft-Interop-Version': '8',
        'Upload-Limit': 'max-age=3600',
      },
    })
    // Also reported in the result, for adapters and logs.
    expect(res.informational).toEqual(live)
  })

  it('sends no 104 for a missing or unknown interop version, but still creates the upload', async () => {
    for (const interop of [null, 3]) {
      const h = harness()
      const live: InformationalResponse[] = []
      const res = await h.send({ method: 'POST', headers: creation(false), live, interop })
      expect(res.status).toBe(201)
      expect(live).toEqual([])
      expect(res.informational).toBeUndefined()
    }
  })

  it('a failing informational callback does not fail the upload', async () => {
    const h = harness()
    const out = await handleResumable(
      {
        method: 'POST',
        headers: new Headers({ ...creation(false), 'Upload-Draft-Interop-Version': '9' }),
        endpoint: ENDPOINT,
        informational: () => {
          throw new Error('socket closed')
        },
      },
      h.deps,
    )
    expect(out.status).toBe(201)
    expect(out.informational).toHaveLength(1)
    expect(h.errors).toHaveLength(1)
  })

  it('PUT creates too; other methods on the creation endpoint are 405 with Allow', async () => {
    const h = harness()
    expect((await h.send({ method: 'PUT', headers: creation(true), body: bytes(2) })).status).toBe(200)
    const res = await h.send({ method: 'GET' })
    expect(res.status).toBe(405)
    expect(res.headers.Allow).toBe('OPTIONS, POST, PUT')
  })

  it('takes the name from Content-Disposition and the type from Content-Type', async () => {
    const h = harness()
    const res = await h.send({
      method: 'POST',
      headers: creation(true, {
        'Content-Disposition': `inline; filename="file name.jpg"; filename*=UTF-8''file%20name.jpg`,
        'Content-Type': 'image/jpeg',
      }),
      body: bytes(5),
    })
    const [meta] = await listAll(h.store)
    expect(res.status).toBe(200)
    expect(meta?.name).toBe('file name.jpg')
    expect(meta?.type).toBe('image/jpeg')
  })

  it('records the protocol in extra, whatever the client sends as metadata', async () => {
    const h = harness()
    await h.send({
      method: 'POST',
      headers: creation(false, {
        'Upload-Metadata': `sid ${b64('b1')},note ${b64('n')},protocol ${b64('tus')}`,
      }),
    })
    const [meta] = await listAll(h.store)
    expect(meta?.extra).toEqual({ note: 'n', [UPLOAD_PROTOCOL_KEY]: RESUMABLE_PROTOCOL })
  })

  it('a refusal of the onCreate hook stores nothing and says why', async () => {
    const h = harness({
      hooks: {
        onCreate: () => {
          throw new PsiError('FORBIDDEN', 'Wrong bucket password')
        },
      },
    })
    const res = await h.send({ method: 'POST', headers: creation(true), body: bytes(3) })
    expect(res.status).toBe(403)
    expect(problem(res).detail).toBe('Wrong bucket password')
    expect(await listAll(h.store)).toEqual([])
  })

  it('an empty ?1 creation is an empty file, complete at once', async () => {
    const h = harness()
    const res = await h.send({ method: 'POST', headers: creation(true), body: new Uint8Array() })
    expect(res.status).toBe(200)
    expect(res.headers['Upload-Length']).toBe('0')
    expect(h.completed).toHaveLength(1)
  })
})

describe('§4.2.3 Upload creation: examples', () => {
  it('A) the whole representation in the creation request: 104, then the final 200', async () => {
    const h = harness({ limits: { maxSize: 1234567890 } })
    const live: InformationalResponse[] = []
    const file = bytes(2345)
    const res = await h.send({
      method: 'POST',
      headers: creation(true, {
        'Content-Disposition': `inline; filename="file name.jpg"; filename*=UTF-8''file%20name.jpg`,
        'Upload-Length': '2345',
      }),
      body: file,
      live,
    })
    expect(live.map((r) => r.status)).toEqual([104])
    expect(live[0]?.headers.Location).toMatch(/^https:\/\/example\.com\/uploads\/bucket1\+\+[\w-]+$/)
    expect(res.status).toBe(200)
    expect(res.headers.Location).toBe(live[0]?.headers.Location)
    expect(res.headers['Upload-Complete']).toBe('?1')
    expect(await h.bytesOf(idOf(res))).toEqual(file)
  })

  it('B) only the first part: 201 with Location and Upload-Limit', async () => {
    const h = harness({ limits: { maxSize: 1234567890 } })
    const live: InformationalResponse[] = []
    const res = await h.send({
      method: 'POST',
      headers: creation(false, { 'Upload-Length': '1000' }),
      body: bytes(234),
      live,
    })
    expect(res.status).toBe(201)
    expect(res.headers.Location).toBe(live[0]?.headers.Location)
    expect(res.headers['Upload-Limit']).toContain('max-size=1234567890')
    expect(res.headers['Upload-Offset']).toBe('234')
    expect(res.headers['Upload-Complete']).toBe('?0')
  })

  it('C) a server error after the 104: the client resumes from the upload it was told', async () => {
    const h = harness()
    const append = h.store.append.bind(h.store)
    let failOnce = true
    h.store.append = async (ref, data, offset, opts) => {
      if (!failOnce) return append(ref, data, offset, opts)
      failOnce = false
      // Half the content is durable, then the storage fails.
      const it = data[Symbol.asyncIterator]()
      const first = await it.next()
      await append(
        ref,
        (async function* () {
          if (!first.done) yield first.value
        })(),
        offset,
        opts,
      )
      throw new Error('disk on fire')
    }
    const live: InformationalResponse[] = []
    const file = bytes(3000)
    const res = await h.send({ method: 'POST', headers: creation(true), body: file, live })
    expect(res.status).toBe(500)
    expect(h.errors).toHaveLength(1)
    expect(res.headers.Location).toBe(live[0]?.headers.Location)
    const id = idOf(res)
    const head = await h.send({ method: 'HEAD', id })
    const offset = Number(head.headers['Upload-Offset'])
    expect(offset).toBe(1000)
    const done = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(offset, true),
      body: file.subarray(offset),
    })
    expect(done.status).toBe(200)
    expect(await h.bytesOf(id)).toEqual(file)
  })

  it('D) a creation the resource does not allow is refused and cannot continue', async () => {
    const h = harness()
    const res = await h.send({ method: 'PATCH', headers: creation(true), body: bytes(3) })
    expect(res.status).toBe(405)
    expect(await listAll(h.store)).toEqual([])
  })
})

describe('§4.3.2 Offset retrieval: server behaviour', () => {
  it('waits for an append in flight and then reports its durable offset', async () => {
    const h = harness({ limits: { lockWaitMs: 2000 } })
    const id = await h.create()
    const gated = gatedBody(bytes(5), bytes(7, 2))
    const patch = h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: gated.body })
    await new Promise((r) => setTimeout(r, 10))
    const head = h.send({ method: 'HEAD', id })
    setTimeout(gated.release, 20)
    expect((await patch).status).toBe(204)
    expect((await head).headers['Upload-Offset']).toBe('12')
  })

  it('answers from the durable state when the lock stays taken', async () => {
    const h = harness({ limits: { lockWaitMs: 20 } })
    const id = await h.create()
    const gated = gatedBody(bytes(5), bytes(7))
    const patch = h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: gated.body })
    await new Promise((r) => setTimeout(r, 10))
    const head = await h.send({ method: 'HEAD', id })
    expect(head.status).toBe(204)
    const reported = Number(head.headers['Upload-Offset'])
    // Only the first 5 bytes had arrived: never more is acknowledged.
    expect(reported).toBeLessThanOrEqual(5)
    gated.release()
    await patch
    const stored = await h.bytesOf(id)
    expect(stored.subarray(0, reported)).toEqual(bytes(5).subarray(0, reported))
  })

  it('expired uploads are gone (410), unknown ones 404, bad ids 400', async () => {
    const h = harness()
    const id = await h.create()
    h.clock.advance(3_600_000)
    expect((await h.send({ method: 'HEAD', id })).status).toBe(410)
    expect((await h.send({ method: 'HEAD', id: 'bucket1++nope' })).status).toBe(404)
    expect((await h.send({ method: 'HEAD', id: '../etc' })).status).toBe(400)
  })
})

describe('§4.3.3 Offset retrieval: examples', () => {
  it('A) an incomplete upload: offset, completeness, length, limits, no-store', async () => {
    const h = harness()
    const id = await h.create({ 'Upload-Length': '100' })
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(25) })
    const res = await h.send({ method: 'HEAD', id })
    expect(res).toEqual({
      status: 204,
      headers: {
        'Upload-Complete': '?0',
        'Upload-Offset': '25',
        'Upload-Length': '100',
        'Upload-Limit': 'max-age=3600',
        'Cache-Control': 'no-store',
      },
      body: '',
    })
  })

  it('B) a completed upload', async () => {
    const h = harness()
    const res0 = await h.send({ method: 'POST', headers: creation(true), body: bytes(100) })
    const res = await h.send({ method: 'HEAD', id: idOf(res0) })
    expect(res.headers).toEqual({
      'Upload-Complete': '?1',
      'Upload-Offset': '100',
      'Upload-Length': '100',
      'Cache-Control': 'no-store',
    })
  })
})

describe('§4.4.2 Upload append: server behaviour', () => {
  it('requires application/partial-upload (415)', async () => {
    const h = harness()
    const id = await h.create()
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, false, { 'Content-Type': 'application/offset+octet-stream' }),
      body: bytes(3),
    })
    expect(res.status).toBe(415)
  })

  it('a mismatching offset is 409 with the right offset and the problem members', async () => {
    const h = harness()
    const id = await h.create()
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(10) })
    const res = await h.send({ method: 'PATCH', id, headers: appendHeaders(25, false), body: bytes(3) })
    expect(res.status).toBe(409)
    expect(res.headers['Upload-Offset']).toBe('10')
    expect(problem(res)).toMatchObject({
      type: PROBLEM_TYPES.mismatchingOffset,
      title: 'Mismatching Upload Offset',
      status: 409,
      'expected-offset': 10,
      'provided-offset': 25,
    })
  })

  it('a completed upload is never modified: content is an inconsistent length, none a completed upload', async () => {
    const h = harness()
    const id = idOf(await h.send({ method: 'POST', headers: creation(true), body: bytes(4) }))
    const more = await h.send({ method: 'PATCH', id, headers: appendHeaders(4, false), body: bytes(2) })
    expect(more.status).toBe(400)
    expect(problem(more).type).toBe(PROBLEM_TYPES.inconsistentLength)
    const chunked = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(4, true),
      body: chunks(bytes(2)),
    })
    expect(problem(chunked).type).toBe(PROBLEM_TYPES.inconsistentLength)
    const empty = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(4, true),
      body: new Uint8Array(),
    })
    expect(empty.status).toBe(400)
    expect(problem(empty)).toMatchObject({
      type: PROBLEM_TYPES.completedUpload,
      title: 'Upload Is Completed',
    })
    expect(await h.bytesOf(id)).toEqual(bytes(4))
    expect(h.completed).toHaveLength(1)
  })

  it('content shorter than its Content-Length keeps the durable bytes, not complete', async () => {
    const h = harness()
    const id = await h.create()
    async function* short() {
      yield bytes(6)
    }
    const res = await h.send({
      method: 'PATCH',
      id,
      headers: appendHeaders(0, true, { 'Content-Length': '10' }),
      body: short(),
    })
    expect(res.status).toBe(400)
    const head = await h.send({ method: 'HEAD', id })
    expect(head.headers['Upload-Offset']).toBe('6')
    expect(head.headers['Upload-Complete']).toBe('?0')
    expect(h.completed).toHaveLength(0)
  })

  it('counts accepted bytes for metrics', async () => {
    let counted = 0
    const h = harness({
      hooks: {
        onBytes: (n) => {
          counted += n
        },
      },
    })
    const id = await h.create()
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(33) })
    expect(counted).toBe(33)
  })
})

describe('§4.4.3 Upload append: examples', () => {
  it('A) an append that does not complete: 204 with Upload-Complete: ?0', async () => {
    const h = harness()
    const id = await h.create()
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(200) })
    const res = await h.send({ method: 'PATCH', id, headers: appendHeaders(200, false), body: bytes(345, 9) })
    expect(res).toEqual({
      status: 204,
      headers: { 'Upload-Complete': '?0', 'Upload-Offset': '545' },
      body: '',
    })
  })

  it('B) the append that completes: 200 with Upload-Complete: ?1, onComplete runs once', async () => {
    const h = harness()
    const id = await h.create()
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(100) })
    const res = await h.send({ method: 'PATCH', id, headers: appendHeaders(100, true), body: bytes(50) })
    expect(res.status).toBe(200)
    expect(res.headers['Upload-Complete']).toBe('?1')
    expect(res.headers['Upload-Length']).toBe('150')
    expect(h.completed.map((m) => m.offset)).toEqual([150])
  })
})

describe('§4.5 Upload cancellation', () => {
  it('deletes the upload and reports it to onTerminate', async () => {
    const h = harness()
    const id = await h.create()
    await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(10) })
    const res = await h.send({ method: 'DELETE', id })
    expect(res.status).toBe(204)
    expect(h.terminated).toHaveLength(1)
    expect(
      (await h.send({ method: 'PATCH', id, headers: appendHeaders(10, false), body: bytes(1) })).status,
    ).toBe(404)
  })

  it('waits for an append in flight; past lockWaitMs it is 423', async () => {
    const h = harness({ limits: { lockWaitMs: 20 } })
    const id = await h.create()
    const gated = gatedBody(bytes(5), bytes(5))
    const patch = h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: gated.body })
    await new Promise((r) => setTimeout(r, 5))
    const res = await h.send({ method: 'DELETE', id })
    expect(res.status).toBe(423)
    gated.release()
    expect((await patch).status).toBe(204)
    expect((await h.send({ method: 'DELETE', id })).status).toBe(204)
  })

  it('other methods on an upload are 405 with Allow', async () => {
    const h = harness()
    const id = await h.create()
    const res = await h.send({ method: 'GET', id })
    expect(res.status).toBe(405)
    expect(res.headers.Allow).toBe('OPTIONS, HEAD, PATCH, DELETE')
  })
})

describe('§4.6 Concurrency', () => {
  it('a second append waits for the first and never interleaves its bytes', async () => {
    const h = harness({ limits: { lockWaitMs: 20 } })
    const id = await h.create()
    const gated = gatedBody(bytes(5, 1), bytes(5, 2))
    const first = h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: gated.body })
    await new Promise((r) => setTimeout(r, 5))
    const second = await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(5, 3) })
    expect(second.status).toBe(423)
    gated.release()
    await first
    expect(await h.bytesOf(id)).toEqual(new Uint8Array([...bytes(5, 1), ...bytes(5, 2)]))
  })
})

describe('§7 Problem types', () => {
  it('every error is an application/problem+json document with the status', async () => {
    const h = harness()
    const res = await h.send({ method: 'HEAD', id: 'bucket1++missing' })
    expect(problem(res)).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 })
  })
})

describe('one protocol per upload', () => {
  function tusDeps(h: ReturnType<typeof harness>): TusDeps {
    return { store: h.store, locker: new MemoryLocker(), clock: h.clock, hooks: h.deps.hooks }
  }

  it('an upload created with TUS 1.0 is refused here, and left unchanged', async () => {
    const h = harness()
    const created = await handleTus(
      {
        method: 'POST',
        headers: new Headers({
          'Tus-Resumable': '1.0.0',
          'Upload-Length': '10',
          'Upload-Metadata': metadata(),
        }),
        endpoint: '/files/',
      },
      tusDeps(h),
    )
    const id = (created.headers.Location ?? '').slice('/files/'.length)
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const res = await h.send({ method, id, headers: appendHeaders(0, false), body: bytes(3) })
      expect(res.status, method).toBe(400)
      expect(problem(res).detail).toMatch(/TUS/)
    }
    expect(await h.bytesOf(id)).toEqual(new Uint8Array())
  })

  it('uploads created here carry the protocol mark TUS must check', async () => {
    const h = harness()
    const id = await h.create()
    const [meta] = await listAll(h.store)
    expect(meta?.extra[UPLOAD_PROTOCOL_KEY]).toBe(RESUMABLE_PROTOCOL)
    expect(id).toContain('++')
  })
})
