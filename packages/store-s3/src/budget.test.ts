import { describe, expect, it } from 'vitest'
import { BufferPool, ByteBudget, type Reservation } from './budget.js'
import { TailCache } from './tail-cache.js'

describe('ByteBudget', () => {
  it('grants in order and never beyond capacity', async () => {
    const b = new ByteBudget(100)
    const r1 = await b.acquire(60)
    const order: string[] = []
    const track = (label: string, p: Promise<Reservation>) =>
      p.then((r) => {
        order.push(label)
        return r
      })
    const p2 = track('50', b.acquire(50))
    const p3 = track('10', b.acquire(10))
    await new Promise((r) => setTimeout(r, 5))
    // FIFO: the small request waits behind the big one (no starvation of big requests).
    expect(order).toEqual([])
    expect(b.used).toBe(60)
    r1.release()
    const [r2, r3] = await Promise.all([p2, p3])
    expect(order).toEqual(['50', '10'])
    expect(b.used).toBe(60)
    expect(b.peak).toBe(60)
    r2.release()
    r3.release()
    expect(b.used).toBe(0)
  })

  it('grants a request larger than the capacity once nothing else is held', async () => {
    const b = new ByteBudget(10)
    const small = await b.acquire(5)
    const big = b.acquire(50)
    small.release()
    expect((await big).size).toBe(50)
  })

  it('shrinks and releases idempotently; an aborted wait leaves the queue', async () => {
    const b = new ByteBudget(10)
    const r = await b.acquire(10)
    const controller = new AbortController()
    const waiting = b.acquire(5, controller.signal)
    controller.abort(new Error('gone'))
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' })
    r.shrink(4)
    expect(b.used).toBe(4)
    r.release()
    r.release()
    expect(b.used).toBe(0)
  })

  it('evicts cached tails to make room', async () => {
    const b = new ByteBudget(100)
    const cache = new TailCache(b)
    cache.put('a', 'sig-a', new Uint8Array(40))
    cache.put('b', 'sig-b', new Uint8Array(40))
    expect(b.used).toBe(80)
    const r = await b.acquire(50)
    // The oldest entry went; the newer one stays while there is room.
    expect(cache.take('a', 'sig-a')).toBeUndefined()
    expect(b.used).toBe(90)
    r.release()
    const t = cache.take('b', 'sig-b')
    expect(t?.bytes.byteLength).toBe(40)
    t?.release()
    expect(b.used).toBe(0)
  })

  it('hands out a cached tail only for the same tail', () => {
    const b = new ByteBudget(100)
    const cache = new TailCache(b)
    cache.put('a', 'sig-1', new Uint8Array([1, 2, 3]))
    expect(cache.take('a', 'sig-2')).toBeUndefined()
    expect(b.used).toBe(0)
  })
})

describe('BufferPool', () => {
  it('reuses buffers of the same size up to its limit', () => {
    const pool = new BufferPool(20)
    const a = pool.take(10)
    const b = pool.take(10)
    const c = pool.take(10)
    pool.give(a)
    pool.give(b)
    pool.give(c)
    expect(pool.idleBytes).toBe(20)
    expect(pool.take(10)).toBe(b)
    expect(pool.take(7).byteLength).toBe(7)
  })
})

describe('TailCache room', () => {
  it('a tail is cached with room from older cached tails only, never by evicting memory uploads use', () => {
    const budget = new ByteBudget(10)
    const cache = new TailCache(budget)
    // The store chains its own eviction (parts started early) after the cache's.
    const evictTails = budget.evict
    const storeWide: number[] = []
    budget.evict = (needed) => {
      evictTails?.(needed)
      storeWide.push(needed)
    }
    const held = budget.tryAcquire(8) as Reservation // e.g. a part started early
    cache.put('a', 'sig-a', new Uint8Array(5))
    expect(storeWide).toEqual([]) // not asked to give up the part
    expect(cache.size).toBe(0) // and not cached: no room
    held.release()
    cache.put('a', 'sig-a', new Uint8Array(5))
    cache.put('b', 'sig-b', new Uint8Array(5))
    cache.put('c', 'sig-c', new Uint8Array(5)) // pushes out the oldest tail
    expect(cache.size).toBe(2)
    expect(cache.take('a', 'sig-a')).toBeUndefined()
    expect(cache.take('c', 'sig-c')?.bytes.byteLength).toBe(5)
    expect(storeWide).toEqual([])
  })
})
