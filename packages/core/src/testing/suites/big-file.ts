/** Conformance: a big file streamed in one append and read back, with flat memory. */
import { expect } from 'vitest'
import { newFileFixture } from '../helpers.js'
import { checkPattern, patternStream } from '../pattern.js'
import type { SuiteContext } from '../suite.js'

const MiB = 1 << 20

interface MemoryUsageFn {
  (): { rss: number }
  rss?: () => number
}

/** Reads the process RSS through `globalThis`, so core needs no Node types; `null` off Node. */
function rssReader(): (() => number) | null {
  const proc = (globalThis as { process?: { memoryUsage?: MemoryUsageFn } }).process
  const usage = proc?.memoryUsage
  if (!proc || !usage) return null
  return () => (usage.rss ? usage.rss() : usage.call(proc).rss)
}

/** Runs a full garbage collection when the runtime exposes one (`--expose-gc`). */
function collectGarbage(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

export function registerBigFileSuite(ctx: SuiteContext): void {
  const bytes = ctx.bigFileBytes
  const seed = 41
  /** Peak RSS growth seen by `big-file.stream`, for `big-file.rss`. */
  let measured: { growth: number } | { unavailable: string } | undefined

  ctx.test(
    'big-file.stream',
    async () => {
      const store = ctx.store()
      const file = newFileFixture({ uploadLength: bytes, name: 'big.bin' })
      await store.create(file)
      const readRss = rssReader()
      collectGarbage()
      const baseline = readRss?.() ?? 0
      let peak = baseline
      const sample = () => {
        if (readRss) peak = Math.max(peak, readRss())
      }
      try {
        // With a live signal, as the server passes one: abort plumbing must not retain chunks.
        const offset = await store.append(
          file,
          patternStream(seed, bytes, { chunkSize: MiB, onChunk: sample }),
          0,
          { signal: new AbortController().signal },
        )
        expect(offset).toBe(bytes)
        await store.complete(file)
        if (ctx.probe.dataSize) expect(await ctx.probe.dataSize(file)).toBe(bytes)
        const check = await checkPattern(
          seed,
          await store.read(file, { signal: new AbortController().signal }),
          {
            onChunk: sample,
          },
        )
        expect(check.length).toBe(bytes)
        expect(check.firstMismatch, 'first byte that differs from what was written').toBeNull()
        measured = readRss
          ? { growth: peak - baseline }
          : { unavailable: 'process.memoryUsage() is not available' }
      } finally {
        await store.delete(file).catch(() => {})
      }
    },
    ctx.bigFileTimeoutMs,
  )

  ctx.test('big-file.rss', async () => {
    if (!measured) throw new Error('big-file.stream did not finish, so there is no measurement')
    if ('unavailable' in measured) throw new Error(`cannot measure RSS: ${measured.unavailable}`)
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`
    expect(
      measured.growth,
      `RSS grew by ${mib(measured.growth)} while streaming ${mib(bytes)} (bound ${mib(ctx.rssBoundBytes)})`,
    ).toBeLessThan(ctx.rssBoundBytes)
  })
}
