import {
  type FileRef,
  formatFileRef,
  ManualClock,
  MemoryLocker,
  type MetaPatch,
  PsiError,
  type Store,
} from '@psitransfer/core'
import { delay, MemoryStore, newFileFixture } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logger.js'
import { DownloadCounts } from './download-counts.js'

/** A store whose every call takes a moment (as a real one does), counting the updates. */
function slowStore(memory: MemoryStore, options: { failUpdates?: number } = {}) {
  let failures = options.failUpdates ?? 0
  // `inside`: writes between their read and their update (the most at once in `most`).
  const calls = { update: 0, inside: 0, most: 0 }
  const store = new Proxy(memory, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target)
      if (prop === 'info') {
        return async (ref: FileRef) => {
          calls.inside++
          calls.most = Math.max(calls.most, calls.inside)
          await delay(1 + Math.random() * 3)
          return target.info(ref)
        }
      }
      if (prop === 'update') {
        return async (ref: FileRef, patch: MetaPatch) => {
          await delay(1 + Math.random() * 3)
          calls.update++
          calls.inside--
          if (failures > 0) {
            failures--
            throw new PsiError('STORE_UNAVAILABLE', 'the storage is down')
          }
          return target.update(ref, patch)
        }
      }
      return typeof v === 'function' ? v.bind(target) : v
    },
  }) as Store
  return { store, calls }
}

async function fileIn(memory: MemoryStore): Promise<FileRef> {
  const file = newFileFixture({ uploadLength: 1 })
  await memory.create(file)
  return { sid: file.sid, key: file.key }
}

async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await delay(5)
  }
}

function setup(options: { failUpdates?: number; retryMs?: number; lockWaitMs?: number } = {}) {
  const memory = new MemoryStore()
  const { store, calls } = slowStore(memory, options)
  const locker = new MemoryLocker()
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const logger = createMemoryLogger()
  const counts = new DownloadCounts(
    { store, locker, clock, logger },
    { retryMs: options.retryMs ?? 10, lockWaitMs: options.lockWaitMs ?? 10_000 },
  )
  return { memory, store, calls, locker, clock, logger, counts }
}

describe('DownloadCounts', () => {
  it('counts every one of 50 downloads that end at once, in far fewer writes, with the latest time', async () => {
    const { memory, calls, clock, counts } = setup()
    const ref = await fileIn(memory)
    const start = clock.now()
    for (let i = 0; i < 50; i++) {
      counts.add(ref, start + ((i * 7) % 50))
      if (i % 10 === 0) await delay(2)
    }
    await counts.settled()
    const meta = await memory.info(ref)
    expect(meta.downloads).toBe(50)
    expect(meta.lastDownload).toBe(start + 49)
    expect(calls.update).toBeLessThan(50)
    expect(counts.pending).toBe(0)
  })

  it('an archive of 200 files counts each of them, with at most 4 writes running at once', async () => {
    const { memory, calls, counts } = setup()
    const refs = await Promise.all(Array.from({ length: 200 }, () => fileIn(memory)))
    for (const ref of refs) counts.add(ref)
    // A second archive while the first one's counts are queued: they ride along.
    await delay(5)
    for (const ref of refs) counts.add(ref)
    await counts.settled()
    for (const ref of refs) expect((await memory.info(ref)).downloads).toBe(2)
    expect(calls.most).toBe(4)
    expect(calls.update).toBeLessThan(300)
    expect(counts.pending).toBe(0)
  })

  it('two instances sharing the store and its lock never overwrite each other', async () => {
    const memory = new MemoryStore()
    const ref = await fileIn(memory)
    const locker = new MemoryLocker()
    const clock = new ManualClock(1000)
    const logger = createMemoryLogger()
    const instances = [0, 1, 2].map(
      () => new DownloadCounts({ store: slowStore(memory).store, locker, clock, logger }),
    )
    for (let i = 0; i < 60; i++) {
      instances[i % 3]?.add(ref)
      if (i % 7 === 0) await delay(1)
    }
    await Promise.all(instances.map((c) => c.settled()))
    expect((await memory.info(ref)).downloads).toBe(60)
  })

  it('never makes a download wait: a held lock delays the write, not the caller', async () => {
    const { memory, locker, counts } = setup()
    const ref = await fileIn(memory)
    const held = await locker.lock(formatFileRef(ref))
    const before = Date.now()
    for (let i = 0; i < 5; i++) counts.add(ref)
    expect(Date.now() - before).toBeLessThan(50)
    await delay(30)
    expect((await memory.info(ref)).downloads).toBe(0)
    expect(counts.pending).toBe(5)
    await held.release()
    await until(async () => (await memory.info(ref)).downloads === 5)
    expect(counts.pending).toBe(0)
  })

  it('keeps the count while the lock stays busy past its wait, and writes it later', async () => {
    const { memory, locker, logger, counts } = setup({ lockWaitMs: 20, retryMs: 20 })
    const ref = await fileIn(memory)
    const held = await locker.lock(formatFileRef(ref))
    counts.add(ref)
    counts.add(ref)
    await until(() => logger.entries.some((e) => e.msg === 'could not record downloads yet'))
    counts.add(ref)
    await held.release()
    await until(async () => (await memory.info(ref)).downloads === 3)
    expect(counts.pending).toBe(0)
  })

  it('tries again after a storage error, counting nothing twice', async () => {
    const { memory, logger, counts } = setup({ failUpdates: 2 })
    const ref = await fileIn(memory)
    for (let i = 0; i < 4; i++) counts.add(ref)
    await until(async () => (await memory.info(ref)).downloads === 4)
    await delay(50)
    expect((await memory.info(ref)).downloads).toBe(4)
    expect(logger.entries.filter((e) => e.msg === 'could not record downloads yet')).toHaveLength(2)
  })

  it('drops the count of a file deleted meanwhile, without bringing it back', async () => {
    const { memory, locker, counts } = setup()
    const ref = await fileIn(memory)
    const held = await locker.lock(formatFileRef(ref))
    counts.add(ref)
    await memory.delete(ref)
    await held.release()
    await counts.settled()
    expect(counts.pending).toBe(0)
    await expect(memory.info(ref)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('drain writes counts waiting for a retry, and is bounded when the lock never frees', async () => {
    const { memory, locker, logger, counts } = setup({ failUpdates: 1, retryMs: 60_000 })
    const ref = await fileIn(memory)
    counts.add(ref)
    await until(() => logger.entries.some((e) => e.msg === 'could not record downloads yet'))
    await counts.drain(2000)
    expect((await memory.info(ref)).downloads).toBe(1)
    expect(counts.pending).toBe(0)

    const stuck = await fileIn(memory)
    const held = await locker.lock(formatFileRef(stuck))
    counts.add(stuck)
    const before = Date.now()
    await counts.drain(200)
    expect(Date.now() - before).toBeLessThan(1500)
    expect(logger.entries.find((e) => e.msg === 'shutdown: download counts not recorded')).toMatchObject({
      downloads: 1,
    })
    await held.release()
  })
})
