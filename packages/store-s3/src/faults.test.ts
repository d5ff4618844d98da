/**
 * Fault injection with msw: requests to the real S3 server pass through, except the ones a test
 * makes fail (throttling, 5xx, timeouts, vanished uploads, access denied). Checks the SDK
 * retries what it should, errors are typed, and the offset any instance reports after a
 * failure is never ahead of what S3 holds.
 */
import { isPsiError, type PsiError } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { bypass, delay, HttpResponse, http, passthrough } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { S3Store } from './s3-store.js'
import { makeStore, rawClient, s3Env, storeOptions, testPrefix } from './test-support/env.js'
import { S3Probe } from './test-support/probe.js'
import { RawS3 } from './test-support/raw.js'
import { chunks, newFile } from './test-support/upload.js'

const S = MIN_PART_SIZE
const prefix = testPrefix('faults')
const raw = new RawS3(rawClient(), s3Env().bucket)
const probe = new S3Probe(raw, prefix)
const stores: S3Store[] = []

type Kind = 'UploadPart' | 'CompleteMultipartUpload' | 'PutSegment' | 'HeadBucket' | 'other'

function kind(request: Request): Kind {
  const url = new URL(request.url)
  const q = url.searchParams
  if (
    request.method === 'PUT' &&
    q.has('partNumber') &&
    q.has('uploadId') &&
    !request.headers.has('x-amz-copy-source')
  ) {
    return 'UploadPart'
  }
  if (request.method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload'
  if (request.method === 'PUT' && url.pathname.includes('.part.')) return 'PutSegment'
  // Path style (`/bucket`) or virtual-hosted style (`/` on bucket.s3…).
  const path = url.pathname.replace(/\/$/, '')
  if (request.method === 'HEAD' && (path === '' || path === `/${s3Env().bucket}`) && !url.search)
    return 'HeadBucket'
  return 'other'
}

function s3Error(status: number, code: string): Response {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (injected by the test)</Message><RequestId>test</RequestId></Error>`
  return new HttpResponse(body, { status, headers: { 'content-type': 'application/xml' } })
}

/** Counts requests per kind; `fault` decides which to break (return a Response) or let through. */
function inject(
  fault: (k: Kind, n: number, request: Request) => Response | undefined | Promise<Response | undefined>,
) {
  const seen: Record<string, number> = {}
  server.use(
    http.all(/.*/, async ({ request }) => {
      const k = kind(request)
      seen[k] = (seen[k] ?? 0) + 1
      return (await fault(k, seen[k] as number, request)) ?? passthrough()
    }),
  )
  return seen
}

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }))
afterEach(() => server.resetHandlers())
afterAll(async () => {
  server.close()
  for (const s of stores) await s.close()
  await raw.clear(prefix)
  raw.client.destroy()
})

function store(extra: Parameters<typeof makeStore>[1] = {}): S3Store {
  // Short backoff keeps retried requests quick; three attempts as in production.
  const s = makeStore(prefix, { partSize: S, maxAttempts: 3, ...extra })
  stores.push(s)
  return s
}

function code(err: unknown): string | undefined {
  return isPsiError(err) ? (err as PsiError).code : undefined
}

/** Offset a clean instance reports (faults removed), after checking S3 holds those bytes. */
async function durable(seed: number, ref: Parameters<S3Store['info']>[0]): Promise<number> {
  server.resetHandlers()
  const { offset } = await store().info(ref)
  expect(await probe.verify(ref, patternBytes(seed, 0, offset))).toBe(offset)
  return offset
}

async function upload(s: S3Store, seed: number, size: number, from = 0) {
  const file = newFile(size)
  await s.create(file)
  const result = await s.append(file, chunks(patternBytes(seed, from, size - from), 512 * 1024), from).then(
    (offset) => ({ offset }),
    (error: unknown) => ({ error }),
  )
  return { file, result }
}

describe('throttling and server errors', () => {
  it('503 SlowDown on UploadPart is retried, and the upload finishes byte-exact', async () => {
    const seen = inject((k, n) => (k === 'UploadPart' && n <= 2 ? s3Error(503, 'SlowDown') : undefined))
    const s = store()
    const { file, result } = await upload(s, 41, 3 * S + 10)
    expect(result).toEqual({ offset: 3 * S + 10 })
    expect(seen.UploadPart).toBeGreaterThanOrEqual(5)
    await s.complete(file)
    expect(await probe.verify(file, patternBytes(41, 0, 3 * S + 10))).toBe(3 * S + 10)
  })

  it('UploadPart failing on every attempt: STORE_UNAVAILABLE after the retries, offset = what S3 holds, resumable', async () => {
    let failing = true
    inject((k, _n, request) =>
      failing && k === 'UploadPart' && new URL(request.url).searchParams.get('partNumber') === '2'
        ? s3Error(500, 'InternalError')
        : undefined,
    )
    const s = store()
    const size = 4 * S
    const { file, result } = await upload(s, 42, size)
    expect('error' in result && code(result.error)).toBe('STORE_UNAVAILABLE')
    failing = false
    const offset = await durable(42, file)
    // Part 1 made it; nothing after the failed part 2 counts.
    expect(offset).toBe(S)
    const resumed = store()
    expect(await resumed.append(file, chunks(patternBytes(42, offset, size - offset)), offset)).toBe(size)
    await resumed.complete(file)
    expect(await probe.verify(file, patternBytes(42, 0, size))).toBe(size)
  })

  it('500 on CompleteMultipartUpload is retried; failing every time leaves the upload whole and completable', async () => {
    const s = store()
    const size = 2 * S + 5
    const { file } = await upload(s, 43, size)
    const seen = inject((k, n) =>
      k === 'CompleteMultipartUpload' && n === 1 ? s3Error(500, 'InternalError') : undefined,
    )
    expect(await s.complete(file)).toMatchObject({ complete: true, offset: size })
    expect(seen.CompleteMultipartUpload).toBe(2)

    const other = await upload(s, 44, size)
    inject((k) => (k === 'CompleteMultipartUpload' ? s3Error(503, 'ServiceUnavailable') : undefined))
    await expect(s.complete(other.file)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    server.resetHandlers()
    expect(await s.info(other.file)).toMatchObject({ complete: false, offset: size })
    expect(await s.complete(other.file)).toMatchObject({ complete: true, offset: size })
    expect(await probe.verify(other.file, patternBytes(44, 0, size))).toBe(size)
  })

  it('CompleteMultipartUpload that succeeded although its answer was lost: complete() still succeeds', async () => {
    const s = store()
    const size = S + 7
    const { file } = await upload(s, 45, size)
    inject(async (k, n, request) => {
      if (k !== 'CompleteMultipartUpload' || n > 1) return undefined
      await fetch(bypass(request))
      return s3Error(500, 'InternalError')
    })
    expect(await s.complete(file)).toMatchObject({ complete: true, offset: size })
    expect(await probe.verify(file, patternBytes(45, 0, size))).toBe(size)
  })

  it('503 on a tail segment is retried; when it keeps failing the PATCH fails and reports no tail bytes', async () => {
    const s = store()
    const file = newFile(3 * S)
    await s.create(file)
    inject((k, n) => (k === 'PutSegment' && n === 1 ? s3Error(503, 'SlowDown') : undefined))
    expect(await s.append(file, chunks(patternBytes(46, 0, 1000)), 0)).toBe(1000)
    inject((k) => (k === 'PutSegment' ? s3Error(503, 'SlowDown') : undefined))
    const err = await s.append(file, chunks(patternBytes(46, 1000, S + 500)), 1000).catch((e: unknown) => e)
    expect(code(err)).toBe('STORE_UNAVAILABLE')
    // Part 1 (with the old tail inside) is durable; the 1500 bytes after it were never acknowledged.
    expect(await durable(46, file)).toBe(S)
  })
})

describe('timeouts', () => {
  it('a part whose request stalls past requestTimeoutMs is abandoned and retried', async () => {
    const seen = inject(async (k, n) => {
      if (k === 'UploadPart' && n === 1) await delay(4000)
      return undefined
    })
    const s = store({ requestTimeoutMs: 1000 })
    const t0 = Date.now()
    const { file, result } = await upload(s, 47, 2 * S)
    expect(result).toEqual({ offset: 2 * S })
    expect(seen.UploadPart).toBeGreaterThanOrEqual(3)
    expect(Date.now() - t0).toBeLessThan(15_000)
    await s.complete(file)
    expect(await probe.verify(file, patternBytes(47, 0, 2 * S))).toBe(2 * S)
  })
})

describe('vanished uploads and refused access', () => {
  it('NoSuchUpload while writing parts: the PATCH fails with GONE', async () => {
    inject((k) => (k === 'UploadPart' ? s3Error(404, 'NoSuchUpload') : undefined))
    const s = store()
    const { file, result } = await upload(s, 48, 2 * S)
    expect('error' in result && code(result.error)).toBe('GONE')
    // The injected error did not really abort it; S3 still holds no part.
    expect(await durable(48, file)).toBe(0)
  })

  it('AccessDenied on UploadPart: STORE_MISCONFIGURED, and the offset stays what S3 holds', async () => {
    const s = store()
    const file = newFile(2 * S)
    await s.create(file)
    expect(await s.append(file, chunks(patternBytes(49, 0, 3000)), 0)).toBe(3000)
    inject((k) => (k === 'UploadPart' ? s3Error(403, 'AccessDenied') : undefined))
    const err = await s.append(file, chunks(patternBytes(49, 3000, S + 10)), 3000).catch((e: unknown) => e)
    expect(code(err)).toBe('STORE_MISCONFIGURED')
    expect((err as Error).message).not.toMatch(/secret|psitest/i)
    expect(await durable(49, file)).toBe(3000)
  })

  it('init() names bucket, endpoint and region when access is denied or the bucket is missing', async () => {
    const env = s3Env()
    const where = env.endpoint ?? 'AWS S3'
    inject((k) => (k === 'HeadBucket' ? new HttpResponse(null, { status: 403 }) : undefined))
    const denied = await store()
      .init()
      .catch((e: unknown) => e)
    expect(code(denied)).toBe('STORE_MISCONFIGURED')
    expect((denied as Error).message).toContain(`bucket "${env.bucket}" at ${where} (region ${env.region})`)
    expect((denied as Error).message).toMatch(/^Cannot access S3 .*: HTTP 403; check the credentials/)
    server.resetHandlers()

    const missing = new S3Store(storeOptions(prefix, { bucket: `psi-missing-${Date.now()}` }))
    stores.push(missing)
    const err = await missing.init().catch((e: unknown) => e)
    expect(code(err)).toBe('STORE_MISCONFIGURED')
    expect((err as Error).message).toMatch(/psi-missing-\d+.*does not exist/)
    expect((err as { cause?: unknown }).cause).toBeDefined()
  })

  it('init() with wrong credentials or an unreachable endpoint fails with a clear error', async () => {
    const env = s3Env()
    if (env.local) {
      const wrong = new S3Store(
        storeOptions(prefix, { credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong-secret' } }),
      )
      stores.push(wrong)
      const err = await wrong.init().catch((e: unknown) => e)
      expect(code(err)).toBe('STORE_MISCONFIGURED')
      expect((err as Error).message).not.toContain('wrong-secret')
    }
    const unreachable = new S3Store({
      ...storeOptions(prefix),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    })
    stores.push(unreachable)
    const err = await unreachable.init().catch((e: unknown) => e)
    expect(code(err)).toBe('STORE_UNAVAILABLE')
    expect((err as Error).message).toContain('http://127.0.0.1:9')
  })
})
