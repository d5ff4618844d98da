/**
 * The Locker port: at most one writer per upload. The TUS state machine holds a lock for the
 * whole of every PATCH (and for termination), so bytes from two requests never interleave.
 * The in-memory locker here serves a single process; stores shared by several processes
 * provide their own (the S3 store uses conditional writes).
 * @module
 */
import { PsiError, UploadLockedError } from './errors.js'

export interface Lock {
  /** Releases the lock. Safe to call more than once. */
  release(): Promise<void>
}

export interface LockOptions {
  /** How long to wait for a held lock before failing with `UPLOAD_LOCKED`. Default 0: fail at once. */
  waitMs?: number
  /** Abort waiting (the request went away). */
  signal?: AbortSignal
}

export interface Locker {
  /** Acquires the lock for `id` or rejects with `UPLOAD_LOCKED` (or `ABORTED` when `signal` fires). */
  lock(id: string, options?: LockOptions): Promise<Lock>
}

/** Runs `fn` under the lock for `id`, always releasing it. */
export async function withLock<T>(
  locker: Locker,
  id: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await locker.lock(id, options)
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}

/** Single-process locker: a map of held ids with FIFO waiters. */
export class MemoryLocker implements Locker {
  readonly #held = new Map<string, Array<() => void>>()

  async lock(id: string, options: LockOptions = {}): Promise<Lock> {
    const { waitMs = 0, signal } = options
    if (signal?.aborted) throw new PsiError('ABORTED', 'Request aborted')
    const deadline = Date.now() + waitMs
    while (this.#held.has(id)) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new UploadLockedError()
      await this.#wait(id, remaining, signal)
    }
    this.#held.set(id, [])
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        const waiters = this.#held.get(id) ?? []
        this.#held.delete(id)
        // Wake everyone; they race again for the lock in the while loop above.
        for (const wake of waiters) wake()
      },
    }
  }

  /** Number of currently held locks (for metrics and tests). */
  get size(): number {
    return this.#held.size
  }

  #wait(id: string, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.#held.get(id)
      if (!waiters) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const timer = setTimeout(() => {
        const list = this.#held.get(id)
        if (list) list.splice(list.indexOf(done), 1)
        signal?.removeEventListener('abort', onAbort)
        reject(new UploadLockedError())
      }, waitMs)
      const onAbort = () => {
        clearTimeout(timer)
        const list = this.#held.get(id)
        if (list) list.splice(list.indexOf(done), 1)
        reject(new PsiError('ABORTED', 'Request aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      waiters.push(done)
    })
  }
}
