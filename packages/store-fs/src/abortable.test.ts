import { describe, expect, it } from 'vitest'
import { abortable } from './abortable.js'

const MiB = 1 << 20

async function* fresh(chunks: number, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < chunks; i++) yield new Uint8Array(size).fill(i & 0xff)
}

describe('abortable', () => {
  it('passes everything through and ends with the source', async () => {
    const seen: number[] = []
    for await (const c of abortable(fresh(5, 3), new AbortController().signal)) seen.push(c[0] ?? -1)
    expect(seen).toEqual([0, 1, 2, 3, 4])
  })

  it('interrupts a stalled next() on abort and tells the source to stop', async () => {
    const ac = new AbortController()
    let returned = false
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: async () => {
          returned = true
          return { done: true, value: undefined }
        },
      }),
    }
    setTimeout(() => ac.abort(), 10)
    const err = await (async () => {
      for await (const _ of abortable(stalled, ac.signal)) {
        /* never */
      }
    })().catch((e) => e)
    expect(err.code).toBe('ABORTED')
    expect(returned).toBe(true)
  })

  it('does not keep consumed chunks alive (memory stays flat over 512 MiB)', async () => {
    const signal = new AbortController().signal
    const before = process.memoryUsage().arrayBuffers
    let peak = 0
    let n = 0
    for await (const c of abortable(fresh(512, MiB), signal)) {
      n += c.byteLength
      if (n % (32 * MiB) === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before)
    }
    expect(n).toBe(512 * MiB)
    // A leak retains every chunk (512 MiB); without one, GC keeps the growth far below that.
    expect(peak).toBeLessThan(160 * MiB)
  })
})
