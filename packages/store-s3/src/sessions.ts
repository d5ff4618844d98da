/**
 * The upload locks this process holds (lock sessions), whoever took them: {@link S3Locker}
 * for the server's requests (through {@link S3Store.lockUpload}), the store itself for an
 * `append`/`complete` outside such a lock, the sweeper for an expired file. While a session is
 * held nobody else writes the upload, so its derived state is cached on it. A released lock
 * may linger a moment (PATCHes arriving in a row reuse it without asking S3); releases are
 * written in the background and taking the lock again waits for them.
 * @module
 */
import { type FileRef, type Lock, sleep, UploadLockedError } from '@psitransfer/core'
import { refId } from './keys.js'
import type { LockHandle } from './locks.js'
import type { StoredMeta } from './meta-codec.js'
import type { UploadState } from './state.js'

export interface Loaded {
  meta: StoredMeta
  state: UploadState
}

/** An upload lock held by this process. */
export interface Session {
  handle: LockHandle
  loaded?: Loaded
  /** State being read while the lock was being taken (see S3LockManager.tryAcquire). */
  loading?: Promise<Loaded>
  /** The upload was deleted while the lock was held: the lock object goes too. */
  deleted: boolean
  /** The lock is kept for a moment after its release (PATCHes arriving in a row). */
  lingers?: boolean
}

/** One attempt at an upload's lock (see acquire.ts). */
export interface Acquired {
  handle: LockHandle | null
  /** The upload's state, read once the lock showed free (only with a handle). */
  loading?: Promise<Loaded>
}

export interface UploadLockOptions {
  /** Keep trying until then (ms since the epoch); one attempt when it has passed. */
  deadline: number
  signal?: AbortSignal
  /** How long the lock lingers after its release when PATCHes arrive in a row (0: never). */
  lingerMs: number
}

export class LockSessions {
  /** Sessions in use, by `sid/key`. */
  readonly #held = new Map<string, Session>()
  /** Released sessions kept for a moment (see {@link UploadLockOptions.lingerMs}), by `sid/key`. */
  readonly #lingering = new Map<string, { session: Session; timer: NodeJS.Timeout }>()
  /** Lock releases still being written, by `sid/key`: taking the lock again waits for them. */
  readonly #releasing = new Map<string, Promise<void>>()

  constructor(
    /** One attempt at the lock of `ref`, reading its state alongside. */
    private readonly acquire: (ref: FileRef) => Promise<Acquired>,
    /** Called as a session's lock is given up (the upload's early next part goes with it). */
    private readonly onRelease: (id: string) => void,
  ) {}

  /** The session of `id` in use, if this process holds its lock. */
  get(id: string): Session | undefined {
    return this.#held.get(id)
  }

  /** The session of `id` in use or lingering. */
  getOrLingering(id: string): Session | undefined {
    return this.#held.get(id) ?? this.#lingering.get(id)?.session
  }

  /**
   * The cross-instance lock of `ref` for a caller that queued this process's own requests
   * already (S3Locker): a lingering session is taken over at once, else the lock is tried until
   * `deadline`. The session is in use until the returned lock is released.
   */
  async lock(ref: FileRef, options: UploadLockOptions): Promise<Lock> {
    const { deadline, signal, lingerMs } = options
    const id = refId(ref)
    const kept = this.#takeLingering(id)
    if (kept) return this.#hold(id, kept, true, lingerMs)
    // Our own previous release of this upload is on its way; it will not take long.
    await this.#releasing.get(id)
    for (let attempt = 0; ; attempt++) {
      const { handle, loading } = await this.acquire(ref)
      if (handle) {
        const session: Session = { handle, deleted: false, ...(loading ? { loading } : {}) }
        return this.#hold(id, session, handle.afterOwn, lingerMs)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new UploadLockedError()
      await sleep(Math.min(left, 20 * 2 ** Math.min(attempt, 2)), signal)
    }
  }

  #hold(id: string, session: Session, streak: boolean, lingerMs: number): Lock {
    this.#held.set(id, session)
    session.lingers = streak && lingerMs > 0
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        if (this.#held.get(id) === session) this.#held.delete(id)
        if (streak && lingerMs > 0 && !session.deleted && !session.handle.lost.aborted) {
          const timer = setTimeout(() => {
            if (this.#lingering.get(id)?.session !== session) return
            this.#lingering.delete(id)
            this.#releaseInBackground(id, session)
          }, lingerMs)
          timer.unref()
          this.#lingering.set(id, { session, timer })
        } else {
          // The S3 write happens in the background (the response need not wait for it).
          this.#releaseInBackground(id, session)
        }
      },
    }
  }

  /**
   * Runs `fn` holding the lock of `ref`: the session in use when this process holds it, else a
   * lingering one (released after), else a lock taken here for `fn` alone, failing with
   * UPLOAD_LOCKED when another instance holds it.
   */
  async run<T>(ref: FileRef, fn: (session: Session) => Promise<T>): Promise<T> {
    const id = refId(ref)
    const existing = this.#held.get(id)
    if (existing) return fn(existing)
    const kept = this.#takeLingering(id)
    if (kept) {
      try {
        return await fn(kept)
      } finally {
        this.#releaseInBackground(id, kept)
      }
    }
    await this.#releasing.get(id)
    const { handle, loading } = await this.acquire(ref)
    if (!handle) throw new UploadLockedError()
    const session: Session = { handle, deleted: false, ...(loading ? { loading } : {}) }
    this.#held.set(id, session)
    try {
      return await fn(session)
    } finally {
      if (this.#held.get(id) === session) this.#held.delete(id)
      this.onRelease(id)
      await handle.release({ deleted: session.deleted })
    }
  }

  /**
   * Runs `fn` with the lock of `ref` held by a caller that must not wait (the sweeper): a
   * lingering session is released first; resolves `false` without running `fn` when the lock
   * is in use here or `tryLock` does not get it.
   */
  async runIfFree(
    ref: FileRef,
    tryLock: () => Promise<LockHandle | null>,
    fn: (session: Session) => Promise<void>,
  ): Promise<boolean> {
    const id = refId(ref)
    const kept = this.#takeLingering(id)
    if (kept) this.#releaseInBackground(id, kept)
    await this.#releasing.get(id)
    const handle = this.#held.has(id) ? null : await tryLock()
    if (!handle) return false
    const session: Session = { handle, deleted: false }
    this.#held.set(id, session)
    try {
      await fn(session)
    } finally {
      this.#held.delete(id)
      await handle.release({ deleted: session.deleted })
    }
    return true
  }

  /** Writes a session's lock release in the background; taking the lock again waits for it. */
  #releaseInBackground(id: string, session: Session): void {
    this.onRelease(id)
    const done: Promise<void> = session.handle
      .release({ deleted: session.deleted })
      .catch(() => {})
      .finally(() => {
        if (this.#releasing.get(id) === done) this.#releasing.delete(id)
      })
    this.#releasing.set(id, done)
  }

  /** Takes a lingering lock of `id` out of the waiting room (a lost one is released instead). */
  #takeLingering(id: string): Session | undefined {
    const kept = this.#lingering.get(id)
    if (!kept) return undefined
    clearTimeout(kept.timer)
    this.#lingering.delete(id)
    if (kept.session.handle.lost.aborted) {
      this.#releaseInBackground(id, kept.session)
      return undefined
    }
    return kept.session
  }

  /** Releases every lingering lock and waits for all releases (shutdown). */
  async releaseAll(): Promise<void> {
    for (const id of [...this.#lingering.keys()]) {
      const session = this.#takeLingering(id)
      if (session) this.#releaseInBackground(id, session)
    }
    await Promise.all(this.#releasing.values())
  }
}
