/**
 * AzureLocker across store instances (as across server processes): one holder at a time,
 * a live holder is never broken, a dead one is taken over, and a writer that lost its lease
 * cannot write any more (Azure refuses its lease id).
 */
import { randomUUID } from 'node:crypto'
import { chunked, expectPsiError, newFileFixture } from '@psitransfer/core/testing'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import { blockId } from './blocks.js'
import { AzureLocker } from './locker.js'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('locking')
const STALE = 4 // seconds: the smallest lockStaleAfter, to keep the waits short

async function upload(label: string) {
  const a = suite.store({ lockStaleAfter: STALE })
  const b = suite.store({ lockStaleAfter: STALE })
  const file = newFileFixture({ uploadLength: 1000, name: `${label}.bin` })
  await a.create(file)
  return { a, b, file, id: `${file.sid}++${file.key}` }
}

it('lets one instance hold an upload at a time and hands it over on release', async () => {
  const { a, b, file, id } = await upload('handover')
  const lockA = await new AzureLocker(a).lock(id)
  await expectPsiError(new AzureLocker(b).lock(id, { waitMs: 300 }), 'UPLOAD_LOCKED')
  // B's own append (no lock of its own) is refused too, and writes nothing.
  await expectPsiError(b.append(file, chunked(patternBytes(1, 0, 10)), 0), 'UPLOAD_LOCKED')
  expect(await a.append(file, chunked(patternBytes(1, 0, 10)), 0)).toBe(10)
  const t0 = Date.now()
  const waiting = new AzureLocker(b).lock(id, { waitMs: 5000 })
  setTimeout(() => void lockA.release(), 200)
  const lockB = await waiting
  expect(Date.now() - t0).toBeLessThan(2000)
  expect(await b.append(file, chunked(patternBytes(1, 10, 10)), 10)).toBe(20)
  await lockB.release()
  expect((await a.info(file)).offset).toBe(20)
})

it('never breaks a live holder, however long it holds the lock', async () => {
  const { a, b, id } = await upload('live')
  const lockA = await new AzureLocker(a).lock(id)
  try {
    // Twice the staleness limit: A's heartbeat keeps the lease alive.
    await expectPsiError(new AzureLocker(b).lock(id, { waitMs: 2 * STALE * 1000 }), 'UPLOAD_LOCKED')
  } finally {
    await lockA.release()
  }
}, 30_000)

it('takes over from a dead holder and fences it: its lease id writes nothing afterwards', async () => {
  const { b, file, id } = await upload('dead')
  // A holder that died right after taking the lease: no heartbeat ever.
  const data = suite.raw.getBlockBlobClient(`${suite.prefix}${file.sid}/${file.key}`)
  const deadLease = randomUUID()
  await data.getBlobLeaseClient(deadLease).acquireLease(-1)
  const t0 = Date.now()
  const lock = await new AzureLocker(b).lock(id, { waitMs: 20_000 })
  const waited = Date.now() - t0
  try {
    expect(waited).toBeLessThan((STALE + 4) * 1000)
    const bytes = patternBytes(2, 0, 10)
    await expect(
      data.stageBlock(blockId(0, 10), bytes, 10, { conditions: { leaseId: deadLease } }),
    ).rejects.toMatchObject({
      statusCode: 412,
    })
    expect(await b.append(file, chunked(bytes), 0)).toBe(10)
  } finally {
    await lock.release()
  }
  const list = await data.getBlockList('all')
  expect(list.uncommittedBlocks ?? []).toEqual([])
  expect(list.blobContentLength).toBe(10)
}, 30_000)

it('lets concurrent appends of two instances under their lockers never interleave', async () => {
  const { a, b, file, id } = await upload('race')
  const payloads = [patternBytes(3, 0, 1000), patternBytes(4, 0, 1000)]
  const results = await Promise.allSettled(
    [a, b].map(async (store, i) => {
      const lock = await new AzureLocker(store).lock(id, { waitMs: 0 })
      try {
        return await store.append(file, chunked(payloads[i] as Uint8Array), 0)
      } finally {
        await lock.release()
      }
    }),
  )
  const winners = results.filter((r) => r.status === 'fulfilled')
  expect(winners).toHaveLength(1)
  const winner = results.findIndex((r) => r.status === 'fulfilled')
  const read = new Uint8Array(
    await suite.raw.getBlockBlobClient(`${suite.prefix}${file.sid}/${file.key}`).downloadToBuffer(),
  )
  expect(Buffer.from(read).equals(Buffer.from(payloads[winner] as Uint8Array))).toBe(true)
})
