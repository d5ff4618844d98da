/**
 * Downloads (presigned URLs, ranged reads), termination and the sweeper, against the real server.
 */
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { formatFileRef, newBucketId, newFileId } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { afterAll, describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { S3Locker } from './locker.js'
import { type S3Store, storeContext } from './s3-store.js'
import { makeStore, rawClient, s3Env, testPrefix } from './test-support/env.js'
import { RawS3 } from './test-support/raw.js'
import { chunks, newFile } from './test-support/upload.js'

const MiB = 1024 * 1024
const prefix = testPrefix('lifecycle')
/** The sweeper looks at everything under its prefix, so its test has one of its own. */
const sweepPrefix = testPrefix('sweep')
const raw = new RawS3(rawClient(), s3Env().bucket)
const stores: S3Store[] = []

function store(extra: Parameters<typeof makeStore>[1] = {}, at = prefix): S3Store {
  const s = makeStore(at, { partSize: MIN_PART_SIZE, ...extra })
  stores.push(s)
  return s
}

afterAll(async () => {
  for (const s of stores) await s.close()
  await raw.clear(prefix)
  await raw.clear(sweepPrefix)
  raw.client.destroy()
})

async function uploaded(
  s: S3Store,
  seed: number,
  size: number,
  overrides: Parameters<typeof newFile>[1] = {},
) {
  const file = newFile(size, overrides)
  await s.create(file)
  const payload = patternBytes(seed, 0, size)
  await s.append(file, chunks(payload, MiB), 0)
  await s.complete(file)
  return { file, payload }
}

describe('completion after a crash', () => {
  it('a multipart upload completed in S3 whose metadata was never marked is completed by a new instance', async () => {
    const a = store()
    const size = 11 * MiB + 5
    const file = newFile(size)
    await a.create(file)
    const payload = patternBytes(47, 0, size)
    await a.append(file, chunks(payload, MiB), 0)
    // The process dies right after CompleteMultipartUpload: the metadata write never happens.
    const io = storeContext(a).io
    const put = io.put.bind(io)
    io.put = async (key, body, options) => {
      if (key.endsWith('.json') && typeof body === 'string' && body.includes('"complete":true'))
        throw new Error('killed before the metadata write')
      return put(key, body, options)
    }
    await expect(a.complete(file)).rejects.toThrow()
    expect(await raw.head(`${prefix}${file.sid}/${file.key}`)).toMatchObject({ size })
    const b = store()
    expect(await b.info(file)).toMatchObject({ offset: size, complete: false })
    expect(await b.complete(file)).toMatchObject({ complete: true, offset: size })
    expect(await b.complete(file)).toMatchObject({ complete: true, offset: size })
    const read = new Uint8Array(size)
    let at = 0
    for await (const c of await b.read(file)) {
      read.set(c, at)
      at += c.byteLength
    }
    expect(at).toBe(size)
    expect(Buffer.from(read).equals(Buffer.from(payload))).toBe(true)
    // Nothing left over: no tail segments, no open multipart upload.
    const left = (await raw.list(`${prefix}${file.sid}/${file.key}`)).map((o) => o.key.slice(prefix.length))
    expect(left.filter((k) => k.includes('.part.'))).toEqual([])
    expect(await raw.multipartUploads(`${prefix}${file.sid}/`)).toEqual([])
  })
})

describe('downloads', () => {
  it('a presigned URL serves the bytes with the requested name and type; ranges work too', async () => {
    const s = store()
    const { file, payload } = await uploaded(s, 31, 6 * MiB + 3)
    const url = await s.downloadUrl(file, {
      expiresIn: 60,
      filename: 'Übersicht "Q3" (final).pdf',
      contentType: 'application/pdf',
    })
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="_bersicht _Q3_ (final).pdf"; filename*=UTF-8''%C3%9Cbersicht%20%22Q3%22%20%28final%29.pdf`,
    )
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), payload)).toBe(0)
    const ranged = await fetch(url, { headers: { range: 'bytes=5242870-5242889' } })
    expect(ranged.status).toBe(206)
    expect(Buffer.compare(Buffer.from(await ranged.arrayBuffer()), payload.subarray(5242870, 5242890))).toBe(
      0,
    )
    const inline = await s.downloadUrl(file, { expiresIn: 60, filename: 'a.pdf', disposition: 'inline' })
    const inlineRes = await fetch(inline)
    expect(inlineRes.headers.get('content-disposition')).toMatch(/^inline; filename="a.pdf"/)
    // Without a type the URL still names one: octet-stream, never what the object may carry.
    expect(inlineRes.headers.get('content-type')).toBe('application/octet-stream')
  })

  it('an expired or tampered presigned URL is refused', async () => {
    const s = store()
    const { file } = await uploaded(s, 32, 1000)
    const url = await s.downloadUrl(file, { expiresIn: 1, filename: 'x.bin' })
    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    )
    expect((await fetch(tampered)).status).toBe(403)
    await new Promise((r) => setTimeout(r, 2500))
    expect((await fetch(url)).status).toBe(403)
    await expect(s.downloadUrl(file, { expiresIn: 0, filename: 'x' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })

  it('ranged reads cross part boundaries and stop reading when the consumer stops', async () => {
    const s = store()
    const { file, payload } = await uploaded(s, 33, 2 * MIN_PART_SIZE + 10)
    const range = { start: MIN_PART_SIZE - 5, end: MIN_PART_SIZE + 4 }
    const got: Uint8Array[] = []
    for await (const c of await s.read(file, { range })) got.push(c)
    expect(Buffer.compare(Buffer.concat(got), payload.subarray(range.start, range.end + 1))).toBe(0)
    const before = s.stats.bytesReceived
    for await (const _ of await s.read(file)) break
    // Not the whole 10 MiB: the response was dropped after the first chunk.
    expect(s.stats.bytesReceived - before).toBeLessThan(MIN_PART_SIZE)
  })

  it('reading an unfinished multipart upload says so instead of returning partial data', async () => {
    const s = store()
    const file = newFile(3 * MIN_PART_SIZE)
    await s.create(file)
    await s.append(file, chunks(patternBytes(34, 0, MIN_PART_SIZE + 10)), 0)
    await expect(s.read(file)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('termination', () => {
  it('deleting an unfinished upload aborts its multipart upload and removes every object', async () => {
    const s = store()
    const file = newFile(4 * MIN_PART_SIZE)
    await s.create(file)
    await s.append(file, chunks(patternBytes(35, 0, 2 * MIN_PART_SIZE + 77)), 0)
    const base = `${prefix}${file.sid}/${file.key}`
    expect((await raw.multipartUploads(`${prefix}${file.sid}/`)).map((u) => u.key)).toEqual([base])
    const locker = new S3Locker(s)
    const lock = await locker.lock(formatFileRef(file))
    await s.delete(file)
    await lock.release()
    expect(await raw.multipartUploads(`${prefix}${file.sid}/`)).toEqual([])
    await expect.poll(async () => (await raw.list(base)).map((o) => o.key)).toEqual([])
    await expect(s.info(file)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('the upload is GONE when its multipart upload disappears behind the store’s back', async () => {
    const s = store()
    const file = newFile(3 * MIN_PART_SIZE)
    const created = await s.create(file)
    const uploadId = (created.storeState as { uploadId: string }).uploadId
    await raw.client.send(
      new AbortMultipartUploadCommand({
        Bucket: raw.bucket,
        Key: `${prefix}${file.sid}/${file.key}`,
        UploadId: uploadId,
      }),
    )
    await expect(store().info(file)).rejects.toMatchObject({ code: 'GONE' })
    await expect(store().append(file, chunks(new Uint8Array(10)), 0)).rejects.toMatchObject({ code: 'GONE' })
  })
})

describe('sweep', () => {
  it('removes expired files, unreferenced multipart uploads and orphaned objects, and nothing else', async () => {
    const s = store({}, sweepPrefix)
    const now = Date.now()
    const expiredDone = (await uploaded(s, 36, 100, { expiresAt: now - 1000 })).file
    const expiredPartial = newFile(3 * MIN_PART_SIZE, { expiresAt: now - 1000 })
    await s.create(expiredPartial)
    await s.append(expiredPartial, chunks(patternBytes(37, 0, MIN_PART_SIZE + 5)), 0)
    const lockedExpired = newFile(10, { expiresAt: now - 1000 })
    await s.create(lockedExpired)
    const fresh = (await uploaded(s, 38, 100, { expiresAt: now + 86_400_000 })).file
    const freshPartial = newFile(2 * MIN_PART_SIZE, { expiresAt: null })
    await s.create(freshPartial)

    const orphanSid = newBucketId()
    const orphanKey = `${sweepPrefix}${orphanSid}/${newFileId()}`
    const orphan = await raw.client.send(
      new CreateMultipartUploadCommand({ Bucket: raw.bucket, Key: orphanKey }),
    )
    const strayKey = `${sweepPrefix}${orphanSid}/${newFileId()}.part.abc.000000000000000`
    await raw.client.send(new PutObjectCommand({ Bucket: raw.bucket, Key: strayKey, Body: 'x' }))

    const held = await new S3Locker(store({}, sweepPrefix)).lock(formatFileRef(lockedExpired))
    // Two hours later, with the default one-hour grace for unreferenced objects.
    const result = await s.sweep({ now: now + 2 * 3_600_000 })
    await held.release()

    const ids = (refs: Array<{ sid: string; key: string }>) => refs.map((r) => `${r.sid}/${r.key}`).sort()
    expect(ids(result.expired)).toEqual(ids([expiredDone, expiredPartial]))
    expect(ids(result.skipped)).toEqual(ids([lockedExpired]))
    expect(result.abortedUploads).toEqual([{ key: orphanKey, uploadId: orphan.UploadId }])
    expect(result.removedObjects).toEqual([strayKey])
    for (const gone of [expiredDone, expiredPartial])
      await expect(s.info(gone)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect((await s.info(fresh)).complete).toBe(true)
    expect((await s.info(freshPartial)).offset).toBe(0)
    const uploads = (await raw.multipartUploads(sweepPrefix)).map((u) => u.key).sort()
    expect(uploads).toEqual([`${sweepPrefix}${freshPartial.sid}/${freshPartial.key}`])

    // Within the grace period nothing unreferenced is touched (an upload may be mid-creation).
    const young = await raw.client.send(
      new CreateMultipartUploadCommand({ Bucket: raw.bucket, Key: `${sweepPrefix}${orphanSid}/young` }),
    )
    const again = await s.sweep({ now: Date.now() })
    expect(again.abortedUploads).toEqual([])
    expect((await raw.multipartUploads(`${sweepPrefix}${orphanSid}/`)).map((u) => u.uploadId)).toEqual([
      young.UploadId,
    ])
  })
})
