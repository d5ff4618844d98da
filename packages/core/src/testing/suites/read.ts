/** Conformance: ranged reads, bad ranges, early release, abort, zero-byte files. */
import { expect } from 'vitest'
import type { FileRef } from '../../ids.js'
import type { ByteRange } from '../../store.js'
import { assertBytes, collect, expectPsiError, newFileFixture } from '../helpers.js'
import { patternBytes, patternStream } from '../pattern.js'
import type { SuiteContext } from '../suite.js'

const MiB = 1 << 20

/** Creates and completes a pattern file of `size` bytes, appended in uneven chunks. */
async function patternFile(
  ctx: SuiteContext,
  seed: number,
  size: number,
  chunkSize?: number,
): Promise<FileRef> {
  const store = ctx.store()
  const file = newFileFixture({ uploadLength: size })
  await store.create(file)
  const sizes = chunkSize === undefined ? [1, 65_535, 100_000, 7] : [chunkSize]
  let offset = 0
  // Several appends of varying sizes, so ranges cross append and chunk boundaries.
  for (let i = 0; offset < size; i++) {
    const n = Math.min(sizes[i % sizes.length]!, size - offset)
    offset = await ctx.store().append(file, patternStream(seed, n, { offset, chunkSize: n }), offset)
  }
  await store.complete(file)
  return file
}

export function registerReadSuite(ctx: SuiteContext): void {
  ctx.test('read.ranges', async () => {
    const store = ctx.store()
    const size = 3 * 65_536 + 12_345
    const ref = await patternFile(ctx, 31, size)
    const whole = patternBytes(31, 0, size)
    assertBytes(await collect(await store.read(ref)), whole, 'whole file')
    const ranges: ByteRange[] = [
      { start: 0, end: size - 1 },
      { start: 0, end: 0 },
      { start: size - 1, end: size - 1 },
      { start: 1000, end: 150_000 },
      { start: 65_536, end: 65_536 },
      { start: 65_535, end: 65_537 },
      { start: 1, end: 100_001 },
      { start: 100_000, end: size - 1 },
    ]
    for (const range of ranges) {
      const got = await collect(await store.read(ref, { range }))
      assertBytes(got, whole.subarray(range.start, range.end + 1), `range ${range.start}-${range.end}`)
    }
  })

  ctx.test('read.bad-ranges', async () => {
    const store = ctx.store()
    const size = 1000
    const ref = await patternFile(ctx, 32, size, 400)
    const bad: ByteRange[] = [
      { start: 5, end: 4 },
      { start: 0, end: size },
      { start: size, end: size },
      { start: size + 10, end: size + 20 },
      { start: -1, end: 3 },
    ]
    for (const range of bad) {
      await expectPsiError(store.read(ref, { range }), 'RANGE_NOT_SATISFIABLE')
    }
  })

  ctx.test('read.early-break', async () => {
    const store = ctx.store()
    const size = 4 * MiB
    const ref = await patternFile(ctx, 33, size, MiB)
    for (const options of [{}, { range: { start: 10, end: size - 10 } }]) {
      let seen = 0
      for await (const chunk of await store.read(ref, options)) {
        seen += chunk.byteLength
        break
      }
      expect(seen).toBeGreaterThan(0)
    }
    // Released handles must not block reading again or deleting.
    const check = await collect(await store.read(ref, { range: { start: size - 5, end: size - 1 } }))
    assertBytes(check, patternBytes(33, size - 5, 5), 'tail after early breaks')
    await store.delete(ref)
    await expectPsiError(store.info(ref), 'NOT_FOUND')
  })

  ctx.test('read.abort', async () => {
    const store = ctx.store()
    const size = 8 * MiB
    const ref = await patternFile(ctx, 34, size, MiB)
    const controller = new AbortController()
    let seen = 0
    try {
      for await (const chunk of await store.read(ref, { signal: controller.signal })) {
        seen += chunk.byteLength
        controller.abort(new Error('client went away (conformance test)'))
      }
    } catch {
      // Rejecting the iteration is one valid way to stop; ending it early is the other.
    }
    expect(seen, 'the read went on to the end after the abort').toBeLessThan(size)
    await store.delete(ref)
  })

  ctx.test('read.reader', async () => {
    const store = ctx.store()
    // Optional: a store without it is read through read() alone.
    expect(['undefined', 'function']).toContain(typeof store.openReader)
    if (!store.openReader) return
    const size = 2 * 65_536 + 777
    const ref = await patternFile(ctx, 35, size)
    const whole = patternBytes(35, 0, size)
    const reader = await store.openReader(ref)
    try {
      expect(reader.size).toBe(size)
      // One buffer reused for every read, at positions that cross append boundaries.
      const buf = new Uint8Array(50_000)
      const got = new Uint8Array(size)
      for (let pos = 0; pos < size; ) {
        const n = await reader.read(buf, pos)
        expect(n, `read at ${pos}`).toBeGreaterThan(0)
        got.set(buf.subarray(0, n), pos)
        pos += n
      }
      assertBytes(got, whole, 'whole file through the reader')
      const tail = new Uint8Array(10)
      expect(await reader.read(tail, size - 3)).toBe(3)
      assertBytes(tail.subarray(0, 3), whole.subarray(size - 3), 'last bytes')
      expect(await reader.read(tail, size)).toBe(0)
    } finally {
      await reader.close()
      await reader.close()
    }
    await store.delete(ref)
    await expectPsiError(store.openReader(ref), 'NOT_FOUND')
  })

  ctx.test('zero-byte', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: 0 })
    expect(await store.create(file)).toMatchObject({ offset: 0, uploadLength: 0, complete: false })
    async function* nothing(): AsyncGenerator<Uint8Array> {}
    expect(await store.append(file, nothing(), 0)).toBe(0)
    expect(await store.complete(file)).toMatchObject({ offset: 0, complete: true })
    expect((await collect(await store.read(file))).byteLength).toBe(0)
    await expectPsiError(store.read(file, { range: { start: 0, end: 0 } }), 'RANGE_NOT_SATISFIABLE')
    assertBytes(await ctx.probe.readData(file), new Uint8Array(0), 'persisted zero-byte file')
    expect(await ctx.probe.readMeta(file)).not.toBeNull()
    await store.delete(file)
    expect(await ctx.probe.readData(file)).toBeNull()
    expect(await ctx.probe.readMeta(file)).toBeNull()
  })
}
