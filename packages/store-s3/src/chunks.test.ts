/**
 * TUS chunk sizes against the real S3 server: every PATCH size a client may send, each upload
 * byte-exact, parts equal-sized except the last, and S3 holding exactly the acknowledged bytes
 * after PATCHes (parts checked by MD5 against the expected bytes, tails byte for byte).
 */
import { formatFileRef } from '@psitransfer/core'
import { checkPattern, patternBytes } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { S3Locker } from './locker.js'
import type { S3Store } from './s3-store.js'
import { storeSuite } from './test-support/suite.js'
import { chunks, newFile, patchPattern } from './test-support/upload.js'

const MiB = 1024 * 1024
const suite = storeSuite('chunks')
const { prefix, raw, probe } = suite
const store = (partSize = MIN_PART_SIZE, adaptivePartSize = true): S3Store =>
  suite.store({ partSize, adaptivePartSize })

/** Uploads `size` bytes in `patchSize` PATCHes, checking S3 after the PATCHes `check` picks, then completes and reads back. */
async function roundTrip(
  s: S3Store,
  seed: number,
  size: number,
  patchSize: number,
  check: (patch: number) => boolean,
  /** Size every part but the last must have (default: the metadata's part size). */
  partSize?: number,
) {
  const file = newFile(size)
  await s.create(file)
  const locker = new S3Locker(s)
  await patchPattern(s, file, seed, 0, size, patchSize, {
    locker,
    afterPatch: async (offset, patch) => {
      if (check(patch)) expect(await probe.verify(file, patternBytes(seed, 0, offset))).toBe(offset)
    },
  })
  const meta = (await raw.list(`${prefix}${file.sid}/${file.key}.json`))[0]
  expect(meta).toBeDefined()
  // Before completion: every part but the last has the upload's part size.
  const stored = JSON.parse(
    new TextDecoder().decode((await raw.get(`${prefix}${file.sid}/${file.key}.json`)) ?? new Uint8Array()),
  )
  if (stored.s3.uploadId) {
    const parts = (await raw.parts(`${prefix}${file.sid}/${file.key}`, stored.s3.uploadId)) ?? []
    expect(parts.length).toBeGreaterThan(0)
    for (const p of parts.slice(0, -1)) expect(p.size).toBe(partSize ?? stored.s3.partSize)
  }
  const done = await s.complete(file)
  expect(done).toMatchObject({ complete: true, offset: size })
  const check2 = await checkPattern(seed, await s.read(file))
  expect(check2).toEqual({ length: size, firstMismatch: null })
  expect(await probe.verify(file, patternBytes(seed, 0, size))).toBe(size)
  // Nothing but the object and its metadata (and a released lock) is left.
  const left = (await raw.list(`${prefix}${file.sid}/${file.key}`)).map((o) =>
    o.key.slice(prefix.length + file.sid.length + 1),
  )
  expect(left.filter((k) => !k.includes('.lock.')).sort()).toEqual([file.key, `${file.key}.json`])
  expect(await raw.multipartUploads(`${prefix}${file.sid}/`)).toEqual([])
  return file
}

describe('TUS chunk sizes, byte-exact', () => {
  it('1-byte PATCHes, across a part boundary (tails merged, part built from 1-byte segments)', async () => {
    const s = store()
    const size = MIN_PART_SIZE + 40
    const file = newFile(size)
    await s.create(file)
    const locker = new S3Locker(s)
    // Most of the first part in one PATCH, then 1-byte PATCHes across the boundary.
    await patchPattern(s, file, 1, 0, MIN_PART_SIZE - 30, MIN_PART_SIZE - 30, { locker })
    await patchPattern(s, file, 1, MIN_PART_SIZE - 30, size, 1, {
      locker,
      afterPatch: async (offset, patch) => {
        if (patch % 7 === 0 || offset === MIN_PART_SIZE) {
          expect(await probe.verify(file, patternBytes(1, 0, offset))).toBe(offset)
        }
      },
    })
    await s.complete(file)
    expect(await checkPattern(1, await s.read(file))).toEqual({ length: size, firstMismatch: null })
  })

  it('1-byte PATCHes of a small file (no multipart)', async () => {
    await roundTrip(store(), 2, 100, 1, (p) => p % 10 === 0)
  })

  it('64 KiB PATCHes', async () => {
    await roundTrip(store(), 3, 11 * MiB + 12_345, 64 * 1024, (p) => p % 40 === 0)
  })

  it("5,000,000-byte PATCHes (PsiTransfer's client), default 8 MiB parts: 5 MiB parts chosen", async () => {
    await roundTrip(store(8 * MiB), 4, 27_000_123, 5_000_000, () => true, MIN_PART_SIZE)
  })

  it('5,000,000-byte PATCHes with adaptivePartSize off keep 8 MiB parts', async () => {
    await roundTrip(store(8 * MiB, false), 9, 27_000_123, 5_000_000, () => true, 8 * MiB)
  })

  it('6,000,000-byte PATCHes with 8 MiB parts: each PATCH becomes one part, no tail after the first', async () => {
    const s = store(8 * MiB)
    const before = s.stats.bytesSent
    await roundTrip(s, 10, 30_000_000, 6_000_000, (p) => p % 2 === 0, 6_000_000)
    // Every byte once, plus the first PATCH's tail once more (and small metadata/lock objects).
    expect(s.stats.bytesSent - before).toBeLessThan(30_000_000 + 6_000_000 + 64 * 1024)
  })

  it('16 MiB PATCHes keep the configured 8 MiB parts', async () => {
    await roundTrip(store(8 * MiB), 11, 40 * MiB + 5, 16 * MiB, () => true, 8 * MiB)
  })

  it('exactly 5 MiB PATCHes with 5 MiB parts (no tails)', async () => {
    const s = store()
    const file = await roundTrip(s, 5, 3 * MIN_PART_SIZE + 1000, MIN_PART_SIZE, () => true)
    expect(file).toBeDefined()
  })

  it('5 MiB + 1 PATCHes', async () => {
    await roundTrip(store(), 6, 4 * MIN_PART_SIZE + 17, MIN_PART_SIZE + 1, () => true)
  })

  it('one 100 MiB PATCH', async () => {
    await roundTrip(store(8 * MiB), 7, 100 * MiB, 100 * MiB, () => true)
  })

  it('a file of exactly one part size goes out as one PutObject', async () => {
    const s = store()
    const before = s.stats.requests
    await roundTrip(s, 8, MIN_PART_SIZE, MIN_PART_SIZE, () => true)
    const after = s.stats.requests
    expect((after.CreateMultipartUpload ?? 0) - (before.CreateMultipartUpload ?? 0)).toBe(0)
    expect((after.UploadPart ?? 0) - (before.UploadPart ?? 0)).toBe(0)
  })

  it('locks every PATCH through S3Locker like the server', () => {
    // The helper above takes the S3 lock for each PATCH; this only documents the id format.
    expect(formatFileRef(newFile(1))).toContain('++')
  })
})

describe('part size of a deferred-length upload', () => {
  it('a length declared under a held lock gives the part size a fresh instance derives, so parts stay equal', async () => {
    const MB = 1024 * 1024
    const s = store()
    const locker = new S3Locker(s)
    const file = newFile(null)
    await s.create(file)
    const lock = await locker.lock(formatFileRef(file))
    try {
      // As the TUS machine does for PATCHes under one lock: bytes, then update() with the
      // declared length, then more bytes.
      expect(await s.append(file, chunks(patternBytes(31, 0, 6 * MB)), 0)).toBe(6 * MB)
      await s.update(file, { uploadLength: 30 * MB })
      expect(await s.append(file, chunks(patternBytes(31, 6 * MB, 16 * MB)), 6 * MB)).toBe(22 * MB)
    } finally {
      await lock.release()
    }
    // What any instance derives from S3: 6 MiB parts (the bytes buffered when the length was
    // known), all the same size; the lock holder cut the same ones.
    const meta = JSON.parse(
      new TextDecoder().decode((await raw.get(`${prefix}${file.sid}/${file.key}.json`)) ?? new Uint8Array()),
    )
    const parts = await raw.parts(`${prefix}${file.sid}/${file.key}`, meta.s3.uploadId)
    expect(parts?.map((p) => p.size)).toEqual([6 * MB, 6 * MB, 6 * MB])
    const fresh = store()
    expect((await fresh.info(file)).offset).toBe(22 * MB)
    expect(await probe.verify(file, patternBytes(31, 0, 22 * MB))).toBe(22 * MB)
    expect(await fresh.append(file, chunks(patternBytes(31, 22 * MB, 8 * MB)), 22 * MB)).toBe(30 * MB)
    await fresh.complete(file)
    expect(await checkPattern(31, await fresh.read(file))).toEqual({ length: 30 * MB, firstMismatch: null })
  })
})
