/**
 * Memory stays flat however large one append is: the store holds at most the block being
 * staged and the one filling (2 × blockSize), not the body.
 */
import { newFileFixture } from '@psitransfer/core/testing'
import { patternStream } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import { MiB } from './config.js'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('memory')

/** Memory the process holds on to (JS heap and buffers) after a full garbage collection. */
function retained(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('memory.test.ts needs --expose-gc (vitest.config.ts execArgv)')
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

it('holds on to far less memory than a large append carries', async () => {
  const store = suite.store({ blockSize: 4 * MiB })
  const total = 256 * MiB
  const file = newFileFixture({ uploadLength: total })
  await store.create(file)
  // Warm up the SDK's connections and buffers, so they do not count as growth.
  await store.append(file, patternStream(1, 8 * MiB), 0)
  const baseline = retained()
  let peak = baseline
  let nextSample = 0
  const offset = await store.append(
    file,
    patternStream(1, total - 8 * MiB, {
      offset: 8 * MiB,
      onChunk: (yielded) => {
        // Every 16 MiB: what is still referenced, not garbage not yet collected (RSS counted
        // that too, and under load it doubled from one run to the next).
        if (yielded >= nextSample) {
          nextSample += 16 * MiB
          peak = Math.max(peak, retained())
        }
      },
    }),
    8 * MiB,
  )
  expect(offset).toBe(total)
  const growth = (peak - baseline) / MiB
  console.info(
    `[store-azure] retained memory grew by ${growth.toFixed(1)} MiB while appending 248 MiB (4 MiB blocks)`,
  )
  // The block being staged and the one filling (2 × 4 MiB) plus the SDK's buffers; holding the
  // body would be ≥ 248.
  expect(growth).toBeLessThan(48)
}, 120_000)
