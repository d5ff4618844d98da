/**
 * Parts streamed while the PATCH arrives (the previous PATCH's size predicts that the part
 * fills): when the PATCH ends short or is aborted, the part upload is aborted before its last
 * byte, S3 holds no such part, and the received bytes are a tail like in any other PATCH.
 */

import { Readable } from 'node:stream'
import { formatFileRef, isPsiError } from '@psitransfer/core'
import { checkPattern, patternBytes } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { createS3Client } from './client.js'
import { MIN_PART_SIZE, parseS3StoreConfig } from './config.js'
import { S3Locker } from './locker.js'
import type { S3Store, S3StoreDeps } from './s3-store.js'
import { type makeStore, storeOptions } from './test-support/env.js'
import { storeSuite } from './test-support/suite.js'
import { newFile, patchPattern } from './test-support/upload.js'

const S = MIN_PART_SIZE
const CHUNK = 5_000_000
const { prefix, raw, probe, store: newStore } = storeSuite('streaming', { partSize: S })
const store = (deps: S3StoreDeps = {}): S3Store => newStore({}, deps)

/** Pattern bytes `[from, from + length)` in 64 KiB chunks, then `after()` (which may stall). */
async function* body(seed: number, from: number, length: number, after?: () => Promise<void>) {
  for (let at = from; at < from + length; at += 64 * 1024)
    yield patternBytes(seed, at, Math.min(64 * 1024, from + length - at))
  await after?.()
}

async function setUp(seed: number, size: number, deps: Parameters<typeof makeStore>[2] = {}) {
  const s = store(deps)
  const locker = new S3Locker(s)
  const file = newFile(size)
  await s.create(file)
  // Two 5,000,000-byte PATCHes (part 1, then a tail of 4,757,120 bytes): the next PATCH is
  // expected to bring as much again and fill part 2, so part 2 streams from its start.
  await patchPattern(s, file, seed, 0, 2 * CHUNK, CHUNK, { locker })
  return { s, locker, file }
}

async function partsInS3(file: ReturnType<typeof newFile>): Promise<number> {
  const meta = JSON.parse(
    new TextDecoder().decode((await raw.get(`${prefix}${file.sid}/${file.key}.json`)) ?? new Uint8Array()),
  )
  return ((await raw.parts(`${prefix}${file.sid}/${file.key}`, meta.s3.uploadId)) ?? []).length
}

describe('parts streamed while the PATCH arrives', () => {
  it('a PATCH ending short of the streamed part: the part is abandoned, its bytes are a tail', async () => {
    const seed = 21
    const size = 4 * CHUNK
    const { s, locker, file } = await setUp(seed, size)
    // Part 1 streamed during PATCH 2 (PATCH 1 predicted it), and part 2 is already uploading
    // the tail: the lock lingers between PATCHes in a row, so the next part starts early.
    expect(s.stats.streamedParts).toBe(2)
    expect(await partsInS3(file)).toBe(1)
    const lock = await locker.lock(formatFileRef(file))
    let offset: number
    try {
      offset = await s.append(file, body(seed, 2 * CHUNK, 100_000), 2 * CHUNK)
    } finally {
      await lock.release()
    }
    expect(offset).toBe(2 * CHUNK + 100_000)
    // PATCH 3 continued part 2 (no new request) and abandoned it: S3 has part 1 only.
    expect(s.stats.streamedParts).toBe(2)
    expect(s.stats.requests.UploadPart).toBe(2)
    expect(await partsInS3(file)).toBe(1)
    expect(await probe.verify(file, patternBytes(seed, 0, offset))).toBe(offset)
    // The upload goes on (now with full PATCHes that stream their parts) and is byte-exact.
    await patchPattern(s, file, seed, offset, size, CHUNK, { locker })
    expect(await partsInS3(file)).toBeGreaterThan(0)
    await s.complete(file)
    expect(await checkPattern(seed, await s.read(file))).toEqual({ length: size, firstMismatch: null })
  })

  it('a PATCH aborted mid-body while its part streams: the offset is what S3 holds, and it resumes', async () => {
    const seed = 22
    const size = 3 * CHUNK + 12_345
    const { s, locker, file } = await setUp(seed, size)
    const ac = new AbortController()
    const lock = await locker.lock(formatFileRef(file))
    let error: unknown
    try {
      // 100 kB arrive, then the client goes silent and the request is aborted.
      const stalled = body(seed, 2 * CHUNK, 100_000, () => {
        setTimeout(() => ac.abort(new Error('client went away (test)')), 50)
        return new Promise<void>(() => {})
      })
      await s.append(file, stalled, 2 * CHUNK, { signal: ac.signal })
    } catch (err) {
      error = err
    } finally {
      await lock.release()
    }
    expect(isPsiError(error) && error.code).toBe('ABORTED')
    expect(s.stats.streamedParts).toBe(2)
    expect(await partsInS3(file)).toBe(1)
    const info = await s.info(file)
    // Bytes that reached S3 before the abort count; never more than S3 holds.
    expect(info.offset).toBe(2 * CHUNK + 100_000)
    expect(await probe.verify(file, patternBytes(seed, 0, info.offset))).toBe(info.offset)
    // Another instance (nothing in memory) resumes from S3 alone, once this one has let go.
    await s.close() // (closing again after the file is harmless)
    const other = store()
    await patchPattern(other, file, seed, info.offset, size, CHUNK, { locker: new S3Locker(other) })
    await other.complete(file)
    expect(await checkPattern(seed, await other.read(file))).toEqual({ length: size, firstMismatch: null })
  })

  it('full PATCHes stream every part they fill, none abandoned', async () => {
    const seed = 23
    const size = 8 * CHUNK + 1
    const { s, locker, file } = await setUp(seed, size)
    await patchPattern(s, file, seed, 2 * CHUNK, size, CHUNK, { locker })
    // 40,000,001 bytes are 7 parts of 5 MiB and a final one; all 8 streamed, one request each
    // (parts 2..8 started with the previous PATCH's tail; the last PATCH is a single byte).
    expect(await partsInS3(file)).toBe(8)
    expect(s.stats.streamedParts).toBe(8)
    expect(s.stats.requests.UploadPart).toBe(8)
    await s.complete(file)
    expect(await checkPattern(seed, await s.read(file))).toEqual({ length: size, firstMismatch: null })
  })

  it('a streamed part the server refuses is sent again from memory (with retries)', async () => {
    const seed = 24
    const size = 4 * CHUNK
    const client = createS3Client(parseS3StoreConfig(storeOptions(prefix)))
    let refused = 0
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Body?: unknown; PartNumber?: number }
        if (input.Body instanceof Readable && refused === 0) {
          refused++
          // Let the body start flowing, as a server failing mid-upload would.
          await new Promise((r) => setTimeout(r, 20))
          throw Object.assign(new Error('injected failure (test)'), {
            name: 'InternalError',
            $metadata: { httpStatusCode: 500 },
          })
        }
        return next(args)
      },
      { step: 'initialize', name: 'failFirstStreamedPart' },
    )
    const { s, locker, file } = await setUp(seed, size, { client })
    const streamed = s.stats.streamedParts
    await patchPattern(s, file, seed, 2 * CHUNK, size, CHUNK, { locker })
    expect(refused).toBe(1)
    expect(s.stats.streamedParts - streamed).toBeGreaterThan(1)
    expect(await probe.verify(file, patternBytes(seed, 0, size))).toBe(size)
    await s.complete(file)
    expect(await checkPattern(seed, await s.read(file))).toEqual({ length: size, firstMismatch: null })
  })

  it('memory another upload needs is taken from a part started early (which is then abandoned)', async () => {
    const seed = 25
    const s = newStore({ maxBufferedBytes: 2 * S })
    // A long linger: only the memory budget can take the early part away within this test.
    const locker = new S3Locker(s, { lingerMs: 30_000 })
    const a = newFile(4 * CHUNK)
    await s.create(a)
    await patchPattern(s, a, seed, 0, 2 * CHUNK, CHUNK, { locker })
    expect(s.stats.bufferedBytes).toBe(S) // part 3 of upload A, started early, holds a buffer
    // Upload B needs two buffers at once (a part in flight and the next one filling).
    const b = newFile(2 * S + 10)
    await s.create(b)
    await patchPattern(s, b, seed + 1, 0, 2 * S + 10, 2 * S + 10, { locker })
    expect(s.stats.peakBufferedBytes).toBeLessThanOrEqual(2 * S)
    // A goes on: its early part is gone, so the tail is read back from S3 this time.
    const reads = s.stats.requests.GetObject ?? 0
    await patchPattern(s, a, seed, 2 * CHUNK, 4 * CHUNK, CHUNK, { locker })
    expect((s.stats.requests.GetObject ?? 0) - reads).toBeGreaterThan(0)
    await s.complete(a)
    await s.complete(b)
    expect(await checkPattern(seed, await s.read(a))).toEqual({ length: 4 * CHUNK, firstMismatch: null })
    expect(await checkPattern(seed + 1, await s.read(b))).toEqual({ length: 2 * S + 10, firstMismatch: null })
  })
})
