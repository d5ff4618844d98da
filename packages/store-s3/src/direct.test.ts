/**
 * Direct uploads against the real server: parts PUT to presigned URLs by a plain HTTP client
 * (as the browser does), then the store's ordinary info/complete/read/delete.
 */
import { DeleteBucketCorsCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3'
import { listAll } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { afterAll, describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { type S3DirectUpload, urlOrigins } from './direct.js'
import type { S3Store } from './s3-store.js'
import { makeStore, rawClient, s3Env, testPrefix } from './test-support/env.js'
import { RawS3 } from './test-support/raw.js'
import { newFile } from './test-support/upload.js'

const prefix = testPrefix('direct')
const raw = new RawS3(rawClient(), s3Env().bucket)
const stores: S3Store[] = []

function store(): S3Store & { directUpload: S3DirectUpload } {
  const s = makeStore(prefix, { partSize: MIN_PART_SIZE, directUpload: true })
  stores.push(s)
  if (!s.directUpload) throw new Error('directUpload is on')
  return s as S3Store & { directUpload: S3DirectUpload }
}

afterAll(async () => {
  for (const s of stores) await s.close()
  await raw.clear(prefix)
  raw.client.destroy()
})

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of it) out.push(Buffer.from(c))
  return Buffer.concat(out)
}

async function putPart(
  url: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, { method: 'PUT', body: body as Uint8Array<ArrayBuffer>, headers })
}

describe('urlOrigins', () => {
  it('is the endpoint (path style), the bucket host, or the AWS regional hosts', () => {
    const base = { bucket: 'b', region: 'eu-west-1' }
    expect(urlOrigins({ ...base, endpoint: 'http://127.0.0.1:7480/', forcePathStyle: true })).toEqual([
      'http://127.0.0.1:7480',
    ])
    expect(urlOrigins({ ...base, endpoint: 'https://s3.example.com', forcePathStyle: false })).toEqual([
      'https://b.s3.example.com',
    ])
    expect(urlOrigins({ ...base, forcePathStyle: false })).toEqual([
      'https://b.s3.eu-west-1.amazonaws.com',
      'https://s3.eu-west-1.amazonaws.com',
    ])
  })
})

describe('direct uploads', () => {
  it('are offered only when the config turns them on', async () => {
    const off = makeStore(prefix, { partSize: MIN_PART_SIZE })
    stores.push(off)
    expect(off.directUpload).toBeUndefined()
  })

  it('parts PUT to signed URLs, in any order, complete into a normal file', async () => {
    const s = store()
    const size = 3 * MIN_PART_SIZE + 12_345
    const file = newFile(size)
    const plan = await s.directUpload.begin(file)
    expect(plan).toMatchObject({ partSize: MIN_PART_SIZE, partCount: 4 })
    // The URLs point where the store says (the page's CSP allows exactly that).
    const first = new URL(await s.directUpload.signPart(file, 1, { expiresIn: 60 }))
    expect(s.directUpload.origins).toContain(first.origin)
    expect(plan.meta).toMatchObject({ offset: 0, complete: false, uploadLength: size })
    const payload = patternBytes(71, 0, size)
    const slice = (n: number) => payload.subarray((n - 1) * plan.partSize, Math.min(size, n * plan.partSize))

    // Last part and part 2 first: nothing counts until part 1 is there.
    for (const n of [4, 2]) {
      const res = await putPart(await s.directUpload.signPart(file, n, { expiresIn: 60 }), slice(n))
      expect(res.status).toBe(200)
    }
    expect((await s.directUpload.status(file)).parts.map((p) => p.partNumber)).toEqual([2, 4])
    expect((await s.info(file)).offset).toBe(0)
    await expect(s.complete(file)).rejects.toMatchObject({ code: 'INVALID_INPUT' })

    for (const n of [1, 3]) {
      const res = await putPart(await s.directUpload.signPart(file, n, { expiresIn: 60 }), slice(n))
      expect(res.status).toBe(200)
    }
    const status = await s.directUpload.status(file)
    expect(status.parts).toEqual([
      { partNumber: 1, size: MIN_PART_SIZE },
      { partNumber: 2, size: MIN_PART_SIZE },
      { partNumber: 3, size: MIN_PART_SIZE },
      { partNumber: 4, size: 12_345 },
    ])
    expect((await s.info(file)).offset).toBe(size)

    // A new instance (no cached state) completes it, like after a server restart.
    const other = store()
    const done = await other.complete(file)
    expect(done).toMatchObject({ complete: true, offset: size })
    expect((await collect(await s.read(file))).equals(Buffer.from(payload))).toBe(true)
    expect((await listAll(s, { sid: file.sid })).map((m) => m.key)).toEqual([file.key])
    // Complete: the status reports every part, and no more URLs are signed.
    expect((await s.directUpload.status(file)).parts).toHaveLength(4)
    await expect(s.directUpload.signPart(file, 1, { expiresIn: 60 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })

  it('a file smaller than a part is one part of a multipart upload', async () => {
    const s = store()
    const file = newFile(1000)
    const plan = await s.directUpload.begin(file)
    expect(plan).toMatchObject({ partSize: MIN_PART_SIZE, partCount: 1 })
    const payload = patternBytes(72, 0, 1000)
    expect((await putPart(await s.directUpload.signPart(file, 1, { expiresIn: 60 }), payload)).status).toBe(
      200,
    )
    await s.complete(file)
    expect((await collect(await s.read(file))).equals(Buffer.from(payload))).toBe(true)
  })

  it('refuses what the plan does not allow; parts of the wrong size do not count', async () => {
    const s = store()
    const size = MIN_PART_SIZE + 10
    const file = newFile(size)
    await s.directUpload.begin(file)
    for (const n of [0, 3, 1.5]) {
      await expect(s.directUpload.signPart(file, n, { expiresIn: 60 })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      })
    }
    await expect(s.directUpload.signPart(file, 1, { expiresIn: 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(s.directUpload.begin(newFile(null))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(s.directUpload.begin(newFile(0))).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    // Part 2 with 11 bytes instead of 10: S3 takes it, the upload does not.
    const url = await s.directUpload.signPart(file, 2, { expiresIn: 60 })
    expect((await putPart(url, new Uint8Array(11))).status).toBe(200)
    expect((await s.directUpload.status(file)).parts).toEqual([])
    // A tampered URL (another part number) is refused by S3 itself.
    const tampered = url.replace('partNumber=2', 'partNumber=1')
    expect(tampered).not.toBe(url)
    expect((await putPart(tampered, new Uint8Array(10))).status).toBe(403)
  })

  it('delete aborts the multipart upload; status then says it is gone', async () => {
    const s = store()
    const file = newFile(2 * MIN_PART_SIZE)
    await s.directUpload.begin(file)
    const payload = patternBytes(73, 0, MIN_PART_SIZE)
    expect((await putPart(await s.directUpload.signPart(file, 1, { expiresIn: 60 }), payload)).status).toBe(
      200,
    )
    const url = await s.directUpload.signPart(file, 2, { expiresIn: 60 })
    await s.delete(file)
    await expect(s.info(file)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    // The signed URL of a deleted upload stores nothing.
    expect((await putPart(url, payload)).ok).toBe(false)
    const left = (await raw.list(prefix)).filter((o) => o.key.includes(file.key))
    expect(left).toEqual([])
  })

  it('with the documented CORS rule, a browser origin may PUT parts (preflight)', async () => {
    const env = s3Env()
    if (!env.endpoint) return // AWS: not our bucket's settings to change
    const s = store()
    const origin = 'http://allowed.example'
    await raw.client.send(
      new PutBucketCorsCommand({
        Bucket: env.bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [origin],
              AllowedMethods: ['PUT'],
              AllowedHeaders: ['content-type'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: 3600,
            },
          ],
        },
      }),
    )
    try {
      const file = newFile(MIN_PART_SIZE)
      await s.directUpload.begin(file)
      const url = await s.directUpload.signPart(file, 1, { expiresIn: 60 })
      const preflight = (o: string) =>
        fetch(url, {
          method: 'OPTIONS',
          headers: { Origin: o, 'Access-Control-Request-Method': 'PUT' },
        })
      const ok = await preflight(origin)
      expect(ok.status).toBe(200)
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin)
      const refused = await preflight('http://other.example')
      expect(refused.headers.get('access-control-allow-origin')).toBeNull()
      const res = await putPart(url, patternBytes(74, 0, MIN_PART_SIZE), { Origin: origin })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBe(origin)
    } finally {
      // Best effort: the bucket is the test server's own.
      await raw.client.send(new DeleteBucketCorsCommand({ Bucket: env.bucket })).catch(() => {})
    }
  })
})
