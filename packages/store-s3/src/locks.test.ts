/**
 * S3LockManager against an in-memory bucket whose timing the test controls: the orderings a
 * loaded S3 produces (a renewal still in flight at release, a listing behind the last write)
 * that a real server shows only now and then.
 */
import { sleep } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { KeyLayout } from './keys.js'
import { S3LockManager } from './locks.js'
import type { ListedObject, S3Io } from './s3-io.js'
import { newFile } from './test-support/upload.js'

interface Stored {
  body: string
  etag: string
  lastModified: number
}

/** The few S3Io calls the lock manager makes, on a Map; `slowPut` delays chosen writes. */
class FakeBucket {
  readonly objects = new Map<string, Stored>()
  /** A listing answered from this copy instead of the live map (a lagging index). */
  frozen: Map<string, Stored> | undefined
  slowPut: (key: string, body: string) => number = () => 0
  #etag = 0

  io(): S3Io {
    const list = (prefix: string): ListedObject[] =>
      [...(this.frozen ?? this.objects)]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, o]) => ({ key, size: o.body.length, etag: o.etag, lastModified: o.lastModified }))
    const fake = {
      listWithTime: async (prefix: string) => ({ objects: list(prefix), serverTime: Date.now() }),
      listAll: async (prefix: string) => list(prefix),
      put: async (key: string, body: string, options: { ifNoneMatch?: boolean } = {}) => {
        const delay = this.slowPut(key, body)
        if (delay > 0) await sleep(delay)
        if (options.ifNoneMatch && this.objects.has(key)) return null
        const etag = `"${++this.#etag}"`
        this.objects.set(key, { body, etag, lastModified: Date.now() })
        return etag
      },
      delete: async (key: string) => {
        this.objects.delete(key)
      },
      deleteMany: async (keys: string[]) => {
        for (const key of keys) this.objects.delete(key)
      },
    }
    return fake as unknown as S3Io
  }
}

const keys = new KeyLayout('t/')

describe('S3LockManager', () => {
  it('a release waits for a renewal in flight, so the released lock never looks held again', async () => {
    const bucket = new FakeBucket()
    const ttlMs = 3000
    const a = new S3LockManager(bucket.io(), keys, ttlMs)
    const b = new S3LockManager(bucket.io(), keys, ttlMs)
    const ref = newFile(1)
    const held = await a.tryAcquire(ref)
    expect(held).not.toBeNull()
    // Renewals (non-empty bodies to an existing generation) take 400 ms to land.
    bucket.slowPut = (_key, body) => (body !== '' && !bucket.frozen ? 400 : 0)
    await sleep(a.renewMs + 100) // the first renewal is now on its way
    await held?.release()
    await sleep(500) // long enough for a renewal that was not waited for to land after the release
    const lockBodies = [...bucket.objects].filter(([k]) => k.startsWith(keys.lockPrefix(ref)))
    expect(lockBodies.map(([, o]) => o.body)).toEqual([''])
    // Another instance finds it free at once.
    const other = await b.tryAcquire(ref)
    expect(other).not.toBeNull()
    await other?.release()
  })

  it('a lock released by this process is free to it even while the listing still shows it held', async () => {
    const bucket = new FakeBucket()
    const a = new S3LockManager(bucket.io(), keys, 5000)
    const b = new S3LockManager(bucket.io(), keys, 5000)
    const ref = newFile(1)
    const first = await a.tryAcquire(ref)
    bucket.frozen = new Map(bucket.objects) // the index stops at "held"
    await first?.release()
    // Another instance cannot tell from the lagging listing, and waits.
    expect(await b.tryAcquire(ref)).toBeNull()
    // The releaser knows better: its empty body was acknowledged.
    const again = await a.tryAcquire(ref)
    expect(again).not.toBeNull()
    expect(again?.afterOwn).toBe(true)
    expect(again?.key).toBe(keys.lock(ref, 2))
    await again?.release()
  })

  it('after its own release, a listing that does not show the generation yet does not make it reuse a key', async () => {
    const bucket = new FakeBucket()
    const a = new S3LockManager(bucket.io(), keys, 5000)
    const ref = newFile(1)
    bucket.frozen = new Map() // the index has not seen any lock of this upload yet
    const first = await a.tryAcquire(ref)
    expect(first?.key).toBe(keys.lock(ref, 1))
    await first?.release()
    const again = await a.tryAcquire(ref)
    expect(again?.key).toBe(keys.lock(ref, 2))
    await again?.release()
  })
})
