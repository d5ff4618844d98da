/**
 * Paths can never leave uploadDir: hostile ids are refused before any path is built, and
 * symlinks planted inside the tree are never followed (not for reading, writing or deleting).
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type FileRef, listAll, newBucketId, newFileId } from '@psitransfer/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FileStore } from './file-store.js'
import { resolveBucketDir, resolveFile } from './paths.js'
import { encodeSidecar } from './sidecar.js'
import {
  collect,
  fromChunks,
  makeStore,
  newFile,
  recordingLogger,
  rejectsWithCode,
  tempDir,
} from './test-support/helpers.js'

let dir: string
let outside: string
let cleanups: Array<() => Promise<void>>
let store: FileStore
let logger: ReturnType<typeof recordingLogger>

beforeEach(async () => {
  const a = await tempDir('psi-fs-safety-')
  const b = await tempDir('psi-fs-outside-')
  dir = a.dir
  outside = b.dir
  cleanups = [a.cleanup, b.cleanup]
  logger = recordingLogger()
  store = await makeStore(dir, { logger })
})
afterEach(async () => {
  for (const c of cleanups) await c()
})

/** Snapshot of a directory tree (names → contents) to prove nothing outside changed. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of await readdir(root, { recursive: true })) {
    const p = path.join(root, name)
    const st = await lstat(p)
    out[name] = st.isFile() ? (await readFile(p)).toString('base64') : st.isDirectory() ? 'dir' : 'other'
  }
  return out
}

/** Every operation on `ref` must be refused with one of `codes`. */
async function expectRefused(ref: FileRef, codes: string[] = ['NOT_FOUND']): Promise<void> {
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['info', () => store.info(ref)],
    ['update', () => store.update(ref, { comment: 'pwned' })],
    ['append', () => store.append(ref, fromChunks([Buffer.from('pwned')]), 0)],
    ['append at size', async () => store.append(ref, fromChunks([Buffer.from('pwned')]), 11)],
    ['complete', () => store.complete(ref)],
    ['read', async () => collect(await store.read(ref))],
    ['claim', () => store.claim(ref)],
    ['delete', () => store.delete(ref)],
  ]
  for (const [name, op] of ops) {
    const err = await op().then(
      () => new Error(`${name} succeeded`),
      (e: Error & { code?: string }) => e,
    )
    expect(codes, `${name}: ${err.message}`).toContain((err as { code?: string }).code)
  }
}

describe('hostile ids', () => {
  it('are refused before a path is built', () => {
    for (const [sid, key] of [
      ['..', 'x'],
      ['a', '..'],
      ['a/b', 'x'],
      ['a', 'b/../../c'],
      ['/etc', 'passwd'],
      ['a', 'x.json'],
      ['', 'x'],
    ]) {
      expect(() => resolveFile(dir, { sid, key } as unknown as FileRef)).toThrow(/Invalid/)
    }
    expect(() => resolveBucketDir(dir, '..')).toThrow(/Invalid bucket id/)
    const ok = resolveFile(dir, { sid: 'abc', key: 'def' } as FileRef)
    expect(ok).toMatchObject({
      data: path.join(dir, 'abc', 'def'),
      sidecar: path.join(dir, 'abc', 'def.json'),
    })
  })

  it('never touch anything outside uploadDir', async () => {
    const before = await snapshot(outside)
    const rel = path.relative(dir, outside)
    for (const sid of ['..', rel, outside, `../${path.basename(outside)}`]) {
      await expectRefused({ sid, key: 'secret' } as unknown as FileRef, ['INVALID_ID'])
      await rejectsWithCode(store.create(newFile({ sid: sid as never })), 'INVALID_ID')
    }
    expect(await snapshot(outside)).toEqual(before)
    expect(await readdir(dir)).toEqual([])
  })
})

describe('planted symlinks', () => {
  /** A complete, valid-looking file in `where` (so following a link would "work"). */
  async function plantFile(where: string, ref: FileRef, content = 'outside data') {
    await mkdir(where, { recursive: true })
    await writeFile(path.join(where, ref.key), content)
    const meta = { ...newFile({ sid: ref.sid, key: ref.key, uploadLength: content.length }), offset: 0 }
    const doc = encodeSidecar(
      { ...meta, complete: true, downloads: 0, lastDownload: null },
      undefined,
      content.length,
    )
    await writeFile(path.join(where, `${ref.key}.json`), JSON.stringify(doc))
  }

  it('refuses a bucket directory that is a symlink to outside', async () => {
    const ref = { sid: newBucketId(), key: newFileId() }
    await plantFile(path.join(outside, 'bucket'), ref)
    await symlink(path.join(outside, 'bucket'), path.join(dir, ref.sid))
    const before = await snapshot(outside)

    await expectRefused(ref)
    await rejectsWithCode(store.create(newFile({ sid: ref.sid })), 'STORE_MISCONFIGURED')
    expect(await listAll(store)).toEqual([])
    expect(await listAll(store, { sid: ref.sid })).toEqual([])
    expect(await snapshot(outside)).toEqual(before)
    expect(logger.entries.length).toBeGreaterThan(0)
    // The link itself is left for the operator to inspect.
    expect((await lstat(path.join(dir, ref.sid))).isSymbolicLink()).toBe(true)
  })

  it('checks a bucket directory again once its last check is older than bucketCheckTtlMs', async () => {
    for (const ttl of [0, 50]) {
      store = await makeStore(dir, { logger, bucketCheckTtlMs: ttl })
      const ref = { sid: newBucketId(), key: newFileId() }
      await store.create(newFile({ ...ref, uploadLength: 11 })) // checked (created) just now
      // Swapped behind the store's back for a link to a planted copy outside.
      await rm(path.join(dir, ref.sid), { recursive: true })
      await plantFile(path.join(outside, `bucket-${ttl}`), ref)
      await symlink(path.join(outside, `bucket-${ttl}`), path.join(dir, ref.sid))
      const before = await snapshot(outside)
      await new Promise((r) => setTimeout(r, ttl * 2))
      await expectRefused(ref)
      expect(await snapshot(outside)).toEqual(before)
    }
  })

  it('refuses a data file that is a symlink to /etc/passwd', async () => {
    const file = newFile({ uploadLength: 1_000_000 })
    await store.create(file)
    const data = path.join(dir, file.sid, file.key)
    await rm(data)
    await symlink('/etc/passwd', data)
    await rejectsWithCode(store.info(file), 'NOT_FOUND')
    await rejectsWithCode(store.read(file), 'NOT_FOUND')
    await rejectsWithCode(store.read(file, { range: { start: 0, end: 10 } }), 'NOT_FOUND')
    await rejectsWithCode(store.claim(file), 'NOT_FOUND')
    expect(await listAll(store)).toEqual([])
  })

  it('never writes through a data file symlink', async () => {
    const file = newFile({ uploadLength: 1_000 })
    await store.create(file)
    const target = path.join(outside, 'victim')
    await writeFile(target, 'precious')
    const data = path.join(dir, file.sid, file.key)
    await rm(data)
    await symlink(target, data)
    const before = await snapshot(outside)
    for (const offset of [0, 8]) {
      await rejectsWithCode(store.append(file, fromChunks([Buffer.from('pwned')]), offset), 'NOT_FOUND')
    }
    await rejectsWithCode(store.complete(file), 'NOT_FOUND')
    await rejectsWithCode(store.update(file, { comment: 'x' }), 'NOT_FOUND')
    // Deleting removes the link, never its target.
    await store.delete(file)
    await expect(lstat(data)).rejects.toThrow()
    expect(await snapshot(outside)).toEqual(before)
  })

  it('never reads or replaces a sidecar through a symlink', async () => {
    const file = newFile({ uploadLength: 5 })
    await store.create(file)
    const fakeRef = { sid: file.sid, key: file.key }
    await plantFile(outside, fakeRef)
    const sidecarPath = path.join(dir, file.sid, `${file.key}.json`)
    await rm(sidecarPath)
    await symlink(path.join(outside, `${file.key}.json`), sidecarPath)
    const before = await snapshot(outside)
    await rejectsWithCode(store.info(file), 'NOT_FOUND')
    await rejectsWithCode(store.update(file, { comment: 'x' }), 'NOT_FOUND')
    await rejectsWithCode(store.read(file), 'NOT_FOUND')
    expect(await listAll(store)).toEqual([])
    expect(await snapshot(outside)).toEqual(before)
  })

  it('does not follow a planted claim marker', async () => {
    const file = newFile({ uploadLength: 0 })
    await store.create(file)
    const target = path.join(outside, 'claim-target')
    await symlink(target, path.join(dir, file.sid, `${file.key}.claim`))
    expect(await store.claim(file)).toBe(false)
    await expect(lstat(target)).rejects.toThrow()
  })
})
