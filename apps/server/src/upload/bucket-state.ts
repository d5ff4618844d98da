/**
 * What file creation needs to know about a bucket (locked? password hash? declared bytes),
 * cached briefly per bucket. Without the cache every new file re-reads the metadata of every
 * file already in its bucket (O(n) per file, O(n²) per bucket).
 *
 * Admission is check-then-reserve under the bucket's creation lock: a reservation counts
 * towards the bucket at once, so the lock can be released before the store writes the file,
 * and parallel uploads into one bucket do not queue behind each other's storage writes. The
 * reservation becomes the file when the store created it, or is cancelled.
 *
 * This process's own changes are applied directly; changes made by other instances sharing
 * the storage are seen after at most `ttlMs`. That is why, when the store is shared (its
 * definition brings a cross-instance locker), admission does not use the cache at all but the
 * bucket's ledger in the store ({@link BucketStates.admission}, `bucket-ledger.ts`); the cache
 * then only serves early refusals that admission repeats.
 * @module
 */
import { type BucketId, type Clock, type FileMeta, isExpired, type Store } from '@psitransfer/core'
import { fileSize, isPartial, liveFiles } from '../bucket.js'
import type { BucketLedgers, BucketSnapshot, AdmittedFile as LedgerFile } from './bucket-ledger.js'

interface FileFacts {
  size: number
  expiresAt: number | null
}

interface Entry {
  loadedAt: number
  locked: boolean
  password: string | undefined
  files: Map<string, FileFacts>
  /** Count and bytes of the unexpired files, valid for clock times in [from, until). */
  live?: { count: number; bytes: number; from: number; until: number }
}

interface Pending extends FileFacts {
  password: string | undefined
}

/** A file admission lets in (see {@link Admission}). */
export interface AdmittedFile extends LedgerFile {
  /** Its expiry while unfinished (what this process's reservations count with). */
  expiresAt: number | null
}

/** One admission into a bucket, under the bucket's creation lock. */
export interface Admission {
  /** The bucket as admission sees it (a shared ledger may over-count: see `recount`). */
  readonly bucket: BucketSnapshot
  /** Counts the bucket from its files when `bucket` may over-count; false when it is exact. */
  recount(): Promise<boolean>
  /**
   * Counts the admitted file before the store creates it: this process's reservation (to
   * commit or cancel), or an entry in the shared ledger (`undefined`).
   */
  add(file: AdmittedFile): Promise<Reservation | undefined>
  /** The `extra` of a new bucket's mark (the shared ledger with this first file). */
  markExtra(file: AdmittedFile): Record<string, string>
}

/** A reserved place in a bucket, from admission until the store created the file. */
export interface Reservation {
  readonly sid: BucketId
  readonly id: number
}

export class BucketStates {
  readonly #entries = new Map<string, Entry>()
  /** Reservations by bucket; kept apart from entries so a reload never drops them. */
  readonly #pending = new Map<string, Map<number, Pending>>()
  #nextId = 1

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs = 3000,
    private readonly maxBuckets = 10_000,
    /** Set when the store is shared by several instances: admission uses their ledgers. */
    readonly ledgers?: BucketLedgers,
  ) {}

  /**
   * The bucket for one admission, under its creation lock: this process's view (cache and
   * reservations), or with {@link ledgers} the ledger read fresh from the store.
   */
  async admission(sid: BucketId): Promise<Admission> {
    if (this.ledgers) {
      const open = await this.ledgers.open(sid)
      return {
        get bucket() {
          return open.bucket
        },
        recount: open.recount,
        add: async (file) => {
          await open.add(file)
          return undefined
        },
        markExtra: open.markExtra,
      }
    }
    const bucket = await this.get(sid)
    return {
      bucket,
      // The cache is exact for this process.
      recount: async () => false,
      add: async (file) =>
        this.reserve(sid, { size: file.size, expiresAt: file.expiresAt, password: file.password }),
      markExtra: () => ({}),
    }
  }

  async get(sid: BucketId): Promise<BucketSnapshot> {
    const now = this.clock.now()
    let entry = this.#entries.get(sid)
    // Wall time for freshness: a test clock may stand still or jump.
    if (!entry || Date.now() - entry.loadedAt > this.ttlMs) entry = await this.#load(sid, now)
    // The files' totals only change when one of them expires (or the cache changes), so they
    // are not recomputed for every new file: that was O(n) per file, O(n²) per bucket.
    const live = this.#live(entry, now)
    let { count, bytes } = live
    let password = entry.password
    for (const f of this.#pending.get(sid)?.values() ?? []) {
      if (isExpired(f, now)) continue
      count++
      bytes += f.size
      password ??= f.password
    }
    return { locked: entry.locked && count > 0, password: count > 0 ? password : undefined, count, bytes }
  }

  #live(entry: Entry, now: number): NonNullable<Entry['live']> {
    const cached = entry.live
    if (cached && now >= cached.from && now < cached.until) return cached
    let count = 0
    let bytes = 0
    let until = Number.POSITIVE_INFINITY
    for (const f of entry.files.values()) {
      if (isExpired(f, now)) continue
      count++
      bytes += f.size
      if (f.expiresAt !== null && f.expiresAt < until) until = f.expiresAt
    }
    entry.live = { count, bytes, from: now, until }
    return entry.live
  }

  async #load(sid: BucketId, now: number): Promise<Entry> {
    const files = (await liveFiles(this.store, sid, now)).filter((f) => !isPartial(f))
    const entry: Entry = {
      loadedAt: Date.now(),
      locked: files.some((f) => f.bucketLocked),
      password: files.find((f) => f.password)?.password,
      files: new Map(files.map((f) => [f.key, { size: fileSize(f), expiresAt: f.expiresAt }])),
    }
    this.#entries.delete(sid)
    while (this.#entries.size >= this.maxBuckets) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
    this.#entries.set(sid, entry)
    return entry
  }

  /**
   * Bytes of every file of `sid` but `key` (declared sizes, or the bytes received so far while
   * a length is deferred) and of this process's reservations, read fresh from the store: for
   * bounding an upload whose length was deferred, as its bytes arrive.
   */
  async bytesBesides(sid: BucketId, key: string): Promise<number> {
    const now = this.clock.now()
    const entry = await this.#load(sid, now)
    let bytes = 0
    for (const [k, f] of entry.files) if (k !== key && !isExpired(f, now)) bytes += f.size
    for (const f of this.#pending.get(sid)?.values() ?? []) if (!isExpired(f, now)) bytes += f.size
    return bytes
  }

  /** Counts a file that is about to be created (call under the bucket's creation lock). */
  reserve(sid: BucketId, facts: Pending): Reservation {
    const id = this.#nextId++
    let pending = this.#pending.get(sid)
    if (!pending) {
      pending = new Map()
      this.#pending.set(sid, pending)
    }
    pending.set(id, facts)
    return { sid, id }
  }

  /** The reserved file now exists in the store. */
  commit(reservation: Reservation, meta: FileMeta): void {
    this.cancel(reservation)
    const entry = this.#entries.get(meta.sid)
    if (!entry || isPartial(meta)) return
    const facts = { size: fileSize(meta), expiresAt: meta.expiresAt }
    const live = entry.live
    if (live && !entry.files.has(meta.key) && !isExpired(facts, live.from)) {
      live.count++
      live.bytes += facts.size
      if (facts.expiresAt !== null) live.until = Math.min(live.until, facts.expiresAt)
    } else entry.live = undefined
    entry.files.set(meta.key, facts)
    entry.password ??= meta.password
  }

  /** The reserved file was not created. */
  cancel(reservation: Reservation): void {
    const pending = this.#pending.get(reservation.sid)
    if (!pending) return
    pending.delete(reservation.id)
    if (pending.size === 0) this.#pending.delete(reservation.sid)
  }

  locked(sid: string): void {
    const entry = this.#entries.get(sid)
    if (entry) entry.locked = true
  }

  /** Files of `sid` were deleted or changed elsewhere in this process: reload next time. */
  invalidate(sid: string): void {
    this.#entries.delete(sid)
  }
}
