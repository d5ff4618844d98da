/**
 * Property tests of the TUS state machine: for random sequences of requests (random chunking,
 * wrong offsets, interrupted and short bodies, good and bad checksums, HEADs, termination),
 * HEAD never reports more than the store holds, the stored bytes are always a prefix of the
 * intended file, and finishing the upload yields exactly the file.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytes, chunks, harness, patchHeaders } from './test-helpers.test-support.js'

type Op =
  | { kind: 'patch'; size: number; chunk: number }
  | { kind: 'wrongOffset'; delta: number }
  | { kind: 'interrupt'; size: number; cut: number }
  | { kind: 'short'; size: number; cut: number }
  | { kind: 'checksum'; size: number; good: boolean }
  | { kind: 'head' }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('patch' as const),
    size: fc.nat(400),
    chunk: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    kind: fc.constant('wrongOffset' as const),
    delta: fc.integer({ min: -50, max: 50 }).filter((d) => d !== 0),
  }),
  fc.record({ kind: fc.constant('interrupt' as const), size: fc.nat(400), cut: fc.nat(400) }),
  fc.record({
    kind: fc.constant('short' as const),
    size: fc.integer({ min: 1, max: 400 }),
    cut: fc.nat(400),
  }),
  fc.record({ kind: fc.constant('checksum' as const), size: fc.nat(300), good: fc.boolean() }),
  fc.constant({ kind: 'head' as const }),
)

async function digest(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
  return btoa(String.fromCharCode(...d))
}

async function* cutBody(data: Uint8Array, cut: number, fail: boolean): AsyncIterable<Uint8Array> {
  yield* chunks(data.subarray(0, Math.min(cut, data.length)), 17)
  if (fail) throw new Error('connection reset')
}

describe('TUS state machine properties', () => {
  it('offsets never run ahead of the store and the file ends byte-exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(op, { maxLength: 25 }),
        async (length, seed, ops) => {
          const file = bytes(length, seed)
          const h = harness()
          const id = await h.create(length)

          const check = async (): Promise<number> => {
            const head = await h.send({ method: 'HEAD', id })
            expect(head.status).toBe(200)
            const offset = Number(head.headers['Upload-Offset'])
            const stored = await h.bytesOf(id)
            expect(stored.length).toBe(offset)
            expect(offset).toBeLessThanOrEqual(length)
            expect(stored).toEqual(file.subarray(0, offset))
            return offset
          }

          for (const o of ops) {
            const offset = await check()
            const rest = file.subarray(offset)
            switch (o.kind) {
              case 'head':
                break
              case 'patch': {
                const body = rest.subarray(0, o.size)
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: patchHeaders(offset, { 'Content-Length': String(body.length) }),
                  body: chunks(body, o.chunk),
                })
                expect(res.status).toBe(204)
                expect(Number(res.headers['Upload-Offset'])).toBe(offset + body.length)
                break
              }
              case 'wrongOffset': {
                const at = offset + o.delta
                if (at < 0) break
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: patchHeaders(at),
                  body: rest.subarray(0, 10),
                })
                expect(res.status).toBe(409)
                break
              }
              case 'interrupt':
              case 'short': {
                const body = rest.subarray(0, o.size)
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: patchHeaders(offset, { 'Content-Length': String(body.length) }),
                  body: cutBody(body, o.cut, o.kind === 'interrupt'),
                })
                // A complete body is a success; anything cut short is an error response.
                if (o.cut >= body.length && o.kind === 'short') expect(res.status).toBe(204)
                else if (o.cut < body.length) expect(res.status).toBeGreaterThanOrEqual(400)
                break
              }
              case 'checksum': {
                const body = rest.subarray(0, o.size)
                const sum = o.good ? await digest(body) : await digest(new Uint8Array([...body, 1]))
                const res = await h.send({
                  method: 'PATCH',
                  id,
                  headers: patchHeaders(offset, { 'Upload-Checksum': `sha256 ${sum}` }),
                  body,
                })
                expect(res.status).toBe(o.good ? 204 : 460)
                break
              }
            }
          }

          // Finish from whatever HEAD says.
          const offset = await check()
          if (offset < length || length === 0) {
            const res = await h.send({
              method: 'PATCH',
              id,
              headers: patchHeaders(offset),
              body: file.subarray(offset),
            })
            expect(res.status).toBe(204)
          }
          expect(await check()).toBe(length)
          expect(await h.bytesOf(id)).toEqual(file)
          const [meta] = h.completed
          expect(h.completed).toHaveLength(1)
          expect(meta?.complete).toBe(true)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('concatenation never makes bytes: finals, sequential or parallel, hold each partial at most once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }),
        // Each final lists some of the partials (by index; repeats allowed, as an attacker would).
        fc.array(fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (sizes, lists, parallel) => {
          const h = harness({ limits: { lockWaitMs: 1000 } })
          const ids: string[] = []
          const data = new Map<string, Uint8Array>()
          for (const [i, size] of sizes.entries()) {
            const id = await h.create(size, { sid: 'pp', name: 'p' }, { 'Upload-Concat': 'partial' })
            const body = bytes(size, i + 1)
            await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body })
            ids.push(id)
            data.set(id, body)
          }
          const finalOf = (list: number[]) =>
            h.send({
              method: 'POST',
              headers: {
                'Upload-Concat': `final;${list.map((i) => `/files/${ids[i % ids.length]}`).join(' ')}`,
                'Upload-Metadata': 'sid cHA=,name Zg==',
              },
            })
          const results = parallel
            ? await Promise.all(lists.map(finalOf))
            : await lists.reduce<Promise<Array<{ status: number }>>>(
                async (acc, l) => [...(await acc), await finalOf(l)],
                Promise.resolve([]),
              )
          const used = new Set<string>()
          for (const [n, res] of results.entries()) {
            const parts = (lists[n] as number[]).map((i) => ids[i % ids.length] as string)
            if (new Set(parts).size < parts.length) expect(res.status).toBe(400)
            if (res.status !== 201) continue
            for (const p of parts) {
              expect(used.has(p), p).toBe(false)
              used.add(p)
            }
          }
          // Every final in the store is exactly the concatenation of parts no other final took.
          let total = 0
          for await (const m of h.store.list()) {
            if (m.concat?.kind !== 'final') continue
            expect(m.complete).toBe(true)
            const expected = m.concat.parts.flatMap((p) => [...(data.get(p) as Uint8Array)])
            expect([...(await h.bytesOf(`${m.sid}++${m.key}`))]).toEqual(expected)
            total += m.offset
          }
          expect(total).toBeLessThanOrEqual(sizes.reduce((a, b) => a + b, 0))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('after termination every request for the upload is 404 and nothing is left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(200),
        fc.nat(200),
        fc.constantFrom('HEAD', 'PATCH', 'DELETE'),
        async (len, sent, method) => {
          const h = harness()
          const id = await h.create(len)
          const n = Math.min(sent, len)
          await h.send({ method: 'PATCH', id, headers: patchHeaders(0), body: bytes(n) })
          expect((await h.send({ method: 'DELETE', id })).status).toBe(204)
          const res = await h.send({ method, id, headers: patchHeaders(n), body: bytes(1) })
          expect(res.status).toBe(404)
          const left: unknown[] = []
          for await (const m of h.store.list()) left.push(m)
          expect(left).toEqual([])
        },
      ),
      { numRuns: 60 },
    )
  })
})
