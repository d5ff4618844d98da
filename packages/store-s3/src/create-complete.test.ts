/**
 * `createComplete`: a whole small file in two PUTs, against the real server. All or nothing:
 * complete and readable afterwards, or absent.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { afterAll, describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import type { S3Store } from './s3-store.js'
import { makeStore, rawClient, s3Env, testPrefix } from './test-support/env.js'
import { RawS3 } from './test-support/raw.js'
import { chunks, newFile } from './test-support/upload.js'

const prefix = testPrefix('whole')
const sweepPrefix = testPrefix('whole-sweep')
const raw = new RawS3(rawClient(), s3Env().bucket)
const stores: S3Store[] = []

function store(at = prefix): S3Store {
  const s = makeStore(at, { partSize: MIN_PART_SIZE })
  stores.push(s)
  return s
}

afterAll(async () => {
  for (const s of stores) await s.close()
  await raw.clear(prefix)
  await raw.clear(sweepPrefix)
  raw.client.destroy()
})

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of it) parts.push(Buffer.from(c))
  return Buffer.concat(parts)
}

async function* cutAfter(bytes: Uint8Array, n: number): AsyncGenerator<Uint8Array> {
  yield bytes.subarray(0, n)
  throw new Error('socket hang up')
}

describe('S3Store.createComplete', () => {
  it('stores a whole file with two PUTs: complete, readable, listed', async () => {
    const s = store()
    const payload = patternBytes(71, 0, 64 * 1024)
    const file = newFile(payload.length)
    const before = { ...s.stats.requests }
    const meta = await s.createComplete(file, chunks(payload, 10_000))
    const used = Object.fromEntries(
      Object.entries(s.stats.requests)
        .map(([k, v]) => [k, v - (before[k] ?? 0)])
        .filter(([, v]) => v !== 0),
    )
    expect(used).toEqual({ PutObject: 2 })
    expect(meta).toMatchObject({ complete: true, offset: payload.length, uploadLength: payload.length })
    expect(await s.info(file)).toMatchObject({ complete: true, offset: payload.length })
    expect(Buffer.compare(await collect(await s.read(file)), Buffer.from(payload))).toBe(0)
    const ranged = await collect(await s.read(file, { range: { start: 100, end: 199 } }))
    expect(Buffer.compare(ranged, Buffer.from(payload.subarray(100, 200)))).toBe(0)
    const listed = []
    for await (const m of s.list({ sid: file.sid })) listed.push(m)
    expect(listed.map((m) => [m.key, m.complete])).toEqual([[file.key, true]])
    // A second instance sees it the same (nothing lives only in this process).
    expect(await store().info(file)).toMatchObject({ complete: true, offset: payload.length })
    await s.delete(file)
    await expect(s.info(file)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('leaves no file when the body is cut, too long, or the key exists', async () => {
    const s = store()
    const payload = patternBytes(72, 0, 5000)
    const cut = newFile(payload.length)
    await expect(s.createComplete(cut, cutAfter(payload, 1000))).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(s.info(cut)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await raw.list(`${prefix}${cut.sid}/`)).toEqual([])

    const long = newFile(10)
    await expect(s.createComplete(long, chunks(payload, 1000))).rejects.toMatchObject({ code: 'TOO_LARGE' })
    await expect(s.info(long)).rejects.toMatchObject({ code: 'NOT_FOUND' })

    const taken = newFile(payload.length)
    await s.createComplete(taken, chunks(payload))
    const other = patternBytes(73, 0, payload.length)
    await expect(s.createComplete(taken, chunks(other))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(Buffer.compare(await collect(await s.read(taken)), Buffer.from(payload))).toBe(0)

    const aborted = newFile(payload.length)
    const controller = new AbortController()
    controller.abort()
    await expect(
      s.createComplete(aborted, chunks(payload), { signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(s.info(aborted)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('takes the usual steps for a file larger than one part', async () => {
    const s = store()
    const payload = patternBytes(74, 0, MIN_PART_SIZE * 2 + 17)
    const file = newFile(payload.length)
    const before = s.stats.requests.CreateMultipartUpload ?? 0
    await s.createComplete(file, chunks(payload, 1024 * 1024))
    expect((s.stats.requests.CreateMultipartUpload ?? 0) - before).toBe(1)
    expect(Buffer.compare(await collect(await s.read(file)), Buffer.from(payload))).toBe(0)
    const short = newFile(payload.length)
    await expect(s.createComplete(short, cutAfter(payload, MIN_PART_SIZE + 3))).rejects.toMatchObject({
      code: 'ABORTED',
    })
    await expect(s.info(short)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('is swept clean when only the data object made it (the process died between the PUTs)', async () => {
    const s = store(sweepPrefix)
    const file = newFile(3)
    const key = `${sweepPrefix}${file.sid}/${file.key}`
    await raw.client.send(new PutObjectCommand({ Bucket: raw.bucket, Key: key, Body: 'abc' }))
    await expect(s.info(file)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const result = await s.sweep({ now: Date.now() + 2 * 3_600_000 })
    expect(result.removedObjects).toContain(key)
    expect(await raw.list(`${sweepPrefix}${file.sid}/`)).toEqual([])
  })
})
