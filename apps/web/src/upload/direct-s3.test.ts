import { afterEach, describe, expect, it, vi } from 'vitest'
import { directS3Factory, withDirectUploads } from './direct-s3.js'
import type { UploadCallbacks, UploadFactory, UploadHandle } from './queue.js'

const MiB = 1024 * 1024

function memoryStorage() {
  const m = new Map<string, string>()
  return {
    map: m,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  }
}

function callbacks() {
  const seen = { success: 0, errors: [] as string[], progress: [] as number[], tokens: [] as string[] }
  const cb: UploadCallbacks = {
    onProgress: (sent) => seen.progress.push(sent),
    onSuccess: () => seen.success++,
    onError: (e) => seen.errors.push(e.message),
    onRetry: () => {},
    onBucketToken: (t) => seen.tokens.push(t),
  }
  return { cb, seen }
}

/** A TUS stand-in that records which files it was given and started. */
function fakeTus() {
  const started: string[] = []
  const factory: UploadFactory = (req) => {
    const handle: UploadHandle = {
      start: () => started.push(req.file.name),
      abort: async () => {},
      resumePrevious: async () => false,
    }
    return handle
  }
  return { factory, started }
}

function request(size: number, name = 'big.bin') {
  return {
    file: new File([new Uint8Array(size)], name),
    fingerprint: `fp-${name}`,
    metadata: { sid: 's', name },
    bucketToken: () => 'token',
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

afterEach(() => vi.unstubAllGlobals())

describe('withDirectUploads', () => {
  it('is the TUS factory itself without an offer', () => {
    const tus = fakeTus().factory
    expect(withDirectUploads(null, 'http://x/', tus)).toBe(tus)
    expect(withDirectUploads(undefined, 'http://x/', tus)).toBe(tus)
  })
})

describe('direct uploads in the client', () => {
  it('sends files below minSize through TUS', () => {
    const tus = fakeTus()
    const factory = directS3Factory(
      { endpoint: 'http://x/api/direct/', minSize: MiB, storage: null },
      tus.factory,
    )
    const { cb } = callbacks()
    factory(request(10, 'small.txt'), cb).start()
    expect(tus.started).toEqual(['small.txt'])
  })

  it('hands the file to TUS when the server refuses the direct upload', async () => {
    const tus = fakeTus()
    const fetch = vi.fn(async () => json(503, { code: 'STORE_UNAVAILABLE', message: 'down' }))
    vi.stubGlobal('fetch', fetch)
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const factory = directS3Factory(
      { endpoint: 'http://x/api/direct/', minSize: 10, storage: null },
      tus.factory,
    )
    const { cb } = callbacks()
    const handle = factory(request(100), cb)
    expect(await handle.resumePrevious()).toBe(false)
    handle.start()
    await vi.waitFor(() => expect(tus.started).toEqual(['big.bin']))
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('after a reload, asks what S3 holds and completes without sending those parts again', async () => {
    const tus = fakeTus()
    const storage = memoryStorage()
    storage.setItem(
      'psitransfer.direct.fp-big.bin',
      JSON.stringify({ id: 's++k', size: 100, partSize: 60, partCount: 2 }),
    )
    const calls: string[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: URL, init: RequestInit) => {
        calls.push(`${init.method} ${url.pathname}`)
        expect(new Headers(init.headers).get('x-bucket-token')).toBe('token')
        if (init.method === 'GET')
          return json(200, {
            size: 100,
            complete: false,
            partSize: 60,
            partCount: 2,
            parts: [
              { partNumber: 1, size: 60 },
              { partNumber: 2, size: 40 },
            ],
          })
        return json(200, { key: 'k' })
      }),
    )
    const factory = directS3Factory({ endpoint: 'http://x/api/direct/', minSize: 10, storage }, tus.factory)
    const { cb, seen } = callbacks()
    const handle = factory(request(100), cb)
    expect(await handle.resumePrevious()).toBe(true)
    handle.start()
    await vi.waitFor(() => expect(seen.success).toBe(1))
    expect(calls).toEqual(['GET /api/direct/s%2B%2Bk', 'POST /api/direct/s%2B%2Bk/complete'])
    expect(seen.progress.at(-1)).toBe(100)
    expect(storage.map.size).toBe(0)
    expect(tus.started).toEqual([])
  })
})
