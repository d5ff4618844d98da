/**
 * Random PATCH sequences against the real server: sizes from 0 bytes to 11 MiB (around S3's 5 MiB
 * part minimum and PsiTransfer's 5,000,000-byte chunks), bodies that end short, clients that go
 * away mid-body, two instances taking turns, deferred lengths declared part-way, small memory
 * budgets and one part in flight. After every PATCH: the offset it reported and a fresh
 * instance's offset are covered by correct bytes in S3 (parts by MD5, segments byte for byte) and
 * never below what was acknowledged; at the end the file completes and reads back byte-exact.
 * Reproducible from the seed; `RANDOM_PATCH_RUNS` / `RANDOM_PATCH_SEED` run more or others.
 */
import { type FileRef, formatFileRef } from '@psitransfer/core'
import { checkPattern, patternBytes } from '@psitransfer/core/testing'
import { describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { S3Locker } from './locker.js'
import type { S3Store } from './s3-store.js'
import { storeSuite } from './test-support/suite.js'
import { newFile } from './test-support/upload.js'

const MiB = 1024 * 1024
const S = MIN_PART_SIZE
const { probe, store: newStore } = storeSuite('random-patches', { partSize: S })

function rng(seed: number) {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

async function* body(seed: number, from: number, n: number, chunk: number, after?: () => Promise<void>) {
  for (let at = from; at < from + n; at += chunk) yield patternBytes(seed, at, Math.min(chunk, from + n - at))
  await after?.()
}

const RUNS = Number(process.env.RANDOM_PATCH_RUNS ?? 24)
const FIRST_SEED = Number(process.env.RANDOM_PATCH_SEED ?? 1)

describe('random PATCH sequences', () => {
  for (let run = 0; run < RUNS; run++) {
    const seed = FIRST_SEED + run
    it(`seed ${seed}`, { timeout: 240_000 }, async () => {
      const r = rng(seed * 7919)
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T
      const extra = {
        adaptivePartSize: r() < 0.8,
        deferredPartSize: pick([S, 6 * MiB, 4 * S]),
        ...(r() < 0.3 ? { maxBufferedBytes: pick([S, 2 * S, 3 * S]) } : {}),
        ...(r() < 0.3 ? { maxConcurrentPartUploads: 1 } : {}),
      }
      const stores: S3Store[] = [newStore(extra), newStore(extra)]
      const lockers = stores.map((s) => new S3Locker(s, { lingerMs: pick([0, 250, 2000]) }))
      const fresh = newStore(extra)
      const L = pick([1, S - 1, S, S + 1, 2 * S, 2 * S + 1, 3 * S - 7, 5_000_000 * 4, 17 * MiB + 3, 23 * MiB])
      const deferred = r() < 0.3
      const file = newFile(deferred ? null : L)
      await stores[0]?.create(file)
      let declared = !deferred
      let offset = 0
      let cur = 0
      const log: string[] = [`L=${L} deferred=${deferred} ${JSON.stringify(extra)}`]
      for (let step = 0; offset < L && step < 60; step++) {
        if (r() < 0.2) cur = 1 - cur
        const s = stores[cur] as S3Store
        const locker = lockers[cur] as S3Locker
        const room = L - offset
        let n = pick([
          0,
          1,
          7,
          65_536,
          5_000_000,
          5_000_000,
          S,
          S - 1,
          S + 1,
          6_000_000,
          11 * MiB,
          room,
          room,
          room - 1,
        ])
        n = Math.max(0, Math.min(n, room))
        const mode = r() < 0.15 ? 'abort' : r() < 0.1 ? 'short' : 'ok'
        const chunk = pick([1024, 64 * 1024, 1 << 20])
        let lock: Awaited<ReturnType<S3Locker['lock']>>
        try {
          lock = await locker.lock(formatFileRef(file), { waitMs: 5000 })
        } catch (e) {
          log.push(`lock failed ${e}`)
          continue
        }
        let reported: number | undefined
        let err: unknown
        try {
          const info = await s.info(file)
          if (info.offset !== offset) {
            // S3 may hold more than acknowledged (late bytes); never less.
            if (info.offset < offset) throw new Error(`offset went back: ${info.offset} < ${offset}`)
            log.push(`info ${info.offset} (was ${offset})`)
            offset = info.offset
          }
          if (!declared && (r() < 0.3 || offset + n >= L)) {
            await s.update(file, { uploadLength: L })
            declared = true
            log.push('declared L')
          }
          const ac = new AbortController()
          let sendN = n
          let after: (() => Promise<void>) | undefined
          if (mode === 'short') sendN = Math.floor(n * r())
          if (mode === 'abort') {
            sendN = Math.floor(n * r())
            after = () => {
              setTimeout(() => ac.abort(new Error('client gone')), 20)
              return new Promise<void>(() => {})
            }
          }
          log.push(`#${step} inst${cur} at ${offset} n=${n} send=${sendN} ${mode} chunk=${chunk}`)
          reported = await s.append(file, body(seed, offset, sendN, chunk, after), offset, {
            signal: ac.signal,
          })
        } catch (e) {
          err = e
        } finally {
          await lock.release()
        }
        if (err !== undefined) log.push(`  error ${(err as Error).message}`)
        const fi = await fresh.info(file)
        const held = await probe.verifyPrefix(file, patternBytes(seed, 0, L))
        log.push(`  reported=${reported} fresh=${fi.offset} held=${held}`)
        if (reported !== undefined) {
          if (reported > held) throw new Error(`reported ${reported} > held ${held}\n${log.join('\n')}`)
          offset = reported
        }
        if (fi.offset > held) throw new Error(`fresh ${fi.offset} > held ${held}\n${log.join('\n')}`)
        if (fi.offset < offset) throw new Error(`fresh ${fi.offset} < ack ${offset}\n${log.join('\n')}`)
        offset = fi.offset
      }
      if (!declared) {
        await stores[0]?.update(file, { uploadLength: L })
      }
      const s = stores[cur] as S3Store
      if (offset < L) {
        const info = await s.info(file)
        throw new Error(`not finished: ${info.offset}\n${log.join('\n')}`)
      }
      const lock = await (lockers[cur] as S3Locker).lock(formatFileRef(file), { waitMs: 5000 })
      try {
        await s.complete(file as FileRef)
      } catch (e) {
        throw new Error(`complete failed ${(e as Error).message}\n${log.join('\n')}`)
      } finally {
        await lock.release()
      }
      const res = await checkPattern(seed, await fresh.read(file))
      expect(res, log.join('\n')).toEqual({ length: L, firstMismatch: null })
      for (const st of stores) expect(st.stats.bufferedBytes).toBeLessThanOrEqual(3 * S + 6 * MiB)
    })
  }
})
