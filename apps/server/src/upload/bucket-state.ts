/**
 * What file creation needs to know about a bucket (locked? password hash? declared bytes),
 * cached briefly per bucket. Without the cache every new file re-reads the metadata of every
 * file already in its bucket (O(n) per file, O(n²) per bucket). This process updates entries
 * for its own changes under the bucket's creation lock; changes made by other instances
 * sharing the storage are seen after at most `ttlMs`.
 * @module
 */
import { type BucketId, type Clock, type FileMeta, isExpired, type Store } from '@psitransfer/core'
import { fileSize, isPartial, liveFiles } from '../bucket.js'

interface FileFacts {
  size: number
  expiresAt: number | null
}

export interface BucketSnapshot {
  locked: boolean
  /** Password hash shared by the bucket's files (`undefined` = public). */
  password: string | undefined
  /** Files not expired at the time of the call. */
  count: number
  /** Sum of declared sizes of those files. */
  bytes: number
}

interface Entry {
  loadedAt: number
  locked: boolean
  password: string | undefined
  files: Map<string, FileFacts>
}

export class BucketStates {
  readonly #entries = new Map<string, Entry>()

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs = 3000,
    private readonly maxBuckets = 10_000,
  ) {}

  async get(sid: BucketId): Promise<BucketSnapshot> {
    const now = this.clock.now()
    let entry = this.#entries.get(sid)
    // Wall time for freshness: a test clock may stand still or jump.
    if (!entry || Date.now() - entry.loadedAt > this.ttlMs) entry = await this.#load(sid, now)
    let count = 0
    let bytes = 0
    for (const f of entry.files.values()) {
      if (isExpired(f, now)) continue
      count++
      bytes += f.size
    }
    return {
      locked: entry.locked && count > 0,
      password: count > 0 ? entry.password : undefined,
      count,
      bytes,
    }
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

  /** A file was created in `meta.sid` by this process. */
  created(meta: FileMeta): void {
    if (isPartial(meta)) return
    const entry = this.#entries.get(meta.sid)
    if (!entry) return
    entry.files.set(meta.key, { size: fileSize(meta), expiresAt: meta.expiresAt })
    if (meta.password && !entry.password) entry.password = meta.password
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
