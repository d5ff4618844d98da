/**
 * `S3Locker`: the upload lock shared by every server instance on the bucket. The server uses
 * it instead of core's in-process locker when `storage.type` is `s3`; while a lock is held the
 * store trusts its own view of the upload (no other instance can change it). The lock itself is
 * the store's ({@link S3Store.lockUpload}); this class queues the process's own requests first.
 * @module
 */
import { type Lock, type Locker, type LockOptions, MemoryLocker, parseFileRef } from '@psitransfer/core'
import type { S3Store } from './s3-store.js'

export interface S3LockerOptions {
  /**
   * When this instance took an upload's lock right after releasing it itself (its PATCHes
   * arriving here in a row), it keeps the lock this long after the next release: a PATCH that
   * follows within that time starts without a single S3 request (the lock and the upload's
   * state are still valid). Another instance meanwhile waits at most this long. 0 turns it off.
   * Default 250 ms.
   */
  lingerMs?: number
}

export class S3Locker implements Locker {
  /** Queues this process's own requests without asking S3. */
  readonly #local = new MemoryLocker()
  readonly #lingerMs: number

  constructor(
    private readonly store: S3Store,
    options: S3LockerOptions = {},
  ) {
    this.#lingerMs = options.lingerMs ?? 250
  }

  /** Locks `sid++key` (the TUS upload id). */
  async lock(id: string, options: LockOptions = {}): Promise<Lock> {
    const ref = parseFileRef(id)
    const { waitMs = 0, signal } = options
    const deadline = Date.now() + waitMs
    const local = await this.#local.lock(id, options)
    let held: Lock
    try {
      held = await this.store.lockUpload(ref, {
        deadline,
        lingerMs: this.#lingerMs,
        ...(signal ? { signal } : {}),
      })
    } catch (err) {
      await local.release()
      throw err
    }
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        try {
          await held.release()
        } finally {
          await local.release()
        }
      },
    }
  }
}
