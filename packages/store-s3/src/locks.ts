/**
 * The cross-instance write lock of an upload, built on S3 conditional writes alone.
 *
 * Locks are generations: `{sid}/{key}.lock.{gen}`. The highest generation decides: it is held
 * while its object is non-empty and younger than the TTL (holders renew it), free when it is
 * empty (released) or expired. Acquiring creates generation top+1 with `If-None-Match: *`, so
 * of several contenders exactly one succeeds, and a crashed holder's lock is taken over after
 * the TTL without ever deleting a lock someone else might hold. A holder only ever writes its
 * own generation's key, and a generation written while a higher one exists is given up at once,
 * so a stalled contender or holder waking up cannot take, release or renew somebody else's lock.
 *
 * Expiry never compares S3's `LastModified` with the local clock (instances' clocks may be off
 * by more than a short TTL). A lock generation is expired when either
 * - S3's own clock says so: the `Date` of the listing's answer minus the object's
 *   `LastModified` (both whole seconds, from S3) is at least TTL + 1 s, or
 * - this process has seen the very same version of it (same ETag: every renewal changes the
 *   body) for a whole TTL by its own clock (for servers that send no usable `Date`).
 * @module
 */
import { hostname } from 'node:os'
import type { FileRef } from '@psitransfer/core'
import type { KeyLayout } from './keys.js'
import type { ListedObject, S3Io } from './s3-io.js'

export interface LockHandle {
  readonly ref: FileRef
  readonly key: string
  /** Aborts when the lock was lost (renewal found a newer generation). */
  readonly lost: AbortSignal
  /** The generation before this one was released by this process (same-instance PATCHes in a row). */
  readonly afterOwn: boolean
  /** Gives the lock up; with `deleted`, removes its object (the upload itself was deleted). Never throws. */
  release(options?: { deleted?: boolean }): Promise<void>
}

export type LockWarn = (obj: unknown, msg: string) => void

const OWNER = `${hostname()}:${process.pid}`
const OLD_GENERATIONS_KEPT = 4
/** `LastModified` and `Date` are whole seconds: an age read from them may be up to 1 s short. */
const SECOND = 1000
/** Lock versions remembered with the local time they were first seen (oldest forgotten first). */
const SEEN_LIMIT = 10_000

export class S3LockManager {
  /** The generation this process released last, per lock prefix. */
  readonly #released = new Map<string, number>()
  /** Lock object versions (key → ETag) and when this process first saw them, by its own clock. */
  readonly #seen = new Map<string, { etag: string; since: number }>()

  constructor(
    private readonly io: S3Io,
    private readonly keys: KeyLayout,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly warn: LockWarn = () => {},
  ) {}

  /** Milliseconds between renewals of a held lock: a third of the TTL. */
  get renewMs(): number {
    return Math.max(1000, Math.floor(this.ttlMs / 3))
  }

  /**
   * Whether a listed lock generation is currently held. `serverTime` is S3's clock when it
   * listed it (see {@link S3Io.listWithTime}); `now` (tests shift it) moves both clocks.
   */
  isHeld(o: ListedObject, serverTime: number | undefined): boolean {
    if (o.size === 0) return false
    const local = this.now()
    const seen = this.#seen.get(o.key)
    let since = local
    if (seen?.etag === o.etag) since = seen.since
    else {
      this.#seen.delete(o.key)
      if (this.#seen.size >= SEEN_LIMIT) {
        const oldest = this.#seen.keys().next().value
        if (oldest !== undefined) this.#seen.delete(oldest)
      }
      this.#seen.set(o.key, { etag: o.etag, since: local })
    }
    if (local - since >= this.ttlMs) return false
    if (serverTime === undefined) return true
    const shift = local - Date.now()
    return serverTime + shift - o.lastModified < this.ttlMs + SECOND
  }

  /**
   * One attempt: the handle, or `null` when someone else holds the lock or won the race for it.
   * `onFree` runs once the listing shows the lock free, while the lock is being written: reads
   * started there see everything the previous holder wrote (it finished before releasing).
   */
  async tryAcquire(ref: FileRef, onFree?: () => void): Promise<LockHandle | null> {
    const prefix = this.keys.lockPrefix(ref)
    const { objects, serverTime } = await this.io.listWithTime(prefix)
    const listed = objects.filter((o) => /^\d+$/.test(o.key.slice(prefix.length)))
    let top: ListedObject | undefined
    let topGen = 0
    for (const o of listed) {
      const gen = Number(o.key.slice(prefix.length))
      if (gen > topGen) {
        topGen = gen
        top = o
      }
    }
    // The generation this process released last is free whatever the listing says: S3 answered
    // its empty body, and other instances only ever write higher generations. A listing that
    // still shows it with its old body, or not at all, lags behind that write.
    const ownReleased = this.#released.get(prefix)
    this.#released.delete(prefix)
    const afterOwn = ownReleased !== undefined && ownReleased >= topGen
    if (afterOwn) topGen = ownReleased
    else if (top && this.isHeld(top, serverTime)) return null
    for (const o of listed) this.#seen.delete(o.key)
    onFree?.()
    const key = this.keys.lock(ref, topGen + 1)
    const token = crypto.randomUUID()
    const body = () => JSON.stringify({ owner: OWNER, token, renewedAt: new Date(this.now()).toISOString() })
    if ((await this.io.put(key, body(), { ifNoneMatch: true, contentType: 'application/json' })) === null)
      return null
    // Old generations get deleted (below), so `If-None-Match: *` alone does not prove this key was
    // never taken: a contender that stalled between its listing and its PUT can recreate a
    // generation that another instance already went past. Only a generation below one that was
    // created is ever deleted, so a key recreated that way always has a higher one beside it.
    if (await this.#superseded(prefix, topGen + 1)) {
      await this.io.delete(key).catch((err) => this.warn({ err }, 'could not remove a stale lock generation'))
      return null
    }
    // Older generations are history now. Removing them a few at a time keeps the listing short
    // without a delete on every acquisition.
    if (listed.length >= OLD_GENERATIONS_KEPT) {
      void this.io
        .deleteMany(listed.map((o) => o.key))
        .catch((err) => this.warn({ err }, 'could not remove old lock generations'))
    }
    return this.#handle(ref, key, prefix, topGen + 1, body, afterOwn)
  }

  async #superseded(prefix: string, gen: number): Promise<boolean> {
    return (await this.io.listAll(prefix)).some((o) => Number(o.key.slice(prefix.length)) > gen)
  }

  #handle(
    ref: FileRef,
    key: string,
    prefix: string,
    gen: number,
    body: () => string,
    afterOwn: boolean,
  ): LockHandle {
    const lost = new AbortController()
    let released = false
    // The renewal in flight, if any. A release must wait for it: a renewal PUT that S3 applies
    // after the release's empty body would make the released lock look held again for a whole
    // TTL (seen under load, where appends outlast several renewals), and after a delete it would
    // recreate the lock object.
    let renewing: Promise<void> | undefined
    const renew = async () => {
      try {
        if (await this.#superseded(prefix, gen)) {
          lost.abort(new Error('the upload lock was taken over by another instance'))
          return
        }
        if (!released) await this.io.put(key, body(), { contentType: 'application/json' })
      } catch (err) {
        this.warn({ err }, 'could not renew an upload lock')
      }
    }
    const timer = setInterval(() => {
      if (renewing) return
      renewing = renew().finally(() => {
        renewing = undefined
      })
    }, this.renewMs)
    timer.unref()
    return {
      ref,
      key,
      lost: lost.signal,
      afterOwn,
      release: async (options = {}) => {
        if (released) return
        released = true
        clearInterval(timer)
        await renewing
        try {
          if (options.deleted) {
            await this.io.delete(key)
          } else {
            await this.io.put(key, '', { contentType: 'application/json' })
            if (this.#released.size >= SEEN_LIMIT) {
              const oldest = this.#released.keys().next().value
              if (oldest !== undefined) this.#released.delete(oldest)
            }
            this.#released.set(prefix, gen)
          }
        } catch (err) {
          // The lock then expires after its TTL.
          this.warn({ err }, 'could not release an upload lock')
        }
      },
    }
  }
}
