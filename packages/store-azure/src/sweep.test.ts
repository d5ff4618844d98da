/** `sweep()`: expired files, abandoned uploads and blobs without metadata. */
import { chunked, expectPsiError, newFileFixture } from '@psitransfer/core/testing'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import { blockId } from './blocks.js'
import { AzureLocker } from './locker.js'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('sweep')
const HOUR = 3_600_000

it('removes expired files and old orphans, keeps live uploads and young orphans', async () => {
  const store = suite.store({ abandonedUploadTtl: 86_400 })
  const now = Date.now()
  const expired = newFileFixture({ uploadLength: 5, expiresAt: now - 1000 })
  const live = newFileFixture({ uploadLength: 50, expiresAt: now + HOUR * 48 })
  const writing = newFileFixture({ uploadLength: 50, expiresAt: now - 1000 })
  for (const f of [expired, live, writing]) await store.create(f)
  await store.append(live, chunked(patternBytes(1, 0, 10)), 0)
  // Orphans: a data blob with staged blocks and a claim, both without metadata.
  const orphan = newFileFixture()
  const orphanData = suite.raw.getBlockBlobClient(`${suite.prefix}${orphan.sid}/${orphan.key}`)
  await orphanData.commitBlockList([])
  await orphanData.stageBlock(blockId(0, 3), patternBytes(2, 0, 3), 3)
  await suite.raw.getBlockBlobClient(`${suite.prefix}${orphan.sid}/${orphan.key}.claim`).upload('', 0)

  const lock = await new AzureLocker(store).lock(`${writing.sid}++${writing.key}`)
  try {
    // Young orphans stay (an upload may be between its blobs); a held lock protects its upload.
    expect(await store.sweep({ now })).toMatchObject({ expired: 1, orphans: 0, skipped: 1 })
    await expectPsiError(store.info(expired), 'NOT_FOUND')
    expect(await orphanData.exists()).toBe(true)
    // Two hours on: the orphans go; a day and more without activity: the incomplete upload too.
    const later = await store.sweep({ now: now + 2 * HOUR })
    expect(later).toMatchObject({ orphans: 2, skipped: 1 })
    expect((await store.info(writing)).complete).toBe(false)
    expect(await orphanData.exists()).toBe(false)
  } finally {
    await lock.release()
  }
  expect((await store.info(live)).offset).toBe(10)
  expect(await store.sweep({ now: now + 30 * HOUR })).toMatchObject({ expired: 1, abandoned: 1 })
  await expectPsiError(store.info(live), 'NOT_FOUND')
  await expectPsiError(store.info(writing), 'NOT_FOUND')
})
