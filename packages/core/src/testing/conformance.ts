/**
 * `runStoreConformance`: the vitest suites every {@link Store} must pass. A store package's
 * test file is one call of it, with a probe that reads the backing storage directly.
 * @module
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { Store } from '../store.js'
import { CONFORMANCE_TESTS, type ConformanceTestId, type StoreProbe, type SuiteContext } from './suite.js'
import { registerAppendSuite } from './suites/append.js'
import { registerBigFileSuite } from './suites/big-file.js'
import { registerIdsSuite } from './suites/ids.js'
import { registerLifecycleSuite } from './suites/lifecycle.js'
import { registerMetadataSuite } from './suites/metadata.js'
import { registerReadSuite } from './suites/read.js'

export interface ConformanceSkip {
  test: ConformanceTestId
  /** Why this store cannot or need not pass the test. Required, shown in the report. */
  reason: string
}

export interface StoreConformanceOptions<S extends Store = Store> {
  /** Shown in the suite title. */
  name: string
  /** Builds the store under test; the kit calls `init()` on it once. */
  makeStore: () => S | Promise<S>
  /** Runs after the kit has called `store.close?.()` (remove temp dirs, buckets, servers). */
  cleanup?: (store: S) => Promise<void>
  probe: StoreProbe
  /**
   * A new instance on the same backing storage as `store` (the same directory, bucket and
   * prefix…), as a process restarted after a crash would build it; the kit calls `init()` and
   * `close()` on it. Needed by `complete.after-crash` (skip that test, with a reason, without it).
   */
  reopen?: (store: S) => S | Promise<S>
  /** Tests this store does not run, each with a written reason. */
  skip?: readonly ConformanceSkip[]
  /** Size of the big-file test. Default 1 GiB. */
  bigFileBytes?: number
  /** Allowed RSS growth while the big file streams. Default 256 MiB. */
  rssBoundBytes?: number
  /** Per-test timeout of the regular tests. Default 30 s. */
  timeoutMs?: number
  /** Per-test timeout of the big-file test. Default 20 min. */
  bigFileTimeoutMs?: number
}

const MiB = 1 << 20

/** Registers the conformance suites for one store. Call at the top level of a test file. */
export function runStoreConformance<S extends Store>(options: StoreConformanceOptions<S>): void {
  const skips = checkSkips(options.skip ?? [])
  const timeoutMs = options.timeoutMs ?? 30_000
  const bigFileBytes = options.bigFileBytes ?? 1024 * MiB
  if (!Number.isSafeInteger(bigFileBytes) || bigFileBytes < 1)
    throw new Error('bigFileBytes must be a positive integer')

  describe(`Store conformance: ${options.name}`, () => {
    let store: S | undefined
    beforeAll(async () => {
      const made = await options.makeStore()
      await made.init()
      store = made
    }, timeoutMs)
    afterAll(async () => {
      if (!store) return
      try {
        await store.close?.()
      } finally {
        await options.cleanup?.(store)
      }
    }, timeoutMs)

    const ctx: SuiteContext = {
      store: () => {
        if (!store) throw new Error('makeStore() or init() failed; see the beforeAll error')
        return store
      },
      probe: options.probe,
      bigFileBytes,
      rssBoundBytes: options.rssBoundBytes ?? 256 * MiB,
      bigFileTimeoutMs: options.bigFileTimeoutMs ?? 20 * 60_000,
      ...(options.reopen
        ? {
            reopen: async () => {
              if (!store) throw new Error('makeStore() or init() failed; see the beforeAll error')
              const again = await (options.reopen as (s: S) => S | Promise<S>)(store)
              await again.init()
              return again
            },
          }
        : {}),
      test: (id, fn, testTimeout = timeoutMs) => {
        const title = `${id}: ${CONFORMANCE_TESTS[id]}`
        const reason = skips.get(id)
        if (reason !== undefined) it.skip(`${title} [skipped: ${reason}]`, () => {})
        else it(title, { timeout: testTimeout }, fn)
      },
    }

    describe('metadata', () => registerMetadataSuite(ctx))
    describe('append', () => registerAppendSuite(ctx))
    describe('read', () => registerReadSuite(ctx))
    describe('lifecycle', () => registerLifecycleSuite(ctx))
    describe('ids', () => registerIdsSuite(ctx))
    describe('big file', () => registerBigFileSuite(ctx))
  })
}

/** Validates skips up front: unknown ids and empty reasons are configuration bugs. */
function checkSkips(skip: readonly ConformanceSkip[]): Map<ConformanceTestId, string> {
  const out = new Map<ConformanceTestId, string>()
  for (const { test, reason } of skip) {
    if (!Object.hasOwn(CONFORMANCE_TESTS, test)) {
      throw new Error(
        `runStoreConformance: unknown test "${test}" in skip; known: ${Object.keys(CONFORMANCE_TESTS).join(', ')}`,
      )
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`runStoreConformance: skipping "${test}" needs a written reason`)
    }
    if (out.has(test)) throw new Error(`runStoreConformance: "${test}" is skipped twice`)
    out.set(test, reason.trim())
  }
  if (out.has('big-file.stream') && !out.has('big-file.rss')) {
    throw new Error(
      'runStoreConformance: big-file.rss measures big-file.stream; skip it too, with its own reason',
    )
  }
  return out
}
