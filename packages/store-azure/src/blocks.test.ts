/**
 * Against Azurite: how uploads map to blocks. A crashed writer's staged blocks are found again
 * and committed by `complete`; a commit that went through before the metadata write is
 * finished by another instance; stray blocks never count; small PATCHes do not pile up blocks.
 */
import { chunked, collect, newFileFixture } from '@psitransfer/core/testing'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import { blockId, durableBlocks } from './blocks.js'
import { blockSizeFor, MAX_COMMITTED_BLOCKS, MiB, maxUploadFor } from './config.js'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('blocks')
const data = (ref: { sid: string; key: string }) =>
  suite.raw.getBlockBlobClient(`${suite.prefix}${ref.sid}/${ref.key}`)

it('complete() commits blocks a crashed writer staged (complete after crash)', async () => {
  const store = suite.store()
  const bytes = patternBytes(7, 0, 3000)
  const file = newFileFixture({ uploadLength: 3000 })
  await store.create(file)
  expect(await store.append(file, chunked(bytes.subarray(0, 1000)), 0)).toBe(1000)
  // A writer that staged the rest and died before Put Block List.
  await data(file).stageBlock(blockId(1000, 2000), bytes.subarray(1000, 2000), 1000)
  await data(file).stageBlock(blockId(2000, 3000), bytes.subarray(2000, 3000), 1000)
  const fresh = suite.store()
  expect((await fresh.info(file)).offset).toBe(3000)
  expect((await fresh.complete(file)).complete).toBe(true)
  const list = await data(file).getBlockList('all')
  expect(list.uncommittedBlocks).toEqual([])
  expect(Buffer.from(await collect(await fresh.read(file))).equals(Buffer.from(bytes))).toBe(true)
})

it('complete() finishes an upload whose bytes were committed but whose metadata was not marked', async () => {
  const store = suite.store()
  const bytes = patternBytes(8, 0, 500)
  const file = newFileFixture({ uploadLength: 500 })
  await store.create(file)
  await store.append(file, chunked(bytes), 0)
  // As if the first complete() died before its metadata write: all committed, complete: false.
  expect(await store.info(file)).toMatchObject({ offset: 500, complete: false })
  const meta = await suite.store().complete(file)
  expect(meta).toMatchObject({ complete: true, offset: 500 })
  expect((await store.info(file)).complete).toBe(true)
})

it('ignores stray blocks off the chain and drops them at the next commit', async () => {
  const store = suite.store()
  const file = newFileFixture({ uploadLength: 100 })
  await store.create(file)
  await store.append(file, chunked(patternBytes(9, 0, 10)), 0)
  // Blocks past a gap (a dead writer's, or foreign ids) are not durable bytes of the upload.
  await data(file).stageBlock(blockId(20, 30), patternBytes(9, 20, 10), 10)
  await data(file).stageBlock(Buffer.from('x'.repeat(36)).toString('base64'), patternBytes(9, 10, 10), 10)
  expect((await store.info(file)).offset).toBe(10)
  expect(await store.append(file, chunked(patternBytes(9, 10, 5)), 10)).toBe(15)
  const list = await data(file).getBlockList('all')
  expect(list.uncommittedBlocks).toEqual([])
  expect(list.blobContentLength).toBe(15)
})

it('keeps the block count bounded when a client sends tiny PATCHes', async () => {
  const store = suite.store({ blockSize: MiB })
  const total = 3 * MiB
  const patch = 100 * 1024
  const file = newFileFixture({ uploadLength: total })
  await store.create(file)
  let offset = 0
  while (offset < total) {
    const n = Math.min(patch, total - offset)
    offset = await store.append(file, chunked(patternBytes(10, offset, n), [40_000]), offset)
  }
  await store.complete(file)
  const list = await data(file).getBlockList('all')
  const state = durableBlocks(list.committedBlocks ?? [], [])
  // Every block but the last holds at least half a block: 31 PATCHes, at most 7 blocks.
  expect(state.committed.length).toBeLessThanOrEqual(2 * (total / MiB) + 1)
  for (const b of state.committed.slice(0, -1)) expect(b.end - b.start).toBeGreaterThanOrEqual(MiB / 2)
  const back = await collect(await store.read(file))
  expect(Buffer.from(back).equals(Buffer.from(patternBytes(10, 0, total)))).toBe(true)
})

it('grows the block size so any length fits in 50,000 committed blocks', () => {
  expect(blockSizeFor(10 * MiB, 8 * MiB)).toBe(8 * MiB)
  expect(blockSizeFor(null, 8 * MiB)).toBe(8 * MiB)
  for (const length of [200 * 1024 ** 3, 1024 ** 4, 50 * 1024 ** 4]) {
    const size = blockSizeFor(length, 8 * MiB)
    expect(size % MiB).toBe(0)
    expect(maxUploadFor(size)).toBeGreaterThanOrEqual(length)
    expect(Math.ceil((2 * length) / size) + 1).toBeLessThanOrEqual(MAX_COMMITTED_BLOCKS)
  }
})
