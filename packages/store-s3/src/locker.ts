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
import { refId } from './keys.js'
import { toStoreError } from './s3-errors.js'
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
    try {
      for (let attempt = 0; ; attempt++) {
        let handle: Awaited<ReturnType<typeof ctx.locks.tryAcquire>>
        try {
          handle = await ctx.locks.tryAcquire(ref)
        } catch (err) {
          throw toStoreError(err, 'lock the upload')
        }
        if (handle) {
          const session = { handle, deleted: false }
          const key = refId(ref)
          ctx.sessions.set(key, session)
          let released = false
          return {
            release: async () => {
              if (released) return
              released = true
              if (ctx.sessions.get(key) === session) ctx.sessions.delete(key)
              try {
                await handle.release({ deleted: session.deleted })
              } finally {
                await local.release()
              }
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
