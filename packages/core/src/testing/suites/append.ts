/** Conformance: appends, offsets, interrupted and aborted sources, length limits, concurrency. */
import { expect } from 'vitest'
import type { FileRef } from '../../ids.js'
import {
  assertBytes,
  chunked,
  collect,
  delay,
  expectPsiError,
  firstDifference,
  newFileFixture,
  utf8,
} from '../helpers.js'
import { patternBytes } from '../pattern.js'
import type { SuiteContext } from '../suite.js'

const KiB = 1024

/** Resolves with what `promise` rejected with, failing the test if it resolved. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  if (outcome.ok)
    throw new Error(`${what}: expected a rejection, but it resolved with ${String(outcome.value)}`)
  return outcome.error
}

/**
 * After an interrupted append: the reported offset equals the bytes the probe sees, is at most
 * `maxOffset`, and those bytes are a prefix of `payload`. Returns the offset.
 */
async function expectConsistent(
  ctx: SuiteContext,
  ref: FileRef,
  payload: Uint8Array,
  maxOffset: number,
): Promise<number> {
  const { offset } = await ctx.store().info(ref)
  const data = await ctx.probe.readData(ref)
  expect(data, 'probe sees no data').not.toBeNull()
  expect(offset, 'info().offset must equal the persisted bytes').toBe(data?.byteLength)
  expect(offset).toBeLessThanOrEqual(maxOffset)
  assertBytes(data, payload.subarray(0, offset), 'persisted bytes after the interruption')
  return offset
}

/** Resumes at `info().offset`, finishes the upload and checks every byte. */
async function resumeAndVerify(ctx: SuiteContext, ref: FileRef, payload: Uint8Array): Promise<void> {
  const store = ctx.store()
  const { offset } = await store.info(ref)
  expect(await store.append(ref, chunked(payload.subarray(offset), [7 * KiB]), offset)).toBe(
    payload.byteLength,
  )
  await store.complete(ref)
  assertBytes(await ctx.probe.readData(ref), payload, 'persisted bytes after resuming')
  assertBytes(await collect(await store.read(ref)), payload, 'bytes read after resuming')
}

export function registerAppendSuite(ctx: SuiteContext): void {
  const { probe } = ctx

  ctx.test('append.sequential', async () => {
    const store = ctx.store()
    const payload = patternBytes(11, 0, 300_000)
    const file = newFileFixture({ uploadLength: payload.byteLength })
    await store.create(file)
    expect(await store.append(file, chunked(payload.subarray(0, 100_000), [65_536, 1000, 7]), 0)).toBe(
      100_000,
    )
    assertBytes(await probe.readData(file), payload.subarray(0, 100_000), 'persisted after the first append')
    expect((await store.info(file)).offset).toBe(100_000)
    expect(await store.append(file, chunked(payload.subarray(100_000), [4 * KiB]), 100_000)).toBe(300_000)
    assertBytes(await probe.readData(file), payload, 'persisted after the second append')
    const info = await store.info(file)
    expect(info).toMatchObject({ offset: 300_000, uploadLength: 300_000, complete: false })
    assertBytes(await collect(await store.read(file)), payload, 'read back')
  })

  ctx.test('append.offset-mismatch', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: 100 })
    await store.create(file)
    await expectPsiError(store.append(file, chunked(utf8('xxxxx')), 5), 'OFFSET_MISMATCH')
    assertBytes(await probe.readData(file), new Uint8Array(0), 'persisted after a rejected append')
    await store.append(file, chunked(utf8('0123456789')), 0)
    for (const wrong of [0, 5, 9, 11, 20, -1]) {
      await expectPsiError(store.append(file, chunked(utf8('zz')), wrong), 'OFFSET_MISMATCH')
    }
    assertBytes(await probe.readData(file), utf8('0123456789'), 'persisted after rejected appends')
    expect((await store.info(file)).offset).toBe(10)
  })

  ctx.test('append.source-error', async () => {
    const store = ctx.store()
    const payload = patternBytes(12, 0, 100 * KiB)
    const file = newFileFixture({ uploadLength: payload.byteLength })
    await store.create(file)
    let sent = 0
    async function* failing(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 4; i++) {
        const chunk = payload.slice(i * 10 * KiB, (i + 1) * 10 * KiB)
        sent += chunk.byteLength
        yield chunk
      }
      await delay(1)
      throw new Error('source failed midway (conformance test)')
    }
    await rejection(store.append(file, failing(), 0), 'append whose source throws')
    expect(sent).toBe(40 * KiB)
    await expectConsistent(ctx, file, payload, sent)
    await resumeAndVerify(ctx, file, payload)
  })

  ctx.test('append.abort', async () => {
    const store = ctx.store()
    const payload = patternBytes(13, 0, 100 * KiB)
    const file = newFileFixture({ uploadLength: payload.byteLength })
    await store.create(file)
    const controller = new AbortController()
    let sent = 0
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) {
        if (i === 4) controller.abort(new Error('client went away (conformance test)'))
        const chunk = payload.slice(i * 10 * KiB, (i + 1) * 10 * KiB)
        sent += chunk.byteLength
        yield chunk
        await delay(1)
      }
    }
    await rejection(store.append(file, source(), 0, { signal: controller.signal }), 'aborted append')
    const offset = await expectConsistent(ctx, file, payload, sent)
    expect(offset, 'the abort did not stop the append').toBeLessThan(payload.byteLength)
    await resumeAndVerify(ctx, file, payload)
  })

  ctx.test('append.abort-stalled', async () => {
    const store = ctx.store()
    const payload = patternBytes(14, 0, 24 * KiB)
    const file = newFileFixture({ uploadLength: payload.byteLength })
    await store.create(file)
    const controller = new AbortController()
    let unstall = () => {}
    const stalled = new Promise<void>((resolve) => {
      unstall = resolve
    })
    async function* source(): AsyncGenerator<Uint8Array> {
      yield payload.slice(0, 8 * KiB)
      yield payload.slice(8 * KiB, 16 * KiB)
      await stalled
      yield payload.slice(16 * KiB)
    }
    const pending = store.append(file, source(), 0, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('timed out (conformance test)')), 20)
    try {
      const outcome = await Promise.race([
        pending.then(
          () => 'resolved',
          () => 'rejected',
        ),
        delay(5000).then(() => 'still pending after 5 s'),
      ])
      expect(outcome).toBe('rejected')
    } finally {
      unstall()
    }
    await expectConsistent(ctx, file, payload, 16 * KiB)
    await resumeAndVerify(ctx, file, payload)
  })

  ctx.test('append.pre-aborted', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: 10 })
    await store.create(file)
    const signal = AbortSignal.abort(new Error('already gone (conformance test)'))
    await rejection(
      store.append(file, chunked(utf8('0123456789')), 0, { signal }),
      'append with an aborted signal',
    )
    expect((await store.info(file)).offset).toBe(0)
    assertBytes(await probe.readData(file), new Uint8Array(0), 'persisted after a pre-aborted append')
  })

  ctx.test('append.too-large', async () => {
    const store = ctx.store()
    const payload = utf8('0123456789abcdef')

    const oneChunk = newFileFixture({ uploadLength: 10 })
    await store.create(oneChunk)
    await expectPsiError(store.append(oneChunk, chunked(payload), 0), 'TOO_LARGE')
    await expectConsistent(ctx, oneChunk, payload, 10)

    const manyChunks = newFileFixture({ uploadLength: 10 })
    await store.create(manyChunks)
    await expectPsiError(store.append(manyChunks, chunked(payload, [4]), 0), 'TOO_LARGE')
    await expectConsistent(ctx, manyChunks, payload, 10)

    const full = newFileFixture({ uploadLength: 10 })
    await store.create(full)
    expect(await store.append(full, chunked(payload.subarray(0, 10), [3]), 0)).toBe(10)
    await expectPsiError(store.append(full, chunked(utf8('!')), 10), 'TOO_LARGE')
    assertBytes(await probe.readData(full), payload.subarray(0, 10), 'persisted after refusing extra bytes')
    expect((await store.info(full)).offset).toBe(10)
  })

  ctx.test('append.deferred-length', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: null })
    expect((await store.create(file)).uploadLength).toBeNull()
    expect(await store.append(file, chunked(utf8('hello'), [2]), 0)).toBe(5)
    expect(await store.info(file)).toMatchObject({ uploadLength: null, offset: 5, complete: false })
    await expectPsiError(store.complete(file), 'INVALID_INPUT')
    expect((await store.update(file, { uploadLength: 8 })).uploadLength).toBe(8)
    expect((await store.info(file)).uploadLength).toBe(8)
    await expectPsiError(store.append(file, chunked(utf8(' world')), 5), 'TOO_LARGE')
    expect(await store.append(file, chunked(utf8(' wo')), 5)).toBe(8)
    expect(await store.complete(file)).toMatchObject({ complete: true, offset: 8, uploadLength: 8 })
    assertBytes(await probe.readData(file), utf8('hello wo'), 'persisted deferred-length upload')
  })

  ctx.test('append.concurrent', async () => {
    const store = ctx.store()
    const size = 64 * KiB
    const payloads = [21, 22, 23].map((seed) => patternBytes(seed, 0, size))
    const file = newFileFixture({ uploadLength: size })
    await store.create(file)
    const results = await Promise.allSettled(
      payloads.map((p) => store.append(file, chunked(p, [4 * KiB], 1), 0)),
    )
    const winners = results.filter((r) => r.status === 'fulfilled')
    expect(winners.length, 'more than one concurrent append at offset 0 succeeded').toBeLessThanOrEqual(1)
    for (const r of results) {
      if (r.status === 'rejected')
        await expectPsiError(Promise.reject(r.reason), ['OFFSET_MISMATCH', 'UPLOAD_LOCKED'])
    }
    const data = await probe.readData(file)
    if (!data) throw new Error('probe sees no data after concurrent appends')
    expect((await store.info(file)).offset).toBe(data.byteLength)
    const source = payloads.findIndex((p) => firstDifference(data, p.subarray(0, data.byteLength)) < 0)
    expect(source, 'persisted bytes are interleaved from several appends').toBeGreaterThanOrEqual(0)
    const winner = results.findIndex((r) => r.status === 'fulfilled')
    if (winner >= 0) {
      expect(source).toBe(winner)
      assertBytes(data, payloads[winner]!, 'bytes of the successful append')
    }
  })
}
