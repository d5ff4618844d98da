/** Metadata writes across instances: conditional (ETag) read-modify-writes lose no change. */
import { newFileFixture } from '@psitransfer/core/testing'
import { expect, it } from 'vitest'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('meta')

it('keeps the changes of instances updating one file at the same moment', async () => {
  const stores = Array.from({ length: 4 }, () => suite.store())
  const file = newFileFixture({ extra: {} })
  await stores[0]?.create(file)
  // Each instance changes its own field; without If-Match one would write back a stale copy.
  await Promise.all([
    stores[0]?.update(file, { comment: 'from a' }),
    stores[1]?.update(file, { name: 'from-b.txt' }),
    stores[2]?.update(file, { downloads: 3 }),
    stores[3]?.update(file, { bucketLocked: true }),
  ])
  expect(await suite.store().info(file)).toMatchObject({
    comment: 'from a',
    name: 'from-b.txt',
    downloads: 3,
    bucketLocked: true,
  })
})
