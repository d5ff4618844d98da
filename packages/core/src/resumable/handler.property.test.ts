/**
 * Property tests of the resumable-upload machine: for random creations (careful, optimistic,
 * cut short) and random sequences of appends (random chunking, interrupted, short, wrong
 * offsets) and offset retrievals, HEAD never reports more than the store holds, never less
 * than was acknowledged (offsets never decrease), the stored bytes are always a prefix of the
 * file, and completing from whatever HEAD says yields exactly the file, completed once.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { listAll } from '../store.js'
import { appendHeaders, bytes, chunks, ENDPOINT, harness, metadata } from './test-support.test-support.js'
import type { InformationalResponse } from './types.js'

type Creation =
  | { kind: 'careful'; declare: boolean }
  | { kind: 'optimistic'; declare: boolean; cut: number | null }
  | { kind: 'part'; size: number; declare: boolean }

type Op =
  | { kind: 'append'; size: number; chunk: number; contentLength: boolean }
  | { kind: 'interrupt'; size: number; cut: number }
  | { kind: 'short'; size: number; cut: number }
  | { kind: 'wrongOffset'; delta: number }
  | { kind: 'head' }

const creation: fc.Arbitrary<Creation> = fc.oneof(
  fc.record({ kind: fc.constant('careful' as const), declare: fc.boolean() }),
  fc.record({
    kind: fc.constant('optimistic' as const),
    declare: fc.boolean(),
    cut: fc.option(fc.nat(1500), { nil: null }),
  }),
  fc.record({ kind: fc.constant('part' as const), size: fc.nat(500), declare: fc.boolean() }),
)

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    size: fc.nat(400),
    chunk: fc.integer({ min: 1, max: 64 }),
    contentLength: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('interrupt' as const), size: fc.nat(400), cut: fc.nat(400) }),
  fc.record({
    kind: fc.constant('short' as const),
    size: fc.integer({ min: 1, max: 400 }),
    cut: fc.nat(400),
  }),
  fc.record({
    kind: fc.constant('wrongOffset' as const),
    delta: fc.integer({ min: -50, max: 50 }).filter((d) => d !== 0),
  }),
  fc.constant({ kind: 'head' as const }),
)

async function* cutBody(data: Uint8Array, cut: number, fail: boolean): AsyncIterable<Uint8Array> {
  yield* chunks(data.subarray(0, Math.min(cut, data.length)), 17)
  if (fail) throw new Error('connection reset')
}

describe('resumable-upload machine properties', () => {
  it('acknowledged bytes are never lost or reordered, and the file ends byte-exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 1, max: 1000 }),
        creation,
        fc.array(op, { maxLength: 20 }),
        async (length, seed, how, ops) => {
          const file = bytes(length, seed)
          const h = harness()
          let acked = 0
          const ack = (offset: string | undefined) => {
            if (offset === undefined) return
            expect(Number(offset)).toBeGreaterThanOrEqual(acked)
            acked = Number(offset)
          }

          // Creation, in one of the draft's strategies; the id comes from the 104 or the answer.
          const live: InformationalResponse[] = []
          const declared: Record<string, string> =
            how.kind !== 'optimistic' && how.declare ? { 'Upload-Length': String(length) } : {}
          const headers: Record<string, string> = {
            'Upload-Metadata': metadata(),
            'Upload-Complete': how.kind === 'optimistic' ? '?1' : '?0',
            ...declared,
          }
          let body: Uint8Array | AsyncIterable<Uint8Array> | null = null
          if (how.kind === 'part') body = file.subarray(0, how.size)
          if (how.kind === 'optimistic') {
            body = how.cut === null || how.cut >= length ? file : cutBody(file, how.cut, true)
            if (how.declare) Object.assign(headers, { 'Upload-Length': String(length) })
          }
          const created = await h.send({ method: 'POST', headers, body, live })
          const location = live[0]?.headers.Location
          expect(location).toBeDefined()
          const id = (location ?? '').slice(ENDPOINT.length)
          if (created.status < 300) ack(created.headers['Upload-Offset'])
          if (created.status === 200) {
            // Everything came in the creation request.
            expect(await h.bytesOf(id)).toEqual(file)
            expect(h.completed).toHaveLength(1)
            return
          }

          const check = async (): Promise<number> => {
            const head = await h.send({ method: 'HEAD', id })
            expect(head.status).toBe(204)
            expect(head.headers['Upload-Complete']).toBe('?0')
            const offset = Number(head.headers['Upload-Offset'])
            expect(offset).toBeGreaterThanOrEqual(acked)
            const stored = await h.bytesOf(id)
            expect(stored.length).toBe(offset)
            expect(offset).toBeLessThanOrEqual(length)
            expect(stored).toEqual(file.subarray(0, offset))
            acked = offset
            return offset
          }

          for (const o of ops) {
            const offset = await check()
            const rest = file.subarray(offset)
            switch (o.kind) {
              case 'head':
                break
              case 'append': {
                const part = rest.subarray(0, o.size)
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: appendHeaders(
                    offset,
                    false,
                    o.contentLength ? { 'Content-Length': String(part.length) } : {},
                  ),
                  body: chunks(part, o.chunk),
                })
                expect(res.status).toBe(204)
                expect(Number(res.headers['Upload-Offset'])).toBe(offset + part.length)
                ack(res.headers['Upload-Offset'])
                break
              }
              case 'wrongOffset': {
                const at = offset + o.delta
                if (at < 0) break
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: appendHeaders(at, false),
                  body: rest.subarray(0, 10),
                })
                expect(res.status).toBe(409)
                expect(res.headers['Upload-Offset']).toBe(String(offset))
                break
              }
              case 'interrupt':
              case 'short': {
                const part = rest.subarray(0, o.size)
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: appendHeaders(offset, false, { 'Content-Length': String(part.length) }),
                  body: cutBody(part, o.cut, o.kind === 'interrupt'),
                })
                if (o.cut >= part.length && o.kind === 'short') {
                  expect(res.status).toBe(204)
                  ack(res.headers['Upload-Offset'])
                } else if (o.cut < part.length) expect(res.status).toBeGreaterThanOrEqual(400)
                break
              }
            }
          }

          // Complete from whatever HEAD says.
          const offset = await check()
          const res = await h.send({
            method: 'PATCH',
            id,
            headers: appendHeaders(offset, true),
            body: file.subarray(offset),
          })
          expect(res.status).toBe(200)
          expect(res.headers['Upload-Offset']).toBe(String(length))
          expect(await h.bytesOf(id)).toEqual(file)
          expect(h.completed).toHaveLength(1)
          expect(h.completed[0]?.complete).toBe(true)
          const head = await h.send({ method: 'HEAD', id })
          expect(head.headers['Upload-Complete']).toBe('?1')
          expect(head.headers['Upload-Length']).toBe(String(length))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('after cancellation every request for the upload is 404 and nothing is left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(200), fc.constantFrom('HEAD', 'PATCH', 'DELETE'), async (sent, method) => {
        const h = harness()
        const id = await h.create()
        await h.send({ method: 'PATCH', id, headers: appendHeaders(0, false), body: bytes(sent) })
        expect((await h.send({ method: 'DELETE', id })).status).toBe(204)
        const res = await h.send({ method, id, headers: appendHeaders(sent, false), body: bytes(1) })
        expect(res.status).toBe(404)
        expect(await listAll(h.store)).toEqual([])
      }),
      { numRuns: 60 },
    )
  })
})
