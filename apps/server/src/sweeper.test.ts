import { formatFileRef, listAll, ManualClock, MemoryLocker } from '@psitransfer/core'
import { MemoryStore, newFileFixture } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { createMemoryLogger, silentLogger } from './logger.js'
import { Metrics } from './metrics.js'
import { Sweeper } from './sweeper.js'

describe('Sweeper', () => {
  it('deletes expired files, finished or not, and leaves the rest', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock(1_000_000)
    const metrics = new Metrics()
    const locker = new MemoryLocker()
    const mk = (key: string, expiresAt: number | null) =>
      store.create({ ...newFileFixture({ sid: 'b' as never, key: key as never }), expiresAt, createdAt: 0 })
    await mk('expired', 1_000_000)
    await mk('future', 2_000_000)
    await mk('never', null)
    await mk('busy', 500)
    const sweeper = new Sweeper({ store, locker, clock, logger: silentLogger, metrics, intervalMs: 60_000 })
    // A PATCH holds the lock of `busy`: skipped this round.
    const lock = await locker.lock(formatFileRef({ sid: 'b' as never, key: 'busy' as never }))
    expect(await sweeper.runOnce()).toEqual({ completed: 0, deleted: 1, failed: 0, skipped: 1 })
    await lock.release()
    expect((await listAll(store)).map((f) => f.key).sort()).toEqual(['busy', 'future', 'never'])
    expect(await sweeper.runOnce()).toEqual({ completed: 0, deleted: 1, failed: 0, skipped: 0 })
    clock.advance(1_000_000)
    expect((await sweeper.runOnce()).deleted).toBe(1)
    expect((await listAll(store)).map((f) => f.key)).toEqual(['never'])
    expect(metrics.render()).toContain('psitransfer_files_expired_total 3')
  })

  it('runs on its interval until stopped', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock(10)
    await store.create({ ...newFileFixture({ sid: 'b' as never, key: 'k' as never }), expiresAt: 5 })
    const sweeper = new Sweeper({
      store,
      locker: new MemoryLocker(),
      clock,
      logger: silentLogger,
      intervalMs: 10,
    })
    sweeper.start()
    const until = Date.now() + 2000
    while ((await listAll(store)).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5))
    await sweeper.stop()
    expect(await listAll(store)).toHaveLength(0)
  })

  it("runs the store's own housekeeping after the expiry pass, and survives its failure", async () => {
    const store = new MemoryStore()
    const calls: number[] = []
    let fail = false
    Object.assign(store, {
      sweep: async ({ now }: { now: number }) => {
        calls.push(now)
        if (fail) throw new Error('listing failed')
        return { abortedUploads: 2 }
      },
    })
    const logger = createMemoryLogger()
    const sweeper = new Sweeper({
      store,
      locker: new MemoryLocker(),
      clock: new ManualClock(42),
      logger,
      intervalMs: 60_000,
    })
    await sweeper.runOnce()
    fail = true
    expect(await sweeper.runOnce()).toEqual({ completed: 0, deleted: 0, failed: 0, skipped: 0 })
    expect(calls).toEqual([42, 42])
    const lines = JSON.stringify(logger.entries)
    expect(lines).toContain('abortedUploads')
    expect(lines).toContain('store sweep failed')
  })
})
