/**
 * A data directory written by PsiTransfer (src/fixtures/psitransfer-data, hand-made from its
 * fileStore/db format) must list, describe and download through FileStore, and what we write
 * must stay readable the way PsiTransfer reads it.
 */
import { cp, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type FileMeta, type FileRef, listAll } from '@psitransfer/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FileStore } from './file-store.js'
import { UNKNOWN_RETENTION } from './sidecar.js'
import { collect, fromChunks, makeStore, newFile, recordingLogger, tempDir } from './test-support/helpers.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/psitransfer-data', import.meta.url))
const ARGON =
  '$argon2id$v=19$m=8192,t=3,p=1$SGZ0bnR4c2FsdDEyMzQ1Ng$Jq3h0b0m3U2c8xQ9v7n1Yk4e6r2t8p0a5s7d9f1g3h4'

const ref = (sid: string, key: string) => ({ sid, key }) as FileRef
const HELLO = ref('5f3a9c1e7b2d', '3b8e2f6a-1c4d-4e9f-8a7b-2d5c6e1f0a93')
const PHOTO = ref('5f3a9c1e7b2d', 'c41d7e90-5a2b-4f3c-9d8e-7f6a5b4c3d2e')
const NOTES = ref('a0b1c2d3e4f5', '9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4')
const LEGACY = ref('0f0e0d0c0b0a', 'd2c1b0a9-8f7e-4d6c-b5a4-938271605f4e')
const PARTIAL = ref('0f0e0d0c0b0a', 'e5f4a3b2-c1d0-4e9f-8a7b-6c5d4e3f2a10')

const EXPECTED: Array<[FileRef, Partial<FileMeta>]> = [
  [
    HELLO,
    {
      name: 'hello.txt',
      comment: 'greetings',
      type: 'text/plain',
      retention: 86400,
      password: ARGON,
      uploadLength: 23,
      offset: 23,
      complete: true,
      createdAt: 1_700_000_000_000,
      expiresAt: 1_700_000_000_000 + 86_400_000,
      lastDownload: 1_700_000_500_000,
      downloads: 1,
      bucketLocked: true,
      relativePath: '',
      extra: {},
    },
  ],
  [
    PHOTO,
    {
      name: 'holiday photo.jpg',
      type: 'image/jpeg',
      password: ARGON,
      uploadLength: 3000,
      offset: 3000,
      complete: true,
      createdAt: 1_700_000_001_234,
      lastDownload: null,
      downloads: 0,
      bucketLocked: true,
    },
  ],
  [
    NOTES,
    {
      name: 'notes.md',
      comment: 'read once',
      retention: 'one-time',
      complete: true,
      expiresAt: null,
      bucketLocked: false,
    },
  ],
  [
    LEGACY,
    {
      name: 'legacy.bin',
      comment: '',
      retention: UNKNOWN_RETENTION,
      expiresAt: null,
      password: 'letmein',
      uploadLength: 1024,
      offset: 1024,
      complete: true,
      createdAt: 1_600_000_000_000,
      bucketLocked: true,
      extra: { client: 'psitransfer-1.x' },
    },
  ],
  [
    PARTIAL,
    {
      name: 'half.iso',
      type: '',
      password: 'letmein',
      retention: 3600,
      uploadLength: 100,
      offset: 40,
      complete: false,
      expiresAt: 1_600_000_500_000 + 3_600_000,
    },
  ],
]

/** What PsiTransfer itself derives from a sidecar (lib/db.js, lib/endpoints.js). */
function psitransferView(doc: Record<string, unknown>) {
  const md = doc.metadata as Record<string, unknown>
  return {
    partial: Boolean(doc.isPartial),
    name: md.name,
    retention: md.retention,
    protected: Boolean(md.password),
    password: md.password,
    // bucketSize() and the expiry sweeper coerce with unary plus
    uploadLength: +(md.uploadLength as string),
    createdAt: +(md.createdAt as string),
    oneTime: md.retention === 'one-time',
    expires: Number.isInteger(+(md.retention as string))
      ? +(md.createdAt as string) + +(md.retention as string) * 1000
      : null,
    locked: Boolean(md.buckedLocked),
  }
}

let dir: string
let cleanup: () => Promise<void>
let store: FileStore
let logger: ReturnType<typeof recordingLogger>

const sidecar = async (r: FileRef) =>
  JSON.parse(await readFile(path.join(dir, r.sid, `${r.key}.json`), 'utf8')) as Record<string, unknown>
const dataOf = (r: FileRef) => readFile(path.join(FIXTURE, r.sid, r.key))

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir('psi-fs-compat-'))
  await cp(FIXTURE, dir, { recursive: true })
  logger = recordingLogger()
  store = await makeStore(dir, { logger })
})
afterEach(async () => {
  await cleanup()
})

describe('reading a PsiTransfer data directory', () => {
  it('lists every file of every bucket', async () => {
    const listed = await listAll(store)
    expect(listed.map((m) => `${m.sid}/${m.key}`).sort()).toEqual(
      EXPECTED.map(([r]) => `${r.sid}/${r.key}`).sort(),
    )
    expect(logger.entries).toEqual([])
    const bucket = await listAll(store, { sid: HELLO.sid })
    expect(bucket.map((m) => m.name).sort()).toEqual(['hello.txt', 'holiday photo.jpg'])
  })

  it.each(EXPECTED.map(([r, e]) => [`${r.sid}/${e.name}`, r, e] as const))(
    'describes %s like PsiTransfer does',
    async (_label, r, expected) => {
      const info = await store.info(r)
      expect(info).toMatchObject({ sid: r.sid, key: r.key, ...expected })
      // An empty password is no password, for PsiTransfer and for us.
      if (expected.password === undefined) expect('password' in info).toBe(false)
      const listed = (await listAll(store, { sid: r.sid })).find((m) => m.key === r.key)
      expect(listed).toEqual(info)
    },
  )

  it.each(EXPECTED.map(([r, e]) => [`${r.sid}/${e.name}`, r] as const))(
    'downloads %s byte-exact',
    async (_l, r) => {
      const bytes = await collect(await store.read(r))
      expect(bytes.equals(await dataOf(r))).toBe(true)
      const info = await store.info(r)
      if (info.offset > 2) {
        const part = await collect(await store.read(r, { range: { start: 1, end: info.offset - 2 } }))
        expect(part.equals((await dataOf(r)).subarray(1, info.offset - 1))).toBe(true)
      }
    },
  )

  it('resumes an upload PsiTransfer left unfinished and marks it complete for both', async () => {
    const rest = Buffer.alloc(60, 0xab)
    expect(await store.append(PARTIAL, fromChunks([rest]), 40)).toBe(100)
    const done = await store.complete(PARTIAL)
    expect(done).toMatchObject({ complete: true, offset: 100, uploadLength: 100, retention: 3600 })
    const bytes = await collect(await store.read(PARTIAL))
    expect(bytes.equals(Buffer.concat([await dataOf(PARTIAL), rest]))).toBe(true)
    const doc = await sidecar(PARTIAL)
    expect(psitransferView(doc)).toMatchObject({
      partial: false,
      uploadLength: 100,
      createdAt: 1_600_000_500_000,
    })
    expect(doc).toMatchObject({ size: 100, offset: 100, uploadLength: 100 })
  })
})

describe('rewriting PsiTransfer sidecars', () => {
  it('keeps PsiTransfer spellings and unknown keys when updating', async () => {
    const before = await sidecar(HELLO)
    await store.update(HELLO, { lastDownload: 1_700_000_900_000, downloads: 2 })
    const after = await sidecar(HELLO)
    expect(psitransferView(after)).toEqual({ ...psitransferView(before) })
    expect((after.metadata as Record<string, unknown>).lastDownload).toBe(1_700_000_900_000)
    expect(after.metadata).toMatchObject({
      retention: '86400',
      createdAt: '1700000000000',
      uploadLength: '23',
    })
    expect(await store.info(HELLO)).toMatchObject({ downloads: 2, lastDownload: 1_700_000_900_000 })

    await store.update(LEGACY, { comment: 'migrated' })
    const legacy = await sidecar(LEGACY)
    expect(legacy.metadata).toMatchObject({ retention: 'forever', locked: true, client: 'psitransfer-1.x' })
    expect(await store.info(LEGACY)).toMatchObject({
      retention: UNKNOWN_RETENTION,
      expiresAt: null,
      comment: 'migrated',
    })
  })

  it('writes new files in a shape PsiTransfer reads', async () => {
    const file = newFile({ uploadLength: 5, retention: 604800, password: ARGON, bucketLocked: false })
    await store.create(file)
    expect(psitransferView(await sidecar(file))).toEqual({
      partial: true,
      name: 'report.pdf',
      retention: '604800',
      protected: true,
      password: ARGON,
      uploadLength: 5,
      createdAt: file.createdAt,
      oneTime: false,
      expires: file.createdAt + 604_800_000,
      locked: false,
    })
    await store.append(file, fromChunks([Buffer.from('12345')]), 0)
    await store.complete(file)
    // Completion is not written at once (our own reads derive it from the size); PsiTransfer
    // lists and serves the file either way, and the next metadata change records it.
    expect(psitransferView(await sidecar(file)).partial).toBe(true)
    await store.update(file, { lastDownload: file.createdAt + 1000, downloads: 1 })
    const doc = await sidecar(file)
    expect(psitransferView(doc).partial).toBe(false)
    expect(doc).toMatchObject({ key: file.key, size: 5, offset: 5, uploadLength: 5 })
    expect(doc.metadata).toMatchObject({ sid: file.sid, key: file.key, createdAt: String(file.createdAt) })

    const oneTime = newFile({ retention: 'one-time', expiresAt: null })
    await store.create(oneTime)
    expect(psitransferView(await sidecar(oneTime))).toMatchObject({
      oneTime: true,
      expires: null,
      protected: false,
    })
  })

  it('reads a sidecar PsiTransfer rewrote after us (its fields win, ours survive)', async () => {
    const file = newFile({ uploadLength: 2, comment: 'ours', extra: { lang: 'de' } })
    await store.create(file)
    await store.append(file, fromChunks([Buffer.from('ok')]), 0)
    await store.complete(file)
    // PsiTransfer's db.lock()/updateLastDownload: read JSON, change metadata, write it back.
    const doc = await sidecar(file)
    const md = doc.metadata as Record<string, unknown>
    md.buckedLocked = true
    md.lastDownload = 1_800_000_000_000
    const { writeFile } = await import('node:fs/promises')
    await writeFile(path.join(dir, file.sid, `${file.key}.json`), JSON.stringify(doc))
    expect(await store.info(file)).toMatchObject({
      bucketLocked: true,
      lastDownload: 1_800_000_000_000,
      complete: true,
      comment: 'ours',
      extra: { lang: 'de' },
    })
  })
})
