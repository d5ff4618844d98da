import { describe, expect, it, vi } from 'vitest'
import { abortable, abortError } from './abortable.js'
import { isPsiError } from './errors.js'

async function* counting(n: number, onReturn: () => void): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) yield i
  } finally {
    onReturn()
  }
}

/** A source whose next() never settles (a client that stopped sending). */
function stalled(onReturn: () => void): AsyncIterable<number> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<number>>(() => {}),
      return: async () => {
        onReturn()
        return { done: true, value: undefined }
      },
    }),
  }
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const v of it) out.push(v)
  return out
}

describe('abortable', () => {
  it('passes everything through without a signal or with one that never fires', async () => {
    expect(await drain(abortable(counting(5, () => {})))).toEqual([0, 1, 2, 3, 4])
    expect(
      await drain(
        abortable(
          counting(5, () => {}),
          new AbortController().signal,
        ),
      ),
    ).toEqual([0, 1, 2, 3, 4])
  })

  it('fails with ABORTED (the reason as cause) when the signal was already aborted', async () => {
    const c = new AbortController()
    c.abort(new Error('gone'))
    const err = await drain(
      abortable(
        counting(3, () => {}),
        c.signal,
      ),
    ).catch((e: unknown) => e)
    expect(isPsiError(err) && err.code).toBe('ABORTED')
    expect((err as Error).cause).toEqual(new Error('gone'))
  })

  it('interrupts a stalled next() and tells the source to stop', async () => {
    const c = new AbortController()
    const stopped = vi.fn()
    const pending = drain(abortable(stalled(stopped), c.signal))
    setTimeout(() => c.abort(), 10)
    const err = await pending.catch((e: unknown) => e)
    expect(isPsiError(err) && err.code).toBe('ABORTED')
    expect(stopped).toHaveBeenCalledOnce()
  })

  it('stops between chunks when the consumer aborts, and the source is closed', async () => {
    const c = new AbortController()
    const stopped = vi.fn()
    const seen: number[] = []
    const err = await (async () => {
      for await (const v of abortable(counting(100, stopped), c.signal)) {
        seen.push(v)
        if (v === 2) c.abort()
      }
    })().catch((e: unknown) => e)
    expect(isPsiError(err) && err.code).toBe('ABORTED')
    expect(seen).toEqual([0, 1, 2])
    expect(stopped).toHaveBeenCalledOnce()
  })

  it('leaves no abort listener behind per chunk (a listener per chunk would keep every chunk alive)', async () => {
    const c = new AbortController()
    const add = vi.spyOn(c.signal, 'addEventListener')
    const remove = vi.spyOn(c.signal, 'removeEventListener')
    expect(
      (
        await drain(
          abortable(
            counting(1000, () => {}),
            c.signal,
          ),
        )
      ).length,
    ).toBe(1000)
    expect(add.mock.calls.length).toBeGreaterThanOrEqual(1000)
    expect(remove.mock.calls.length).toBe(add.mock.calls.length)
  })

  it('does not keep consumed chunks alive (memory stays flat over 512 MiB)', async () => {
    const MiB = 1 << 20
    async function* fresh(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 512; i++) yield new Uint8Array(MiB).fill(i & 0xff)
    }
    const before = process.memoryUsage().arrayBuffers
    let peak = 0
    let n = 0
    for await (const c of abortable(fresh(), new AbortController().signal)) {
      n += c.byteLength
      if (n % (32 * MiB) === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before)
    }
    expect(n).toBe(512 * MiB)
    // A leak retains every chunk (512 MiB); without one, GC keeps the growth far below that.
    expect(peak).toBeLessThan(160 * MiB)
  })

  it('abortError is a PsiError with the HTTP 400 code ABORTED', () => {
    const c = new AbortController()
    c.abort('why')
    const e = abortError(c.signal)
    expect(isPsiError(e) && e.code).toBe('ABORTED')
    expect(e.cause).toBe('why')
  })
})
