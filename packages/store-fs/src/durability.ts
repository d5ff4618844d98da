/**
 * When an upload's bytes reach the disk, per the store's {@link FsyncPolicy} (see README,
 * "Durability"), and the in-process bookkeeping that lets `complete()` skip flushes already
 * done: the write-behind of `on-complete`, the early flush of a new file's sidecar and bucket
 * directory, the size an append already flushed, and the files whose bytes may all be in while
 * `complete()` has not run yet. Every map is keyed by the data file's path and bounded; losing
 * an entry only costs a flush, never durability.
 * @module
 */
import type { FileHandle } from 'node:fs/promises'
import type { MetaCalls } from './meta-calls.js'
import type { FilePaths } from './paths.js'
import { flushFile, type SidecarIO, syncDir } from './sidecar-io.js'

/**
 * When data reaches the disk (see README, "Durability"):
 * - `never`: the OS decides. Survives a process crash, not a power loss.
 * - `on-complete` (default): a finished upload is flushed before it is marked complete.
 * - `always`: every append is flushed before its offset is returned.
 */
export type FsyncPolicy = 'never' | 'on-complete' | 'always'

export const FSYNC_POLICIES: readonly FsyncPolicy[] = ['never', 'on-complete', 'always']

/**
 * With `on-complete`, flush in the background after this many bytes (see {@link Durability.finishAppend}).
 * 16 MiB (one 16 MiB PATCH, about three of the web client's): the disk writes while the
 * network delivers, and the flush the last PATCH waits for covers at most this much plus what a
 * running flush has not done yet. With 64 MiB that final flush took about 1.5 times as long
 * (in-process, 256 MiB in 16 MiB appends: 94-157 ms against 68-98 ms).
 */
export const WRITE_BEHIND_BYTES = 16 * 1024 * 1024
/** Bounds of the bookkeeping maps (they only hold files in flight). */
const MAX_TRACKED = 10_000

/** `on-complete` write-behind state of one append: bytes not flushed yet, a flush it started. */
export interface Dirty {
  readonly file: string
  bytes: number
  flush?: Promise<void>
}

export class Durability {
  /** `on-complete` write-behind: bytes written since the last flush, and flushes in flight. */
  readonly #dirty = new Map<string, number>()
  readonly #flushes = new Map<string, Promise<void>>()
  /**
   * Data files whose bytes may all be in while `complete()` has not run yet (it flushes them
   * and the server's completion hooks follow). Our sidecars derive completion from the size,
   * so these are reported incomplete until then. Set before the bytes are written.
   */
  readonly #unfinalized = new Set<string>()
  /** Size up to which a whole upload was already flushed by its last append (on-complete/always). */
  readonly #flushedSize = new Map<string, number>()
  /**
   * `on-complete`: the flush of a new file's sidecar and bucket directory, started in the
   * background at creation (see {@link flushEarly}), with the identity of the sidecar it flushed.
   */
  readonly #earlyFlush = new Map<string, { sidecar: string; done: Promise<boolean> }>()

  constructor(
    readonly policy: FsyncPolicy,
    private readonly calls: MetaCalls,
    private readonly sidecars: SidecarIO,
  ) {}

  /** Every metadata change and new directory entry is flushed as it happens (`always`). */
  get eager(): boolean {
    return this.policy === 'always'
  }

  // --- completion state -----------------------------------------------------------------------

  markUnfinalized(file: string): void {
    if (this.#unfinalized.size >= MAX_TRACKED) this.#unfinalized.clear() // only failed appends linger
    this.#unfinalized.add(file)
  }

  isUnfinalized(file: string): boolean {
    return this.#unfinalized.has(file)
  }

  unmarkUnfinalized(file: string): void {
    this.#unfinalized.delete(file)
  }

  // --- creation -------------------------------------------------------------------------------

  /**
   * `on-complete`: a new file's sidecar and the directory entries of both its files must be on
   * disk before it is reported complete. Flushing them right after creation, in the background,
   * overlaps the flush with the upload of the data instead of adding it to the completing
   * request. {@link flushForCompletion} waits for it (and flushes again if it failed or the
   * sidecar changed).
   */
  flushEarly(p: FilePaths): void {
    if (this.policy !== 'on-complete') return
    const sidecar = this.sidecars.identity(p.sidecar)
    if (sidecar === undefined) return
    if (this.#earlyFlush.size >= MAX_TRACKED) this.#earlyFlush.clear() // only an optimization
    const done = Promise.all([flushFile(p.sidecar, this.calls), syncDir(p.bucketDir, this.calls)]).then(
      () => true,
      () => false, // complete() flushes again and reports the error
    )
    this.#earlyFlush.set(p.data, { sidecar, done })
  }

  // --- appends --------------------------------------------------------------------------------

  /** The write-behind state an append of `file` starts from. */
  startAppend(file: string): Dirty {
    return { file, bytes: this.#dirty.get(file) ?? 0 }
  }

  /**
   * Inside one long append (a whole file in one PATCH): a background flush through the
   * append's own handle every {@link WRITE_BEHIND_BYTES}, so the final flush is short. The
   * handle's close waits for it.
   */
  flushWhileWriting(fh: FileHandle, dirty: Dirty): void {
    if (this.policy !== 'on-complete' || dirty.bytes < WRITE_BEHIND_BYTES || this.#flushes.has(dirty.file)) {
      return
    }
    dirty.bytes = 0
    dirty.flush = this.#startFlush(dirty.file, fh, false)
  }

  /**
   * After an append wrote its body (`size` is the new file size): flushes a file that is now
   * whole (`on-complete`; `always` flushed every append already), or hands the handle to the
   * write-behind. Returns whether everything written is on disk (closing `fh` cannot lose
   * anything) and whether `fh` was handed over (the caller must not close it then).
   */
  async finishAppend(
    fh: FileHandle,
    dirty: Dirty,
    size: number,
    length: number | null,
  ): Promise<{ synced: boolean; handedOver: boolean }> {
    const file = dirty.file
    let synced = false
    if (size !== length) this.#unfinalized.delete(file)
    else if (this.policy === 'on-complete') {
      // The whole upload is in: flush it through this handle, so complete() need not reopen
      // it. A failure here is not the append's: complete() flushes again and reports it.
      await this.#flushes.get(file)
      synced = await fh.datasync().then(
        () => true,
        () => false,
      )
      if (synced) this.#trackFlushed(file, size)
    }
    if (this.policy === 'always') {
      synced = true // the body was flushed before its size was returned
      if (size === length) this.#trackFlushed(file, size)
    }
    let handedOver = false
    if (size !== length) {
      handedOver = this.#writeBehind(file, fh, dirty.bytes)
      if (!handedOver && dirty.flush) {
        // A flush this append started is still running: close once it is done, not now.
        void dirty.flush.finally(() => fh.close().catch(() => {}))
        handedOver = true
      }
    }
    return { synced, handedOver }
  }

  /**
   * Write-behind for `on-complete`: once an upload has written {@link WRITE_BEHIND_BYTES} since
   * its last flush, flush it in the background (not awaited by the append), so `complete()`
   * does not have to push a whole multi-GiB file to disk at once. Takes ownership of `fh`.
   */
  #writeBehind(file: string, fh: FileHandle, dirty: number): boolean {
    if (this.policy !== 'on-complete') return false
    if (dirty <= 0) {
      this.#dirty.delete(file)
      return false
    }
    if (dirty < WRITE_BEHIND_BYTES || this.#flushes.has(file)) {
      if (this.#dirty.size > MAX_TRACKED) this.#dirty.clear() // abandoned uploads; only an optimization
      this.#dirty.set(file, dirty)
      return false
    }
    this.#dirty.delete(file)
    this.#startFlush(file, fh, true)
    return true
  }

  /**
   * A background `fdatasync` of `file` through `fh`, registered in #flushes until it ends (and
   * then, with `close`, the handle closed). Errors are dropped: complete() flushes again and
   * reports them.
   */
  #startFlush(file: string, fh: FileHandle, close: boolean): Promise<void> {
    const synced = fh.datasync().catch(() => {})
    const flush: Promise<void> = (close ? synced.finally(() => fh.close().catch(() => {})) : synced).finally(
      () => {
        if (this.#flushes.get(file) === flush) this.#flushes.delete(file)
      },
    )
    this.#flushes.set(file, flush)
    return flush
  }

  #trackFlushed(file: string, size: number): void {
    if (this.#flushedSize.size >= MAX_TRACKED) this.#flushedSize.clear() // only an optimization
    this.#flushedSize.set(file, size)
  }

  // --- completion -----------------------------------------------------------------------------

  /** Waits for a background flush of `file` and ends its write-behind (complete() takes over). */
  async settle(file: string): Promise<void> {
    await this.#flushes.get(file)
    this.#dirty.delete(file)
  }

  /**
   * What must be on disk before an upload of `size` bytes whose sidecar is not rewritten (ours:
   * completion follows from the size) is called complete: the data, the sidecar written at
   * creation and their names, minus what was flushed already.
   */
  async flushForCompletion(p: FilePaths, size: number): Promise<void> {
    if (this.policy === 'on-complete') {
      // Sidecar and directory were flushed in the background since creation, unless the
      // sidecar has been replaced since (or that flush failed): then they are flushed now.
      const early = this.#earlyFlush.get(p.data)
      this.#earlyFlush.delete(p.data)
      const flushedEarly =
        early !== undefined && early.sidecar === this.sidecars.identity(p.sidecar) && (await early.done)
      await Promise.all([
        this.#flushedSize.get(p.data) === size ? undefined : flushFile(p.data, this.calls),
        flushedEarly ? undefined : flushFile(p.sidecar, this.calls),
        flushedEarly ? undefined : syncDir(p.bucketDir, this.calls),
      ])
    } else if (this.policy === 'always' && this.#flushedSize.get(p.data) !== size) {
      await flushFile(p.data, this.calls) // creation and metadata writes were flushed when they happened
    }
  }

  /** `complete()` succeeded: nothing about `file` needs remembering any more. */
  completed(file: string): void {
    this.#unfinalized.delete(file)
    this.#flushedSize.delete(file)
  }

  /** `file` was deleted. */
  forget(file: string): void {
    this.#dirty.delete(file)
    this.#unfinalized.delete(file)
    this.#flushedSize.delete(file)
    this.#earlyFlush.delete(file)
  }

  /** Waits for background flushes (write-behind, early flushes) still in flight. */
  async idle(): Promise<void> {
    await Promise.all([...this.#flushes.values(), ...[...this.#earlyFlush.values()].map((e) => e.done)])
  }
}
