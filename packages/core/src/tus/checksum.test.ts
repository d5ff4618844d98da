import { describe, expect, it } from 'vitest'
import { PsiError } from '../errors.js'
import { defaultChecksumBudget, defaultChecksums, MemoryChecksumBudget, toBase64 } from './checksum.js'
import type { Hasher } from './types.js'

const sha256 = defaultChecksums.sha256 as () => Hasher

describe('MemoryChecksumBudget', () => {
  it('grants while there is room, queues in arrival order, and hands freed bytes to the queue', async () => {
    const budget = new MemoryChecksumBudget(10)
    const a = await budget.reserve(6, { waitMs: 0 })
    expect(a?.size).toBe(6)
    const order: string[] = []
    const big = budget.reserve(8, { waitMs: 10_000 }).then((r) => {
      order.push('big')
      return r
    })
    // Fits beside `a`, but waits behind `big` (no starving of large chunks).
    const small = budget.reserve(2, { waitMs: 10_000 }).then((r) => {
      order.push('small')
      return r
    })
    await new Promise((r) => setTimeout(r, 5))
    expect(order).toEqual([])
    expect(budget.waiting).toBe(2)
    a?.release()
    a?.release() // idempotent
    const b = await big
    const s = await small
    expect(order).toEqual(['big', 'small'])
    expect(budget.used).toBe(10)
    b?.release()
    s?.release()
    expect(budget.used).toBe(0)
    expect(budget.peak).toBe(10)
  })

  it('answers null when no room frees up in time, and lets those behind a leaver in', async () => {
    const budget = new MemoryChecksumBudget(10)
    const held = await budget.reserve(5, { waitMs: 0 })
    expect(await budget.reserve(6, { waitMs: 0 })).toBeNull()
    const big = budget.reserve(10, { waitMs: 20 })
    const small = budget.reserve(5, { waitMs: 10_000 })
    expect(await big).toBeNull()
    expect((await small)?.size).toBe(5)
    held?.release()
    expect(budget.waiting).toBe(0)
  })

  it('stops waiting when the request goes away, and refuses more than its capacity', async () => {
    const budget = new MemoryChecksumBudget(10)
    await budget.reserve(10, { waitMs: 0 })
    const controller = new AbortController()
    const waiting = budget.reserve(1, { waitMs: 10_000, signal: controller.signal })
    controller.abort()
    await expect(waiting).rejects.toSatisfy((e) => e instanceof PsiError && e.code === 'ABORTED')
    expect(budget.waiting).toBe(0)
    await expect(budget.reserve(11, { waitMs: 0 })).rejects.toThrow(RangeError)
    expect(() => new MemoryChecksumBudget(0)).toThrow(RangeError)
  })

  it('machines given no budget share one per process', () => {
    expect(defaultChecksumBudget()).toBe(defaultChecksumBudget())
    expect(defaultChecksumBudget().capacity).toBe(256 * 1024 * 1024)
  })
})

describe('Web Crypto hashers', () => {
  async function expected(data: Uint8Array): Promise<string> {
    return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)))
  }

  it('digest consecutive views of one buffer, separate chunks, views with gaps and no data', async () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff)
    const views = sha256()
    for (let at = 0; at < data.length; at += 300) views.update(data.subarray(at, at + 300))
    expect(toBase64(await views.digest())).toBe(await expected(data))

    const copies = sha256()
    for (let at = 0; at < data.length; at += 300) copies.update(data.slice(at, at + 300))
    expect(toBase64(await copies.digest())).toBe(await expected(data))

    const gap = sha256()
    gap.update(data.subarray(0, 10))
    gap.update(data.subarray(20, 30)) // same buffer, not adjacent
    expect(toBase64(await gap.digest())).toBe(
      await expected(new Uint8Array([...data.subarray(0, 10), ...data.subarray(20, 30)])),
    )

    const empty = sha256()
    expect(toBase64(await empty.digest())).toBe(await expected(new Uint8Array(0)))
  })
  it('grants an empty reservation at once, even behind a large waiter', async () => {
    const budget = new MemoryChecksumBudget(10)
    const held = await budget.reserve(6, { waitMs: 0 })
    const big = budget.reserve(10, { waitMs: 1000 })
    expect(budget.waiting).toBe(1)
    expect((await budget.reserve(0, { waitMs: 0 }))?.size).toBe(0)
    held?.release()
    ;(await big)?.release()
    expect(budget.used).toBe(0)
  })
})
