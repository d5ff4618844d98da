/**
 * Shared-store admission (`bucket-ledger.ts`) without a network: two apps play two instances on
 * one MemoryStore and one MemoryLocker, passed as a shared locker (as S3's would be). The
 * RGW end-to-end version is `many-instances.e2e.test.ts`.
 */
import {
  type BucketId,
  type Locker,
  ManualClock,
  MemoryLocker,
  type NewFile,
  type Store,
} from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { createRequest, makeApp, type TestApp, TUS } from '../test-support/harness.js'
import { BUCKET_MARK_KEY } from './bucket-ids.js'

/** `n` apps on one store and one (shared) locker, each with its own caches. */
function instances(
  n: number,
  overrides: Record<string, unknown>,
  store: Store = new MemoryStore(),
): TestApp[] {
  const locker = new MemoryLocker()
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const first = makeApp(overrides, { store, locker, clock, sharedLocker: true })
  // Every instance plays the same uploader: the token the first creation answered goes along.
  const tokens = new Map<string, string>()
  const apps = [
    first,
    ...Array.from({ length: n - 1 }, () => makeApp(overrides, { store, locker, clock, sharedLocker: true })),
  ]
  return apps.map((t) => ({
    ...t,
    clock,
    request: async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers)
      const sid = /sid ([^,]+)/.exec(headers.get('upload-metadata') ?? '')?.[1]
      const bucket = sid ? Buffer.from(sid, 'base64').toString() : /files\/([^/?+]+)\?lock/.exec(path)?.[1]
      const token = bucket ? tokens.get(bucket) : undefined
      if (token && !headers.has('x-bucket-token')) headers.set('x-bucket-token', token)
      const res = await t.app.request(path, { ...init, headers })
      const given = res.headers.get('x-bucket-token')
      if (given && bucket) tokens.set(bucket, given)
      return res
    },
  }))
}

/** The ledger in the mark of `sid`. */
async function ledger(store: Store, sid: string) {
  const mark = await store.info({ sid: sid as BucketId, key: BUCKET_MARK_KEY })
  return JSON.parse(mark.extra.bucket as string) as { locked: boolean; files: unknown[][] }
}

describe('bucket admission through the shared ledger', () => {
  it('counts the other instance at once: maxBucketSize and the lock hold without a cache window', async () => {
    const [a, b] = instances(2, { maxBucketSize: 100 }) as [TestApp, TestApp]
    expect((await createRequest(a, { sid: 's', name: 'f.bin' }, 60)).status).toBe(201)
    // b has the bucket in its cache from here on.
    expect((await createRequest(b, { sid: 's', name: 'f.bin' }, 10)).status).toBe(201)
    expect((await createRequest(a, { sid: 's', name: 'f.bin' }, 30)).status).toBe(201)
    // Without the ledger b's cache would still say 70 bytes.
    const full = await createRequest(b, { sid: 's', name: 'f.bin' }, 1)
    expect(full.status).toBe(413)
    expect((await full.json()).message).toBe(
      'Bucket would be larger than the maximum bucket size of 100 bytes',
    )
    expect((await createRequest(b, { sid: 't', name: 'f.bin' }, 1)).status).toBe(201)
    expect((await b.request('/files/t?lock=yes', { method: 'PATCH' })).status).toBe(204)
    expect((await ledger(a.rawStore, 't')).locked).toBe(true)
    const locked = await createRequest(a, { sid: 't', name: 'f.bin' }, 1)
    expect(locked.status).toBe(400)
    expect(await locked.text()).toBe('Bucket locked')
  })

  it('recounts before refusing: files deleted since the ledger counted them do not fill the bucket', async () => {
    const [a, b] = instances(2, { maxBucketSize: 100 }) as [TestApp, TestApp]
    const first = await createRequest(a, { sid: 's', name: 'f.bin' }, 90)
    expect(first.status).toBe(201)
    expect((await createRequest(a, { sid: 's', name: 'f.bin' }, 10)).status).toBe(201)
    // The uploader gives the first upload up (TUS termination) through the other instance.
    const location = first.headers.get('location') as string
    expect((await b.request(location, { method: 'DELETE', headers: TUS })).status).toBe(204)
    expect((await ledger(a.rawStore, 's')).files).toHaveLength(2)
    expect((await createRequest(a, { sid: 's', name: 'f.bin' }, 90)).status).toBe(201)
    // The recount replaced the ledger: the terminated upload is gone from it.
    expect((await ledger(a.rawStore, 's')).files.map((f) => f[0])).toEqual([10, 90])
    expect((await createRequest(b, { sid: 's', name: 'f.bin' }, 1)).status).toBe(413)
  })

  it('reads one mark per new file, never the bucket listing (no O(n²) per bucket)', async () => {
    const memory = new MemoryStore()
    let lists = 0
    const store = new Proxy(memory, {
      get(target, prop) {
        if (prop === 'list') lists++
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as Store
    const apps = instances(3, { maxBucketSize: 10_000 }, store)
    expect((await createRequest(apps[0] as TestApp, { sid: 's', name: 'f.bin' }, 1)).status).toBe(201)
    const before = lists
    for (let n = 0; n < 60; n++)
      expect((await createRequest(apps[n % 3] as TestApp, { sid: 's', name: 'f.bin' }, 1)).status).toBe(201)
    // Each instance's pre-lock cache lists the bucket at most once per 3 s (its TTL): three here.
    expect(lists - before).toBeLessThanOrEqual(3)
    expect((await ledger(memory, 's')).files).toHaveLength(61)
  })

  it('counts an upload with a deferred length by its bytes, from the files, while it lives', async () => {
    const [a, b] = instances(2, { maxBucketSize: 100 }) as [TestApp, TestApp]
    const deferred = await a.request('/files/', {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Defer-Length': '1',
        'Upload-Metadata': `sid ${btoa('s')},name ${btoa('d.bin')}`,
      },
    })
    expect(deferred.status).toBe(201)
    const location = deferred.headers.get('location') as string
    const patched = await b.request(location, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: new Uint8Array(60),
    })
    expect(patched.status).toBe(204)
    // 60 bytes received so far: 41 more do not fit, 40 do.
    expect((await createRequest(b, { sid: 's', name: 'f.bin' }, 41)).status).toBe(413)
    expect((await createRequest(a, { sid: 's', name: 'f.bin' }, 40)).status).toBe(201)
    // The deferred upload may now declare no more than the 60 it has.
    const declare = await a.request(location, {
      method: 'PATCH',
      headers: {
        ...TUS,
        'Upload-Offset': '60',
        'Upload-Length': '61',
        'Content-Type': 'application/offset+octet-stream',
      },
      body: new Uint8Array(1),
    })
    expect(declare.status).toBe(413)
  })

  it('forgets the lock and the password of a bucket whose files are all gone', async () => {
    const [a, b] = instances(2, { maxBucketSize: 100, adminPass: 'root' }) as [TestApp, TestApp]
    expect((await createRequest(a, { sid: 's', name: 'f.bin', password: 'pw-one' }, 10)).status).toBe(201)
    expect((await b.request('/files/s?lock=yes', { method: 'PATCH' })).status).toBe(204)
    // The admin deletes the bucket (its mark and ledger stay: the id is still the uploader's).
    const del = await b.app.request('/admin/buckets/s', { method: 'DELETE', headers: { 'x-passwd': 'root' } })
    expect(del.status).toBe(204)
    expect((await ledger(a.rawStore, 's')).locked).toBe(true)
    // The uploader starts over without a password: the ledger's lock and protection are stale.
    expect((await createRequest(a, { sid: 's', name: 'g.bin' }, 10)).status).toBe(201)
    expect(await ledger(a.rawStore, 's')).toEqual({ locked: false, files: [[10, expect.any(Number)]] })
    expect((await createRequest(b, { sid: 's', name: 'h.bin' }, 10)).status).toBe(201)
    // Not locked, only protected: the protection alone is stale as well.
    expect((await createRequest(a, { sid: 'p', name: 'f.bin', password: 'pw-two' }, 10)).status).toBe(201)
    await b.app.request('/admin/buckets/p', { method: 'DELETE', headers: { 'x-passwd': 'root' } })
    expect((await createRequest(b, { sid: 'p', name: 'g.bin' }, 10)).status).toBe(201)
  })

  it('never takes the bucket lock for a TUS request naming the mark', async () => {
    const ids: string[] = []
    const inner = new MemoryLocker()
    const locker: Locker = {
      lock: (id, options) => {
        ids.push(id)
        return inner.lock(id, options)
      },
    }
    const t = makeApp({}, { locker, sharedLocker: true })
    expect((await createRequest(t, { sid: 's', name: 'f.bin' }, 1)).status).toBe(201)
    ids.length = 0
    const patch = await t.app.request(`/files/s++${BUCKET_MARK_KEY}`, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: new Uint8Array(1),
    })
    expect(patch.status).toBe(404)
    const final = await t.app.request('/files/', {
      method: 'POST',
      headers: { ...TUS, 'Upload-Concat': `final;/files/s++${BUCKET_MARK_KEY}` },
    })
    expect(final.status).toBe(404)
    expect(ids).toEqual([])
  })

  it('holds a whole small file (creation-with-upload) in the books until the store has it', async () => {
    // The store takes the first whole file's bytes but holds its write until `stored` opens.
    const memory = new MemoryStore()
    let open: () => void = () => {}
    const stored = new Promise<void>((resolve) => {
      open = resolve
    })
    let writing: () => void = () => {}
    const began = new Promise<void>((resolve) => {
      writing = resolve
    })
    const createComplete = memory.createComplete.bind(memory)
    let held = false
    memory.createComplete = async (...args) => {
      if (!held) {
        held = true
        writing()
        await stored
      }
      return createComplete(...args)
    }
    const [a, b] = instances(2, { maxBucketSize: 100 }, memory) as [TestApp, TestApp]
    const whole = (t: TestApp, size: number) =>
      t.request('/files/', {
        method: 'POST',
        headers: {
          ...TUS,
          'Upload-Length': String(size),
          'Upload-Metadata': `sid ${btoa('s')},name ${btoa('w.bin')}`,
          'Content-Type': 'application/offset+octet-stream',
          'Content-Length': String(size),
        },
        body: new Uint8Array(size),
      })
    // 60 + 30 bytes: the ledger then says 90, and a refusal recounts from the files.
    expect((await createRequest(a, { sid: 's', name: 'f.bin' }, 60)).status).toBe(201)
    expect((await createRequest(b, { sid: 's', name: 'f.bin' }, 30)).status).toBe(201)
    const first = whole(a, 10)
    await began
    // Admitted (the bucket is full) but not yet in the store: b's admission recounts the files
    // and must still count it, so 10 more bytes do not fit.
    const second = whole(b, 10)
    await new Promise((resolve) => setTimeout(resolve, 50))
    open()
    expect((await first).status).toBe(201)
    const refused = await second
    expect(refused.status).toBe(413)
    expect((await refused.json()).message).toBe(
      'Bucket would be larger than the maximum bucket size of 100 bytes',
    )
    // The refusal recounted the files: all three are there.
    expect((await ledger(memory, 's')).files.map((f) => f[0] as number).sort((x, y) => x - y)).toEqual([
      10, 30, 60,
    ])
  })

  it('takes over a mark from before ledgers by counting the files', async () => {
    const store = new MemoryStore()
    const [a] = instances(1, { maxBucketSize: 100 }, store) as [TestApp]
    // A bucket made by a server without ledgers: a mark without one, a 95-byte file.
    const token = await a.takeBucketId('old')
    const now = a.clock.now()
    const file: NewFile = {
      sid: 'old' as BucketId,
      key: 'f1' as never,
      name: 'f.bin',
      relativePath: '',
      comment: '',
      type: '',
      retention: 3600,
      uploadLength: 95,
      createdAt: now,
      expiresAt: now + 3_600_000,
      bucketLocked: false,
      extra: {},
    }
    await store.create(file)
    const headers = { 'x-bucket-token': token }
    expect((await createRequest(a, { sid: 'old', name: 'f.bin' }, 6, headers)).status).toBe(413)
    expect((await createRequest(a, { sid: 'old', name: 'f.bin' }, 5, headers)).status).toBe(201)
    expect((await ledger(store, 'old')).files.map((f) => f[0])).toEqual([95, 5])
  })
})
