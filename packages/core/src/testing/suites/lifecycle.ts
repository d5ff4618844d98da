/** Conformance: complete, delete, list (for the expiry sweeper) and one-shot claims. */
import { expect } from 'vitest'
import { newBucketId } from '../../ids.js'
import { assertBytes, chunked, collect, expectPsiError, newFileFixture, newRef, utf8 } from '../helpers.js'
import { patternBytes } from '../pattern.js'
import type { SuiteContext } from '../suite.js'
import { collectList, publicMeta } from './metadata.js'

const MiB = 1024 * 1024

export function registerLifecycleSuite(ctx: SuiteContext): void {
  const { probe } = ctx

  ctx.test('complete.idempotent', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: 6 })
    await store.create(file)
    await expectPsiError(store.complete(file), 'INVALID_INPUT')
    await store.append(file, chunked(utf8('abc')), 0)
    await expectPsiError(store.complete(file), 'INVALID_INPUT')
    expect((await store.info(file)).complete).toBe(false)
    await store.append(file, chunked(utf8('def')), 3)
    const first = await store.complete(file)
    expect(first).toMatchObject({ complete: true, offset: 6, uploadLength: 6 })
    const second = await store.complete(file)
    expect(publicMeta(second)).toEqual(publicMeta(first))
    expect(await store.info(file)).toMatchObject({ complete: true, offset: 6 })
    assertBytes(await probe.readData(file), utf8('abcdef'), 'persisted completed file')
    assertBytes(await collect(await store.read(file)), utf8('abcdef'), 'read completed file')
  })

  ctx.test('complete.after-crash', async () => {
    // The process that wrote the last byte died before complete(): its append returned the
    // length, nothing else happened. A new instance must still finish the upload.
    if (!ctx.reopen) throw new Error('complete.after-crash needs the reopen option (or a skip with a reason)')
    const first = ctx.store()
    // Several MiB with a short end, so part-based stores hold parts and a tail.
    const length = 11 * MiB + 3
    const payload = patternBytes(61, 0, length)
    const file = newFileFixture({ uploadLength: length })
    await first.create(file)
    expect(await first.append(file, chunked(payload.subarray(0, 6 * MiB), [MiB]), 0)).toBe(6 * MiB)
    expect(await first.append(file, chunked(payload.subarray(6 * MiB), [MiB]), 6 * MiB)).toBe(length)
    const second = await ctx.reopen()
    try {
      // Every byte counts. Stores that derive completion from the bytes alone (the FS store's own
      // sidecars) may already call it complete; the others must not before complete() ran.
      expect(await second.info(file)).toMatchObject({ offset: length, uploadLength: length })
      const done = await second.complete(file)
      expect(done).toMatchObject({ complete: true, offset: length, uploadLength: length })
      // Idempotent, from the new instance and from the old one.
      expect(publicMeta(await second.complete(file))).toEqual(publicMeta(done))
      expect(publicMeta(await first.complete(file))).toEqual(publicMeta(done))
      expect(await first.info(file)).toMatchObject({ complete: true, offset: length })
      assertBytes(await collect(await second.read(file)), payload, 'read from the new instance')
      assertBytes(await collect(await first.read(file)), payload, 'read from the old instance')
      assertBytes(await probe.readData(file), payload, 'persisted bytes')
      expect((await collectList(ctx, file.sid)).map((m) => [m.key, m.complete])).toEqual([[file.key, true]])
      await second.delete(file)
    } finally {
      await second.close?.()
    }
  })

  ctx.test('delete', async () => {
    const store = ctx.store()
    const a = newFileFixture({ uploadLength: 3 })
    const b = newFileFixture({ sid: a.sid, uploadLength: 5 })
    await store.create(a)
    await store.create(b)
    await store.append(a, chunked(utf8('aaa')), 0)
    await store.complete(a)
    await store.append(b, chunked(utf8('bbbbb')), 0)
    await store.delete(a)
    await expectPsiError(store.info(a), 'NOT_FOUND')
    await expectPsiError(store.read(a), 'NOT_FOUND')
    expect(await probe.readData(a)).toBeNull()
    expect(await probe.readMeta(a)).toBeNull()
    expect((await collectList(ctx, a.sid)).map((m) => m.key)).toEqual([b.key])
    expect((await store.info(b)).offset).toBe(5)
    assertBytes(await probe.readData(b), utf8('bbbbb'), 'other file in the bucket')
    await store.delete(b)
    expect(await collectList(ctx, a.sid)).toEqual([])
  })

  ctx.test('delete.missing', async () => {
    const store = ctx.store()
    await expectPsiError(store.delete(newRef()), 'NOT_FOUND')
    const file = newFileFixture()
    await store.create(file)
    await store.delete(file)
    await expectPsiError(store.delete(file), 'NOT_FOUND')
  })

  ctx.test('delete.incomplete', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: 100 })
    await store.create(file)
    await store.append(file, chunked(new Uint8Array(40).fill(7), [16]), 0)
    await store.delete(file)
    await expectPsiError(store.info(file), 'NOT_FOUND')
    expect(await probe.readData(file)).toBeNull()
    expect(await probe.readMeta(file)).toBeNull()
    // The same ids start from scratch: no leftover bytes or state.
    expect((await store.create(file)).offset).toBe(0)
    assertBytes(await probe.readData(file), new Uint8Array(0), 'data of the re-created file')
    expect(await store.append(file, chunked(utf8('fresh')), 0)).toBe(5)
    assertBytes(await probe.readData(file), utf8('fresh'), 'data of the re-created file')
  })

  ctx.test('list', async () => {
    const store = ctx.store()
    const sid = newBucketId()
    const now = Date.now()
    const done = newFileFixture({ sid, uploadLength: 5, expiresAt: now + 60_000 })
    const partial = newFileFixture({ sid, uploadLength: 50, expiresAt: null })
    const oneTime = newFileFixture({ sid, retention: 'one-time', uploadLength: 1, expiresAt: now - 1000 })
    const elsewhere = newFileFixture({ uploadLength: 1 })
    for (const f of [done, partial, oneTime, elsewhere]) await store.create(f)
    await store.append(done, chunked(utf8('12345')), 0)
    await store.complete(done)
    await store.append(partial, chunked(utf8('12')), 0)

    const inBucket = await collectList(ctx, sid)
    expect(inBucket.map((m) => m.key).sort()).toEqual([done.key, partial.key, oneTime.key].sort())
    for (const m of inBucket) expect(m.sid).toBe(sid)
    const byKey = new Map(inBucket.map((m) => [m.key, m]))
    expect(byKey.get(done.key)).toMatchObject({
      expiresAt: done.expiresAt,
      complete: true,
      offset: 5,
      uploadLength: 5,
    })
    expect(byKey.get(partial.key)).toMatchObject({ expiresAt: null, complete: false, uploadLength: 50 })
    expect(byKey.get(oneTime.key)).toMatchObject({ expiresAt: oneTime.expiresAt, retention: 'one-time' })

    const all = await collectList(ctx)
    const keys = all.map((m) => `${m.sid}/${m.key}`)
    expect(new Set(keys).size, 'list repeats files').toBe(keys.length)
    for (const f of [done, partial, oneTime, elsewhere]) expect(keys).toContain(`${f.sid}/${f.key}`)
    expect(await collectList(ctx, newBucketId())).toEqual([])
  })

  ctx.test('claim', async () => {
    const store = ctx.store()
    const file = newFileFixture({ retention: 'one-time' })
    await store.create(file)
    const count = async () =>
      (await Promise.all(Array.from({ length: 10 }, () => store.claim(file)))).filter(Boolean).length
    expect(await count()).toBe(1)
    expect(await store.claim(file)).toBe(false)
    await store.releaseClaim(file)
    expect(await count()).toBe(1)
    await store.releaseClaim(file)
    await store.releaseClaim(file)
    expect(await store.claim(file)).toBe(true)
    expect(await store.claim(file)).toBe(false)
  })
}
