/**
 * Download counts of files without a download limit (`downloads`, `lastDownload`; limited and
 * one-time files count through their claims, `routes/download-claims.ts`).
 *
 * A count is a read-add-write of the file's record, so it runs under the file's lock (the upload
 * lock `sid++key` from `deps.locker`, which holds across instances on shared stores; manage
 * edits and download claims write the same record under it). Taking that lock once per download
 * would make every download of a popular file queue for it (on S3 a lock costs four requests),
 * so increments are coalesced per file in memory instead: a complete download adds one to the
 * file's pending count and, unless a write of that file is already running in this process,
 * starts one at once. The write adds everything pending so far under the lock; what arrives
 * meanwhile rides on the next write. Exact on every store and across instances (each instance
 * adds its own delta under the shared lock, none overwrites another's), costs at most one write
 * per download and far fewer under load, and nothing waits for it: the response went out before.
 *
 * Not written yet means in memory: a crash loses the downloads of a write in progress (as the old
 * unlocked write after the body did), since no write is ever delayed on purpose, and those of a
 * file whose lock stayed busy or whose store failed: such a count stays pending and is tried
 * again with a growing delay. A graceful shutdown writes what is pending ({@link DownloadCounts.drain}).
 * @module
 */
import {
  type Clock,
  type FileRef,
  formatFileRef,
  isPsiError,
  type Locker,
  type Store,
  withLock,
} from '@psitransfer/core'
import type { Logger } from '../logger.js'

/** How long one write waits for the file's lock (its other holders keep it for a few store calls). */
const LOCK_WAIT_MS = 10_000
/** First delay before trying a failed write again; doubles up to {@link MAX_RETRY_MS}. */
const RETRY_MS = 1000
const MAX_RETRY_MS = 60_000
/**
 * Writes running at once (all files). An archive of 1,000 files ends in 1,000 counts at once;
 * on S3 each is a lock and a read-modify-write (about six requests), and started together they
 * queued the next request's listing behind 6,000 others (21 s before an archive's first byte)
 * and held their buffers at once (server RSS 380–540 MiB).
 */
const MAX_WRITES = 4

export interface DownloadCountsDeps {
  store: Store
  locker: Locker
  clock: Clock
  logger: Logger
}

export interface DownloadCountsOptions {
  lockWaitMs?: number
  retryMs?: number
  maxRetryMs?: number
  maxWrites?: number
}

interface Pending {
  ref: FileRef
  /** Downloads not written yet. */
  count: number
  /** Time of the latest of them. */
  last: number
  /** The write running now (at most one per file in this process). */
  writing?: Promise<void>
  retry?: NodeJS.Timeout
  failures: number
}

export class DownloadCounts {
  readonly #pending = new Map<string, Pending>()
  readonly #lockWaitMs: number
  readonly #retryMs: number
  readonly #maxRetryMs: number
  readonly #maxWrites: number
  #running = 0
  /** Writes waiting for one of the {@link MAX_WRITES} slots, in arrival order. */
  readonly #queue: Array<() => void> = []

  constructor(
    private readonly deps: DownloadCountsDeps,
    options: DownloadCountsOptions = {},
  ) {
    this.#lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS
    this.#retryMs = options.retryMs ?? RETRY_MS
    this.#maxRetryMs = options.maxRetryMs ?? MAX_RETRY_MS
    this.#maxWrites = options.maxWrites ?? MAX_WRITES
  }

  /** Records one complete download of `ref` at `at` (ms). Never waits, never throws. */
  add(ref: FileRef, at: number = this.deps.clock.now()): void {
    const id = formatFileRef(ref)
    let entry = this.#pending.get(id)
    if (!entry) {
      entry = { ref: { sid: ref.sid, key: ref.key }, count: 0, last: at, failures: 0 }
      this.#pending.set(id, entry)
    }
    entry.count++
    entry.last = Math.max(entry.last, at)
    if (!entry.writing && !entry.retry) this.#start(id, entry, this.#lockWaitMs)
  }

  /** Downloads recorded but not written yet (all files). */
  get pending(): number {
    let n = 0
    for (const e of this.#pending.values()) n += e.count
    return n
  }

  /** Resolves once every write running now has ended (tests; counts waiting for a retry stay pending). */
  async settled(): Promise<void> {
    while (true) {
      const running = [...this.#pending.values()].flatMap((e) => (e.writing ? [e.writing] : []))
      if (running.length === 0) return
      await Promise.all(running)
    }
  }

  /**
   * For a graceful shutdown: writes what is pending now (counts waiting for a retry too),
   * within `ms`; what could not be written by then is logged as lost.
   */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms
    for (const [id, entry] of this.#pending) {
      if (entry.retry) {
        clearTimeout(entry.retry)
        entry.retry = undefined
        this.#start(id, entry, Math.max(0, ms - 100))
      }
    }
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<void>((r) => {
      timer = setTimeout(r, Math.max(0, deadline - Date.now()))
    })
    await Promise.race([this.settled(), bound])
    clearTimeout(timer)
    for (const entry of this.#pending.values()) {
      if (entry.retry) clearTimeout(entry.retry)
      entry.retry = undefined
      if (entry.count > 0) {
        this.deps.logger.error(
          { sid: entry.ref.sid, key: entry.ref.key, downloads: entry.count },
          'shutdown: download counts not recorded',
        )
      }
    }
  }

  #start(id: string, entry: Pending, waitMs: number): void {
    entry.writing = this.#write(id, entry, waitMs).finally(() => {
      entry.writing = undefined
    })
  }

  /** Writes what is pending for the file until nothing is, or schedules a retry. Never throws. */
  async #write(id: string, entry: Pending, waitMs: number): Promise<void> {
    const { store, locker, logger } = this.deps
    while (entry.count > 0) {
      // Read when the write starts, not when it queued: downloads meanwhile ride along.
      let count = 0
      try {
        await this.#slot(() =>
          withLock(locker, id, { waitMs }, async () => {
            count = entry.count
            const last = entry.last
            const current = await store.info(entry.ref)
            await store.update(entry.ref, {
              downloads: current.downloads + count,
              lastDownload: Math.max(current.lastDownload ?? 0, last),
            })
          }),
        )
        entry.count -= count
        entry.failures = 0
      } catch (err) {
        if (isPsiError(err) && err.code === 'NOT_FOUND') {
          // Deleted (or expired and swept) meanwhile: nothing left to count on.
          entry.count = 0
          break
        }
        entry.failures++
        const delay = Math.min(this.#maxRetryMs, this.#retryMs * 2 ** (entry.failures - 1))
        logger.warn(
          { err, sid: entry.ref.sid, key: entry.ref.key, downloads: entry.count, retryInMs: delay },
          'could not record downloads yet',
        )
        entry.retry = setTimeout(() => {
          entry.retry = undefined
          if (entry.count > 0) this.#start(id, entry, this.#lockWaitMs)
          else this.#pending.delete(id)
        }, delay)
        // A count waiting for its retry must not keep the process alive (drain writes it).
        entry.retry.unref()
        return
      }
    }
    if (this.#pending.get(id) === entry) this.#pending.delete(id)
  }

  /** Runs `fn` in one of the {@link MAX_WRITES} slots, waiting for one if all are taken. */
  async #slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#maxWrites) await new Promise<void>((r) => this.#queue.push(r))
    else this.#running++
    try {
      return await fn()
    } finally {
      // The slot passes straight to the next waiter, so the count of running writes holds.
      const next = this.#queue.shift()
      if (next) next()
      else this.#running--
    }
  }
}
