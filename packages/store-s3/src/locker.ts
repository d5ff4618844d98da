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
  PsiError,
  parseFileRef,
  UploadLockedError,
} from '@psitransfer/core'
import { acquire } from './acquire.js'
import type { Session } from './context.js'
import { refId } from './keys.js'
import { type S3Store, storeContext } from './s3-store.js'

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort() {
      clearTimeout(timer)
      reject(new PsiError('ABORTED', 'Request aborted', { cause: signal?.reason }))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export class S3Locker implements Locker {
  /** Queues this process's own requests without asking S3. */
  readonly #local = new MemoryLocker()

  constructor(private readonly store: S3Store) {}

  /** Locks `sid++key` (the TUS upload id). */
  async lock(id: string, options: LockOptions = {}): Promise<Lock> {
    const ref = parseFileRef(id)
    const { waitMs = 0, signal } = options
    const deadline = Date.now() + waitMs
    const local = await this.#local.lock(id, options)
    const ctx = storeContext(this.store)
    const key = refId(ref)
    // Our own previous release of this upload is on its way; it will not take long.
    await ctx.releasing.get(key)
    try {
      for (let attempt = 0; ; attempt++) {
        const { handle, loading } = await acquire(ctx, ref)
        if (handle) {
          const session: Session = { handle, deleted: false, ...(loading ? { loading } : {}) }
          ctx.sessions.set(key, session)
          let released = false
          return {
            release: async () => {
              if (released) return
              released = true
              if (ctx.sessions.get(key) === session) ctx.sessions.delete(key)
              // The S3 write happens in the background (the response need not wait for it);
              // this process's next lock of the upload waits for it instead.
              const done = handle
                .release({ deleted: session.deleted })
                .catch(() => {})
                .finally(() => {
                  if (ctx.releasing.get(key) === done) ctx.releasing.delete(key)
                })
              ctx.releasing.set(key, done)
              await local.release()
            },
          }
        }
        const left = deadline - Date.now()
        if (left <= 0) throw new UploadLockedError()
        await sleep(Math.min(left, 25 * 2 ** Math.min(attempt, 4)), signal)
      }
    } catch (err) {
      await local.release()
      throw err
    }
  }
}
