import { describe, expect, it } from 'vitest'
import { isPsiError } from './errors.js'
import { MemoryLocker, withLock } from './locker.js'

/** Resolves with the error code `p` rejects with, or 'resolved'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (err) {
    return isPsiError(err) ? err.code : `non-PsiError: ${String(err)}`
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

describe('MemoryLocker', () => {
  it('acquires and releases; ids are independent', async () => {
    const locker = new MemoryLocker()
    const a = await locker.lock('a')
    const b = await locker.lock('b')
    expect(locker.size).toBe(2)
    expect(await outcome(locker.lock('a'))).toBe('UPLOAD_LOCKED')
    await a.release()
    expect(locker.size).toBe(1)
    const again = await locker.lock('a')
    await again.release()
    await b.release()
    expect(locker.size).toBe(0)
  })

  it('fails at once with UPLOAD_LOCKED when held and waitMs is 0', async () => {
    const locker = new MemoryLocker()
    await locker.lock('x')
    const started = Date.now()
    expect(await outcome(locker.lock('x', { waitMs: 0 }))).toBe('UPLOAD_LOCKED')
    expect(Date.now() - started).toBeLessThan(50)
  })

  it('waits up to waitMs, then fails with UPLOAD_LOCKED', async () => {
    const locker = new MemoryLocker()
    await locker.lock('x')
    const started = Date.now()
    expect(await outcome(locker.lock('x', { waitMs: 60 }))).toBe('UPLOAD_LOCKED')
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
    expect(locker.size).toBe(1)
  })

  it('hands the lock to a waiter when released within waitMs', async () => {
    const locker = new MemoryLocker()
    const held = await locker.lock('x')
    const waiting = locker.lock('x', { waitMs: 5000 })
    await tick(10)
    await held.release()
    const next = await waiting
    expect(locker.size).toBe(1)
    await next.release()
    expect(locker.size).toBe(0)
  })

  it('wakes waiters in FIFO order', async () => {
    const locker = new MemoryLocker()
    const first = await locker.lock('x')
    const order: string[] = []
    const waiters = ['b', 'c', 'd'].map(async (name) => {
      const lock = await locker.lock('x', { waitMs: 5000 })
      order.push(name)
      await tick(5)
      await lock.release()
    })
    await tick(10)
    await first.release()
    await Promise.all(waiters)
    expect(order).toEqual(['b', 'c', 'd'])
    expect(locker.size).toBe(0)
  })

  it('rejects with ABORTED when the signal aborts while waiting, and forgets the waiter', async () => {
    const locker = new MemoryLocker()
    const held = await locker.lock('x')
    const controller = new AbortController()
    const waiting = locker.lock('x', { waitMs: 5000, signal: controller.signal })
    const other = locker.lock('x', { waitMs: 5000 })
    await tick(10)
    const started = Date.now()
    controller.abort()
    expect(await outcome(waiting)).toBe('ABORTED')
    expect(Date.now() - started).toBeLessThan(100)
    await held.release()
    // The remaining waiter still gets the lock.
    const next = await other
    await next.release()
    expect(locker.size).toBe(0)
  })

  it('rejects with ABORTED for an already aborted signal, even when free', async () => {
    const locker = new MemoryLocker()
    expect(await outcome(locker.lock('x', { signal: AbortSignal.abort() }))).toBe('ABORTED')
    expect(locker.size).toBe(0)
  })

  it('makes a second release a no-op that never frees a later holder', async () => {
    const locker = new MemoryLocker()
    const first = await locker.lock('x')
    await first.release()
    const second = await locker.lock('x')
    await first.release()
    expect(locker.size).toBe(1)
    expect(await outcome(locker.lock('x'))).toBe('UPLOAD_LOCKED')
    await second.release()
    await second.release()
    expect(locker.size).toBe(0)
  })

  it('withLock releases after success and after failure', async () => {
    const locker = new MemoryLocker()
    expect(await withLock(locker, 'x', {}, async () => 42)).toBe(42)
    expect(locker.size).toBe(0)
    await expect(
      withLock(locker, 'x', {}, async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(locker.size).toBe(0)
    // Held by someone else: withLock never runs fn.
    const held = await locker.lock('x')
    let ran = false
    expect(
      await outcome(
        withLock(locker, 'x', {}, async () => {
          ran = true
        }),
      ),
    ).toBe('UPLOAD_LOCKED')
    expect(ran).toBe(false)
    await held.release()
  })
})
