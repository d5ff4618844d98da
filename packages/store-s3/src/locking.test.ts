/**
 * One writer per upload across instances: S3Locker and the store's own lock on conditional
 * writes, concurrent PATCHes, a crashed holder taken over after its TTL, and claims.
 */
import { formatFileRef, isPsiError, type PsiError } from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { S3Locker } from './locker.js'
import { storeContext } from './s3-store.js'
import { storeSuite } from './test-support/suite.js'
import { newFile } from './test-support/upload.js'

const MiB = 1024 * 1024
const { prefix, raw, probe, store } = storeSuite('locking', { partSize: MIN_PART_SIZE })

/** A body that yields `bytes` slowly, so concurrent writers really overlap. */
async function* slow(bytes: Uint8Array, chunk = 64 * 1024, pauseMs = 5): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += chunk) {
    yield bytes.slice(at, at + chunk)
    await new Promise((r) => setTimeout(r, pauseMs))
  }
}

function code(err: unknown): string | undefined {
  return isPsiError(err) ? (err as PsiError).code : undefined
}

describe('S3Locker', () => {
  it('a second instance is refused while the first holds the lock, waits with waitMs, and gets it after release', async () => {
    const a = new S3Locker(store())
    const b = new S3Locker(store())
    const id = formatFileRef(newFile(1))
    const held = await a.lock(id)
    expect(code(await b.lock(id).catch((e: unknown) => e))).toBe('UPLOAD_LOCKED')
    const t0 = Date.now()
    const waiting = b.lock(id, { waitMs: 10_000 })
    setTimeout(() => void held.release(), 300)
    const second = await waiting
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(code(await a.lock(id).catch((e: unknown) => e))).toBe('UPLOAD_LOCKED')
    await second.release()
    await (await a.lock(id, { waitMs: 5000 })).release()
  })

  it('PATCHes arriving at one instance in a row reuse the lock: no S3 request before the data; others still get it', async () => {
    const s = store()
    const locker = new S3Locker(s, { lingerMs: 300 })
    const file = newFile(100_000)
    await s.create(file)
    const id = formatFileRef(file)
    const patch = async (from: number, n: number) => {
      const lock = await locker.lock(id, { waitMs: 3000 })
      try {
        const { offset } = await s.info(file)
        expect(offset).toBe(from)
        return await s.append(file, slow(patternBytes(26, from, n), 1000, 0), from)
      } finally {
        await lock.release()
      }
    }
    let offset = 0
    for (let i = 0; i < 3; i++) offset = await patch(offset, 1000)
    const before = { ...s.stats.requests }
    offset = await patch(offset, 1000)
    const after = s.stats.requests
    const diff = Object.fromEntries(
      Object.keys(after)
        .map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)])
        .filter(([, n]) => n !== 0),
    )
    // One PutObject: the new tail segment. No lock, metadata or listing request.
    expect(diff).toEqual({ PutObject: 1 })
    const t0 = Date.now()
    const theirs = await new S3Locker(store()).lock(id, { waitMs: 3000 })
    expect(Date.now() - t0).toBeLessThan(1500)
    await theirs.release()
    expect(await probe.verify(file, patternBytes(26, 0, offset))).toBe(offset)
  })

  it('locking an upload that does not exist leaves no lock object behind', async () => {
    const s = store()
    const ghost = newFile(10)
    const lock = await new S3Locker(s).lock(formatFileRef(ghost))
    await expect(s.append(ghost, slow(new Uint8Array(10)), 0)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await lock.release()
    await expect.poll(async () => (await raw.list(`${prefix}${ghost.sid}/`)).map((o) => o.key)).toEqual([])
  })

  it('refuses ids that are not upload ids', async () => {
    const locker = new S3Locker(store())
    for (const bad of ['', 'no-separator', '../x++y', 'a++b/c']) {
      expect(code(await locker.lock(bad).catch((e: unknown) => e))).toBe('INVALID_ID')
    }
  })

  it('concurrent PATCHes through two instances: exactly one wins, the bytes are one PATCH’s', async () => {
    const stores2 = [store(), store()]
    const lockers = stores2.map((s) => new S3Locker(s))
    const size = 2 * MiB
    const file = newFile(size)
    await stores2[0]?.create(file)
    const payloads = [patternBytes(21, 0, size), patternBytes(22, 0, size)]
    const results = await Promise.allSettled(
      stores2.map(async (s, i) => {
        const lock = await (lockers[i] as S3Locker).lock(formatFileRef(file))
        try {
          return await s.append(file, slow(payloads[i] as Uint8Array), 0)
        } finally {
          await lock.release()
        }
      }),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(code(lost.reason)).toBe('UPLOAD_LOCKED')
    const winner = results.indexOf(won[0] as PromiseFulfilledResult<number>)
    expect(await probe.verify(file, payloads[winner] as Uint8Array)).toBe(size)
  })

  it('concurrent appends without a locker: the store locks by itself (exactly one wins)', async () => {
    const a = store()
    const b = store()
    const size = 512 * 1024
    const file = newFile(size)
    await a.create(file)
    const payloads = [patternBytes(23, 0, size), patternBytes(24, 0, size)]
    const results = await Promise.allSettled([
      a.append(file, slow(payloads[0] as Uint8Array), 0),
      b.append(file, slow(payloads[1] as Uint8Array), 0),
    ])
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    for (const r of results)
      if (r.status === 'rejected') expect(['UPLOAD_LOCKED', 'OFFSET_MISMATCH']).toContain(code(r.reason))
    const winner = results.indexOf(won[0] as PromiseFulfilledResult<number>)
    expect(await probe.verify(file, payloads[winner] as Uint8Array)).toBe(size)
  })

  it('a crashed holder’s lock is taken over after its TTL, and the old holder’s PATCH stops with UPLOAD_LOCKED', async () => {
    const old = store({ lockTtl: 5 })
    // The second instance sees the lock 6 s later than now: expired.
    const later = store({ lockTtl: 5 }, { now: () => Date.now() + 6000 })
    const size = 3 * MIN_PART_SIZE
    const file = newFile(size)
    await old.create(file)
    const payload = patternBytes(25, 0, size)
    const oldLock = await new S3Locker(old).lock(formatFileRef(file))
    // The old holder keeps writing slowly (stalled process)...
    let stop = false
    async function* stalling(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < MIN_PART_SIZE + 100_000 && !stop; at += 100_000) {
        yield payload.slice(at, at + 100_000)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    const oldWrite = old.append(file, stalling(), 0).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    )
    // ...while the new instance takes the lock over.
    const newLock = await new S3Locker(later).lock(formatFileRef(file), { waitMs: 2000 })
    const outcome = await oldWrite
    stop = true
    expect(outcome.ok).toBe(false)
    if (!outcome.ok) expect(code(outcome.e)).toBe('UPLOAD_LOCKED')
    await oldLock.release()
    try {
      const { offset } = await later.info(file)
      expect(await probe.verify(file, payload.subarray(0, offset))).toBe(offset)
      expect(await later.append(file, slow(payload.subarray(offset), 512 * 1024, 0), offset)).toBe(size)
      await later.complete(file)
    } finally {
      await newLock.release()
    }
    expect(await probe.verify(file, payload)).toBe(size)
  }, 30_000)
  it('a contender that stalls between its listing and its lock PUT does not get a lock another instance holds', async () => {
    // Old generations are deleted as generations pile up, so the stalled PUT's `If-None-Match: *`
    // succeeds on a generation that was already taken and removed: the lock must be given up.
    const a = store()
    const c = store()
    const file = newFile(1)
    await a.create(file)
    const id = formatFileRef(file)
    const io = storeContext(c).io
    const put = io.put.bind(io)
    let stalled!: () => void
    const listed = new Promise<void>((r) => {
      stalled = r
    })
    let go!: () => void
    const gate = new Promise<void>((r) => {
      go = r
    })
    io.put = async (key, ...rest) => {
      if (key.includes('.lock.')) {
        stalled()
        await gate
      }
      return put(key, ...rest)
    }
    const la = new S3Locker(a, { lingerMs: 0 })
    const contender = new S3Locker(c, { lingerMs: 0 }).lock(id).then(
      (lock) => ({ won: true as const, lock }),
      (e: unknown) => ({ won: false as const, e }),
    )
    await listed
    for (let i = 0; i < 5; i++) await (await la.lock(id)).release()
    const held = await la.lock(id)
    const lockPrefix = storeContext(a).keys.lockPrefix(file)
    const gens = async () => (await raw.list(lockPrefix)).map((o) => Number(o.key.slice(lockPrefix.length)))
    // The contender's generation (1) was created and deleted in the meantime.
    await expect.poll(gens).not.toContain(1)
    go()
    const outcome = await contender
    if (outcome.won) await outcome.lock.release()
    expect(outcome.won).toBe(false)
    if (!outcome.won) expect(code(outcome.e)).toBe('UPLOAD_LOCKED')
    // The holder still holds it, and the recreated generation is gone again.
    expect(code(await new S3Locker(c).lock(id).catch((e: unknown) => e))).toBe('UPLOAD_LOCKED')
    expect(await gens()).not.toContain(1)
    await held.release()
    await (await new S3Locker(c).lock(id, { waitMs: 5000 })).release()
  })
})

describe('claims', () => {
  it('exactly one of many claims across two instances wins, until released', async () => {
    const a = store()
    const b = store()
    const file = newFile(0, { retention: 'one-time' })
    await a.create(file)
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claim(file)))
    expect(claims.filter(Boolean)).toHaveLength(1)
    await b.releaseClaim(file)
    expect(await a.claim(file)).toBe(true)
    expect(await b.claim(file)).toBe(false)
  })

  it('a claim does not survive deleting and re-creating the file', async () => {
    const s = store()
    const file = newFile(0)
    await s.create(file)
    expect(await s.claim(file)).toBe(true)
    await s.delete(file)
    await s.create(file)
    expect(await s.claim(file)).toBe(true)
  })
})
