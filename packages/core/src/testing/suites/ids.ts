/** Conformance: hostile ids never reach, escape or create anything in the backing storage. */
import { expect } from 'vitest'
import type { ErrorCode } from '../../errors.js'
import {
  type BucketId,
  type FileId,
  type FileRef,
  isValidId,
  parseBucketId,
  parseFileId,
  parseFileRef,
} from '../../ids.js'
import type { FileMeta } from '../../meta.js'
import type { Store } from '../../store.js'
import { assertBytes, chunked, collect, expectPsiError, newFileFixture, newRef, utf8 } from '../helpers.js'
import type { SuiteContext } from '../suite.js'

/** Ids that must never be accepted: traversal, separators, encodings, controls, bad lengths. */
export const HOSTILE_IDS: readonly string[] = [
  '..',
  '.',
  'a/b',
  '/etc/passwd',
  'a\\b',
  '',
  'a'.repeat(65),
  'a\u0000b',
  '%2e%2e',
  '%2F',
  'ünïcödé',
  'ａｂｃ',
  'a\u202eb',
  ' a',
  'a ',
  'a\nb',
  '-a',
  '_a',
  'a.json',
  'a++b',
  'C:',
]

const REJECTED: readonly ErrorCode[] = ['INVALID_ID', 'NOT_FOUND']

/** Forges a ref the parsers would never produce (what a bug upstream might pass). */
function forge(sid: string, key: string): FileRef {
  return { sid: sid as BucketId, key: key as FileId }
}

/** Every operation on `ref` must fail with INVALID_ID or NOT_FOUND. */
async function expectAllRejected(store: Store, ref: FileRef, offset = 0): Promise<void> {
  const label = JSON.stringify(ref)
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['create', () => store.create(newFileFixture({ sid: ref.sid, key: ref.key, uploadLength: 4 }))],
    ['info', () => store.info(ref)],
    ['update', () => store.update(ref, { comment: 'forged' })],
    ['append', () => store.append(ref, chunked(utf8('evil')), offset)],
    ['complete', () => store.complete(ref)],
    ['read', async () => collect(await store.read(ref))],
    ['claim', () => store.claim(ref)],
    ['delete', () => store.delete(ref)],
  ]
  for (const [name, op] of ops) {
    try {
      await expectPsiError(op, REJECTED)
    } catch (err) {
      throw new Error(`${name}(${label}): ${(err as Error).message}`, { cause: err })
    }
  }
}

export function registerIdsSuite(ctx: SuiteContext): void {
  ctx.test('ids.parsers', async () => {
    const good = newRef()
    expect(parseFileRef(`${good.sid}++${good.key}`)).toEqual(good)
    expect(parseBucketId('0123456789ab')).toBe('0123456789ab')
    expect(parseFileId('b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c')).toBe('b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c')
    for (const bad of [...HOSTILE_IDS, undefined, null, 42, {}, ['a']]) {
      await expectPsiError(() => parseBucketId(bad), 'INVALID_ID')
      await expectPsiError(() => parseFileId(bad), 'INVALID_ID')
      if (typeof bad !== 'string') {
        await expectPsiError(() => parseFileRef(bad), 'INVALID_ID')
        continue
      }
      await expectPsiError(() => parseFileRef(`${bad}++${good.key}`), 'INVALID_ID')
      await expectPsiError(() => parseFileRef(`${good.sid}++${bad}`), 'INVALID_ID')
    }
    await expectPsiError(() => parseFileRef(`${good.sid}${good.key}`), 'INVALID_ID')
    await expectPsiError(() => parseFileRef(`${good.sid}/${good.key}`), 'INVALID_ID')
  })

  ctx.test('ids.forged-refs', async () => {
    const store = ctx.store()
    const good = newRef()
    for (const bad of HOSTILE_IDS) {
      await expectAllRejected(store, forge(bad, good.key))
      await expectAllRejected(store, forge(good.sid, bad))
      try {
        const listed: FileMeta[] = []
        for await (const m of store.list({ sid: bad as BucketId })) listed.push(m)
        expect(listed, `list({ sid: ${JSON.stringify(bad)} })`).toEqual([])
      } catch (err) {
        await expectPsiError(Promise.reject(err), 'INVALID_ID')
      }
    }
    for (const m of await collectAll(store)) {
      expect(isValidId(m.sid) && isValidId(m.key), `list() returned a hostile id: ${m.sid}/${m.key}`).toBe(
        true,
      )
    }
  })

  ctx.test('ids.traversal', async () => {
    const store = ctx.store()
    const { probe } = ctx
    // An existing file (A, K) that forged refs try to reach, and a sibling (B, K2) they try to create.
    const existing = newFileFixture({ uploadLength: 10, comment: 'untouched' })
    await store.create(existing)
    await store.append(existing, chunked(utf8('secret')), 0)
    const { sid: A, key: K } = existing
    const sibling = newRef()
    const { sid: B, key: K2 } = sibling

    const towardsSibling = [
      forge(`${A}/../${B}`, K2),
      forge(A, `../${B}/${K2}`),
      forge('.', `${B}/${K2}`),
      forge(`${B}/.`, K2),
      forge(`./${B}`, K2),
      forge(`/${B}`, K2),
      forge(`${B}/`, K2),
      forge(`${A}\\..\\${B}`, K2),
      forge(B, `./${K2}`),
      forge(B, `${K2}/.`),
      forge(`${A}%2F..%2F${B}`, K2),
    ]
    for (const ref of towardsSibling) await expectAllRejected(store, ref)
    expect(await probe.readData(sibling), 'a forged ref created data for the sibling').toBeNull()
    expect(await probe.readMeta(sibling), 'a forged ref created metadata for the sibling').toBeNull()
    await expectPsiError(store.info(sibling), 'NOT_FOUND')
    expect(await collectAll(store, B)).toEqual([])

    const towardsExisting = [
      forge(`${B}/../${A}`, K),
      forge(A, `x/../${K}`),
      forge(`./${A}`, K),
      forge(`${A}/`, K),
      forge(`/${A}`, K),
      forge(A, `/${K}`),
      forge(`${B}\\..\\${A}`, K),
      forge(A, `${K}/.`),
    ]
    for (const ref of towardsExisting) await expectAllRejected(store, ref, 6)
    const after = await store.info(existing)
    expect(after).toMatchObject({ comment: 'untouched', offset: 6, complete: false })
    assertBytes(await probe.readData(existing), utf8('secret'), 'file targeted through traversal')
    expect(await store.claim(existing), 'a forged ref claimed the file').toBe(true)
  })
}

async function collectAll(store: Store, sid?: BucketId): Promise<FileMeta[]> {
  const out: FileMeta[] = []
  for await (const m of store.list(sid === undefined ? {} : { sid })) out.push(m)
  return out
}
