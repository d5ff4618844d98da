/**
 * `S3Locker`: the upload lock shared by every server instance on the bucket. The server uses
 * it instead of core's in-process locker when `storage.type` is `s3`; while a lock is held the
 * store trusts its own view of the upload (no other instance can change it).
 * @module
 */
import {
  type Lock,
  type Locker,
  type LockOptions,
  MemoryLocker,
  parseFileRef,
  sleep,
  UploadLockedError,
} from '@psitransfer/core'
import { acquire } from './acquire.js'
import { releaseInBackground, type Session, type StoreContext, takeLingering } from './context.js'
import { refId } from './keys.js'
import { type S3Store, storeContext } from './s3-store.js'

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
    const ctx = storeContext(this.store)
    const key = refId(ref)
    try {
      const kept = takeLingering(ctx, key)
      if (kept) return this.#held(ctx, key, kept, true, local)
      // Our own previous release of this upload is on its way; it will not take long.
      await ctx.releasing.get(key)
      for (let attempt = 0; ; attempt++) {
        const { handle, loading } = await acquire(ctx, ref)
        if (handle) {
          const session: Session = { handle, deleted: false, ...(loading ? { loading } : {}) }
          return this.#held(ctx, key, session, handle.afterOwn, local)
        }
        const left = deadline - Date.now()
        if (left <= 0) throw new UploadLockedError()
        await sleep(Math.min(left, 20 * 2 ** Math.min(attempt, 2)), signal)
      }
    } catch (err) {
      await local.release()
      throw err
    }
  }

  #held(ctx: StoreContext, key: string, session: Session, streak: boolean, local: Lock): Lock {
    ctx.sessions.set(key, session)
    session.lingers = streak && this.#lingerMs > 0
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        if (ctx.sessions.get(key) === session) ctx.sessions.delete(key)
        if (streak && this.#lingerMs > 0 && !session.deleted && !session.handle.lost.aborted) {
          const timer = setTimeout(() => {
            if (ctx.lingering.get(key)?.session !== session) return
            ctx.lingering.delete(key)
            releaseInBackground(ctx, key, session)
          }, this.#lingerMs)
          timer.unref()
          ctx.lingering.set(key, { session, timer })
        } else {
          // The S3 write happens in the background (the response need not wait for it).
          releaseInBackground(ctx, key, session)
        }
        await local.release()
      },
    }
  }
}
