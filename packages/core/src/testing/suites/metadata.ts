/** Conformance: store shape, create/info/update round trips, isolation, missing files. */
import { expect } from 'vitest'
import { newFileId } from '../../ids.js'
import type { FileMeta, MetaPatch } from '../../meta.js'
import { assertBytes, chunked, expectPsiError, newFileFixture, newRef, utf8 } from '../helpers.js'
import type { SuiteContext } from '../suite.js'

/** Alphanumeric marker to look for in persisted metadata. */
export function marker(): string {
  return `mk${newFileId().replace(/[^A-Za-z0-9]/g, '')}`
}

/** True when `marker` occurs anywhere in the probe's decoded metadata. */
export function persistedContains(raw: unknown, text: string): boolean {
  return (typeof raw === 'string' ? raw : JSON.stringify(raw)).includes(text)
}

/** A record without the store-private part, for comparing what two calls returned. */
export function publicMeta(meta: FileMeta): Omit<FileMeta, 'storeState'> {
  const { storeState: _s, ...rest } = meta
  return rest
}

export function registerMetadataSuite(ctx: SuiteContext): void {
  const { probe } = ctx

  ctx.test('store.shape', async () => {
    const store = ctx.store()
    expect(typeof store.type).toBe('string')
    expect(store.type.length).toBeGreaterThan(0)
    // `downloadUrl` is optional; present means the store signs direct download URLs.
    expect(['undefined', 'function']).toContain(typeof store.downloadUrl)
  })

  ctx.test('create.round-trip', async () => {
    const store = ctx.store()
    const mark = marker()
    const createdAt = Date.UTC(2026, 2, 3, 4, 5, 6)
    const file = newFileFixture({
      name: 'Résumé 2024 ✓ 📄.pdf',
      relativePath: 'docs/cv',
      comment: `note ${mark}`,
      type: 'application/pdf',
      retention: 'one-time',
      password: '$scrypt$ln=15,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
      uploadLength: 1234,
      createdAt,
      expiresAt: createdAt + 86_400_000,
      bucketLocked: true,
      extra: { lang: 'fr', 'odd key': 'a=b;c' },
      concat: { kind: 'partial' },
    })
    const created = await store.create(file)
    expect(created).toMatchObject({
      ...file,
      offset: 0,
      complete: false,
      downloads: 0,
      lastDownload: null,
    } satisfies FileMeta)
    const info = await store.info(file)
    expect(publicMeta(info)).toEqual(publicMeta(created))
    const raw = await probe.readMeta(file)
    expect(raw, 'probe sees no metadata after create').not.toBeNull()
    expect(persistedContains(raw, mark), 'persisted metadata lacks the comment').toBe(true)
    assertBytes(await probe.readData(file), new Uint8Array(0), 'persisted data after create')
  })

  ctx.test('create.duplicate', async () => {
    const store = ctx.store()
    const file = newFileFixture({ comment: 'original', uploadLength: 10 })
    await store.create(file)
    await store.append(file, chunked(utf8('abc')), 0)
    await expectPsiError(store.create({ ...file, comment: 'second' }), 'INVALID_INPUT')
    const info = await store.info(file)
    expect(info.comment).toBe('original')
    expect(info.offset).toBe(3)
    assertBytes(await probe.readData(file), utf8('abc'), 'persisted data')
  })

  ctx.test('meta.isolation', async () => {
    const store = ctx.store()
    const file = newFileFixture({ comment: 'kept', extra: { a: '1' } })
    const created = await store.create(file)
    file.comment = 'changed input'
    file.extra.a = 'changed input'
    created.comment = 'changed output'
    created.extra.a = 'changed output'
    const info = await store.info(file)
    expect(info.comment).toBe('kept')
    expect(info.extra).toEqual({ a: '1' })
    info.extra.a = 'changed info'
    const patch: MetaPatch = { extra: { b: '2' } }
    const updated = await store.update(file, patch)
    ;(patch.extra as Record<string, string>).b = 'changed patch'
    updated.extra.b = 'changed update result'
    const listed = (await collectList(ctx, file.sid)).find((m) => m.key === file.key)
    if (listed) listed.extra.b = 'changed list result'
    const after = await store.info(file)
    expect(after.comment).toBe('kept')
    expect(after.extra).toEqual({ b: '2' })
  })

  ctx.test('update.round-trip', async () => {
    const store = ctx.store()
    const file = newFileFixture({ uploadLength: 10, comment: 'before' })
    await store.create(file)
    await store.append(file, chunked(utf8('0123')), 0)
    const mark = marker()
    const patch = {
      name: 'renamed.txt',
      comment: `after ${mark}`,
      type: 'text/plain',
      retention: 60,
      password: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      expiresAt: file.createdAt + 60_000,
      lastDownload: file.createdAt + 5_000,
      downloads: 2,
      bucketLocked: true,
      extra: { k: 'v' },
    } satisfies MetaPatch
    const updated = await store.update(file, patch)
    expect(updated).toMatchObject({
      ...patch,
      sid: file.sid,
      key: file.key,
      offset: 4,
      uploadLength: 10,
      complete: false,
    })
    expect(updated.relativePath).toBe(file.relativePath)
    expect(publicMeta(await store.info(file))).toEqual(publicMeta(updated))
    expect(persistedContains(await probe.readMeta(file), mark), 'persisted metadata lacks the update').toBe(
      true,
    )
    assertBytes(await probe.readData(file), utf8('0123'), 'data after update')

    // Identity and byte state belong to the store: a forged patch may be refused, never applied.
    const forged = { offset: 999, complete: true, key: newFileId(), sid: file.sid } as unknown as MetaPatch
    await store
      .update(file, forged)
      .catch((err: unknown) => expectPsiError(Promise.reject(err), 'INVALID_INPUT'))
    const after = await store.info(file)
    expect(after).toMatchObject({ key: file.key, offset: 4, complete: false })
  })

  ctx.test('missing.not-found', async () => {
    const store = ctx.store()
    const ref = newRef()
    await expectPsiError(store.info(ref), 'NOT_FOUND')
    await expectPsiError(store.update(ref, { comment: 'x' }), 'NOT_FOUND')
    await expectPsiError(store.append(ref, chunked(utf8('data')), 0), 'NOT_FOUND')
    await expectPsiError(store.complete(ref), 'NOT_FOUND')
    await expectPsiError(store.read(ref), 'NOT_FOUND')
    await expectPsiError(store.delete(ref), 'NOT_FOUND')
    await expectPsiError(store.claim(ref), 'NOT_FOUND')
    expect(await probe.readData(ref)).toBeNull()
    expect(await probe.readMeta(ref)).toBeNull()
    expect(await collectList(ctx, ref.sid)).toEqual([])
  })
}

export async function collectList(ctx: SuiteContext, sid?: FileMeta['sid']): Promise<FileMeta[]> {
  const out: FileMeta[] = []
  for await (const m of ctx.store().list(sid === undefined ? {} : { sid })) out.push(m)
  return out
}
