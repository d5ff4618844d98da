import type { BucketId } from '@psitransfer/core'
import { ManualClock } from '@psitransfer/core'
import { MemoryStore, newFileFixture } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { BucketStates } from './bucket-state.js'

const sid = 'b' as BucketId

describe('BucketStates', () => {
  it('sums declared sizes of unexpired files and follows local changes', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock(1000)
    const states = new BucketStates(store, clock, 60_000)
    expect(await states.get(sid)).toEqual({ locked: false, password: undefined, count: 0, bytes: 0 })
    const a = await store.create({
      ...newFileFixture({ sid, key: 'a' as never }),
      uploadLength: 10,
      expiresAt: 5000,
    })
    // Cached: a file created behind the cache's back is not seen yet...
    expect((await states.get(sid)).count).toBe(0)
    // ...but files this process creates are.
    states.created(a)
    const b = await store.create({
      ...newFileFixture({ sid, key: 'b' as never }),
      uploadLength: 5,
      expiresAt: null,
      password: '$argon2id$x',
    })
    states.created(b)
    expect(await states.get(sid)).toEqual({ locked: false, password: '$argon2id$x', count: 2, bytes: 15 })
    states.locked(sid)
    expect((await states.get(sid)).locked).toBe(true)
    clock.set(5000)
    expect(await states.get(sid)).toMatchObject({ count: 1, bytes: 5 })
  })

  it('reloads after the TTL, picking up changes made by other instances', async () => {
    const store = new MemoryStore()
    const states = new BucketStates(store, new ManualClock(0), 20)
    expect((await states.get(sid)).count).toBe(0)
    await store.create({
      ...newFileFixture({ sid, key: 'x' as never }),
      uploadLength: 7,
      expiresAt: null,
      bucketLocked: true,
    })
    await new Promise((r) => setTimeout(r, 30))
    expect(await states.get(sid)).toMatchObject({ count: 1, bytes: 7, locked: true })
    states.invalidate(sid)
    await store.delete({ sid, key: 'x' as never })
    expect((await states.get(sid)).count).toBe(0)
  })
})
