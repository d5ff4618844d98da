/**
 * Entry ends of archives: {@link ArchiveJob.sentWhole} must say an entry is whole exactly once
 * the body's bytes hold all of its data (checked against the real zip and tar.gz layout), so
 * an aborted archive consumes the one-time files the client got and only those.
 */
import { randomBytes } from 'node:crypto'
import { gunzipSync, constants as zlibConstants } from 'node:zlib'
import { type FileMeta, newFileId, parseBucketId, type Store } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import { type ArchiveFormat, createArchive } from './stream.js'

async function addFile(store: Store, name: string, data: Uint8Array): Promise<FileMeta> {
  const ref = { sid: parseBucketId('arch1'), key: newFileId() }
  await store.create({
    ...ref,
    name,
    relativePath: '',
    comment: '',
    type: '',
    retention: 'one-time',
    uploadLength: data.byteLength,
    createdAt: 1,
    expiresAt: null,
    bucketLocked: false,
    extra: {},
  })
  await store.append(
    ref,
    (async function* () {
      yield data
    })(),
    0,
  )
  return store.complete(ref)
}

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

async function build(format: ArchiveFormat, datas: Uint8Array[]) {
  const store = new MemoryStore()
  const files: FileMeta[] = []
  for (const [i, d] of datas.entries()) files.push(await addFile(store, `f${i}.bin`, d))
  const job = createArchive(store, files, format, silentLogger)
  const chunks: Uint8Array[] = []
  for await (const c of job.body) chunks.push(c)
  await job.done
  const body = Buffer.concat(chunks)
  /** Smallest number of body bytes that sentWhole accepts for entry i. */
  const firstWhole = (i: number) => {
    expect(job.sentWhole(i, body.byteLength)).toBe(true)
    let lo = 0
    let hi = body.byteLength
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (job.sentWhole(i, mid)) hi = mid
      else lo = mid + 1
    }
    return lo
  }
  return { body, firstWhole }
}

// Three entries: incompressible, compressible and empty, of sizes that are not multiples of 512.
const datas = [pattern(300_001, 1), new Uint8Array(700_003).fill(7), new Uint8Array(0), pattern(5_000, 2)]

describe('archive entry ends', () => {
  it('zip: an entry is whole from the end of its data on, not a byte earlier', async () => {
    const { body, firstWhole } = await build('zip', datas)
    let pos = 0
    for (const [i, d] of datas.entries()) {
      // Local file header: signature, then name and extra field lengths at 26 and 28.
      expect(body.readUInt32LE(pos)).toBe(0x04034b50)
      const dataStart = pos + 30 + body.readUInt16LE(pos + 26) + body.readUInt16LE(pos + 28)
      const dataEnd = dataStart + d.byteLength
      expect(Buffer.from(body.subarray(dataStart, dataEnd)).equals(Buffer.from(d))).toBe(true)
      const end = firstWhole(i)
      // Whole once the data and its data descriptor (16 bytes) are in; never before the data.
      expect(end).toBeGreaterThanOrEqual(dataEnd)
      expect(end).toBe(dataEnd + 16)
      pos = end
    }
  })

  it('tar.gz: the bytes up to an entry end decode to its whole data, a few bytes less do not', async () => {
    const { body, firstWhole } = await build('tar.gz', datas)
    const full = gunzipSync(body)
    let tarPos = 0
    for (const [i, d] of datas.entries()) {
      const dataEnd = tarPos + 512 + d.byteLength
      expect(Buffer.from(full.subarray(tarPos + 512, dataEnd)).equals(Buffer.from(d))).toBe(true)
      const end = firstWhole(i)
      const decoded = gunzipSync(body.subarray(0, end), { finishFlush: zlibConstants.Z_SYNC_FLUSH })
      expect(decoded.byteLength).toBeGreaterThanOrEqual(dataEnd)
      // Deflate packs bits, so the last few bytes may carry no whole symbol; a few bytes less
      // must leave the data incomplete (the compressor was flushed right after it).
      const less = gunzipSync(body.subarray(0, end - 8), { finishFlush: zlibConstants.Z_SYNC_FLUSH })
      expect(less.byteLength).toBeLessThan(dataEnd)
      tarPos = dataEnd + ((512 - (d.byteLength % 512)) % 512)
    }
  })
})

describe('zip of a file shorter than its recorded size', () => {
  it('fails the archive instead of sending fewer bytes than its Content-Length', async () => {
    const store = new MemoryStore()
    const meta = await addFile(store, 'short.bin', pattern(1000, 3))
    // The metadata claims 5 bytes more than the store holds (a damaged or truncated file).
    const job = createArchive(store, [{ ...meta, uploadLength: 1005 }], 'zip', silentLogger)
    let sent = 0
    const read = (async () => {
      for await (const c of job.body) sent += c.byteLength
    })()
    await expect(read).rejects.toThrow(/shorter than its recorded size/)
    await expect(job.done).rejects.toThrow(/shorter than its recorded size/)
    expect(sent).toBeLessThan(job.size as number)
    expect(job.sentWhole(0, sent)).toBe(false)
  })
})

describe('tar.gz compression', () => {
  it('stores incompressible data and still deflates text, byte for byte', async () => {
    const noise = new Uint8Array(randomBytes(4 * 1024 * 1024 + 123))
    const text = new TextEncoder().encode('The quick brown fox jumps over the lazy dog. '.repeat(60_000))
    const { body } = await build('tar.gz', [noise, text, noise])
    const tar = gunzipSync(body)
    let pos = 0
    for (const d of [noise, text, noise]) {
      expect(Buffer.from(tar.subarray(pos + 512, pos + 512 + d.byteLength)).equals(Buffer.from(d))).toBe(true)
      pos += 512 + d.byteLength + ((512 - (d.byteLength % 512)) % 512)
    }
    expect(body.byteLength - 2 * noise.byteLength).toBeLessThan(text.byteLength * 0.05)
  })
})
