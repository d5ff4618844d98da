import type { BucketId } from '@psitransfer/core'
import { ManualClock } from '@psitransfer/core'
import { MemoryStore, newFileFixture } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { BucketStates } from './bucket-state.js'

const sid = 'b' as BucketId

describe('BucketStates', () => {
  it('counts reservations at once, then the files they became', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock(1000)
    const states = new BucketStates(store, clock, 60_000)
    expect(await states.get(sid)).toEqual({ locked: false, password: undefined, count: 0, bytes: 0 })
    const ra = states.reserve(sid, { size: 10, expiresAt: 5000, password: undefined })
    const rb = states.reserve(sid, { size: 5, expiresAt: null, password: '$argon2id$x' })
    expect(await states.get(sid)).toEqual({ locked: false, password: '$argon2id$x', count: 2, bytes: 15 })
    const a = await store.create({
      ...newFileFixture({ sid, key: 'a' as never }),
      uploadLength: 10,
      expiresAt: 5000,
    })
    states.commit(ra, a)
    states.cancel(rb)
    expect(await states.get(sid)).toEqual({ locked: false, password: undefined, count: 1, bytes: 10 })
    // A file created behind the cache's back is not seen until the cache expires...
    await store.create({ ...newFileFixture({ sid, key: 'c' as never }), uploadLength: 1, expiresAt: null })
    expect((await states.get(sid)).count).toBe(1)
    states.locked(sid)
    expect((await states.get(sid)).locked).toBe(true)
    clock.set(5000)
    expect(await states.get(sid)).toMatchObject({ count: 0, bytes: 0, locked: false })
  })

  it('reloads after the TTL (changes by other instances) and keeps reservations across reloads', async () => {
    const store = new MemoryStore()
    const states = new BucketStates(store, new ManualClock(0), 20)
    expect((await states.get(sid)).count).toBe(0)
    const r = states.reserve(sid, { size: 3, expiresAt: null, password: undefined })
    await store.create({
      ...newFileFixture({ sid, key: 'x' as never }),
      uploadLength: 7,
      expiresAt: null,
      bucketLocked: true,
    })
    await new Promise((res) => setTimeout(res, 30))
    expect(await states.get(sid)).toMatchObject({ count: 2, bytes: 10, locked: true })
    states.cancel(r)
    states.invalidate(sid)
    await store.delete({ sid, key: 'x' as never })
    expect((await states.get(sid)).count).toBe(0)
  })

  it('keeps its totals right as files expire one by one, also when the clock goes back', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock(0)
    const states = new BucketStates(store, clock, 60_000)
    for (const [key, size, expiresAt] of [
      ['a', 1, 100],
      ['b', 2, 200],
      ['c', 4, null],
    ] as const) {
      await store.create({ ...newFileFixture({ sid, key: key as never }), uploadLength: size, expiresAt })
    }
    expect(await states.get(sid)).toMatchObject({ count: 3, bytes: 7 })
    const r = states.reserve(sid, { size: 8, expiresAt: 150, password: undefined })
    const d = await store.create({
      ...newFileFixture({ sid, key: 'd' as never }),
      uploadLength: 8,
      expiresAt: 150,
    })
    states.commit(r, d)
    expect(await states.get(sid)).toMatchObject({ count: 4, bytes: 15 })
    clock.set(100)
    expect(await states.get(sid)).toMatchObject({ count: 3, bytes: 14 })
    clock.set(150)
    expect(await states.get(sid)).toMatchObject({ count: 2, bytes: 6 })
    clock.set(200)
    expect(await states.get(sid)).toMatchObject({ count: 1, bytes: 4 })
    clock.set(120)
    expect(await states.get(sid)).toMatchObject({ count: 3, bytes: 14 })
  })
})
