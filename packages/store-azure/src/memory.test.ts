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

it('keeps RSS growth far below the size of a large append', async () => {
  const store = suite.store({ blockSize: 4 * MiB })
  const total = 256 * MiB
  const file = newFileFixture({ uploadLength: total })
  await store.create(file)
  // Warm up the SDK's connections and buffers, so they do not count as growth.
  await store.append(file, patternStream(1, 8 * MiB), 0)
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const offset = await store.append(
    file,
    patternStream(1, total - 8 * MiB, {
      offset: 8 * MiB,
      onChunk: () => {
        peak = Math.max(peak, process.memoryUsage().rss)
      },
    }),
    8 * MiB,
  )
  expect(offset).toBe(total)
  const growth = (peak - baseline) / MiB
  console.info(`[store-azure] RSS grew by ${growth.toFixed(1)} MiB while appending 248 MiB (4 MiB blocks)`)
  // Measured 50–60 MiB (SDK and GC slack); buffering the body would be ≥ 248.
  expect(growth).toBeLessThan(112)
}, 120_000)
