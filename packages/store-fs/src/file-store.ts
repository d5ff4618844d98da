/**
 * `FileStore`: PsiTransfer's layout on a local file system, `{uploadDir}/{sid}/{key}` for the
 * bytes and `{uploadDir}/{sid}/{key}.json` for the record. Offsets always come from the data
 * file's size, so a restart (even after kill -9) reports exactly what is on disk.
 *
 * This module holds the port methods; when bytes reach the disk is durability.ts, the bucket
 * directory checks bucket-dirs.ts, the streaming of an append's body write-body.ts.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { fstatSync } from 'node:fs'
import { type FileHandle, mkdir, open, rm, rmdir, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import {
  type AppendOptions,
  abortError,
  type FileMeta,
  type FileReader,
  type FileRef,
  type ListOptions,
  type MetaPatch,
  type NewFile,
  NotFoundError,
  OffsetMismatchError,
  PsiError,
  type ReadOptions,
  resolveRange,
  type Store,
  type StoreContext,
  UploadLockedError,
} from '@psitransfer/core'
import { BlockPool } from './block-writer.js'
import { BucketDirs } from './bucket-dirs.js'
import { Durability, FSYNC_POLICIES, type FsyncPolicy } from './durability.js'
import { errnoCode, fsError, isErrno } from './fs-errors.js'
import { KeyedMutex } from './keyed-mutex.js'
import { listFiles } from './list.js'
import { type MetaCalls, type MetadataCalls, metaCalls, threadPoolCalls } from './meta-calls.js'
import { applyPatch, checkLength, invalidInput } from './patch.js'
import { type FilePaths, normalizeRoot, PathCache, SIDECAR_SUFFIX, TEMP_SUFFIX } from './paths.js'
import { completionFromSize, decodeSidecar, encodeSidecar } from './sidecar.js'
import {
  CREATE_FLAGS,
  DamagedSidecarError,
  flushFile,
  type PreparedSidecar,
  READ_FLAGS,
  SidecarIO,
  syncDir,
  WRITE_FLAGS,
} from './sidecar-io.js'
import { type FsSweepResult, sweepOrphans } from './sweep.js'
import { SourceFailure, writeBody } from './write-body.js'

export interface FileStoreOptions {
  /** Directory holding one folder per bucket. Created by {@link FileStore.init} if missing. */
  uploadDir: string
  fsync?: FsyncPolicy
  /** Receives warnings about damaged or unexpected entries (each reported once per process). */
  logger?: StoreContext['logger']
  /** Size of the blocks small network chunks are coalesced into (default 1 MiB). */
  blockSize?: number
  /**
   * How long (ms) a bucket directory that was created or checked with `lstat` is trusted
   * without checking again (default 1000; 0 checks on every operation).
   */
  bucketCheckTtlMs?: number
  /**
   * How the small metadata calls of single-file operations run (see meta-calls.ts):
   * `inline` (default) as synchronous syscalls, `thread-pool` through libuv's thread pool, for
   * network file systems where such a call may take milliseconds. Flushes, data and bulk scans
   * always use the thread pool.
   */
  metadataCalls?: MetadataCalls
}

const DEFAULT_BLOCK_SIZE = 1024 * 1024
const READ_HIGH_WATER_MARK = 256 * 1024
const DEFAULT_BUCKET_CHECK_TTL_MS = 1000

export class FileStore implements Store {
  readonly type = 'filesystem'
  /** Absolute upload directory. */
  readonly root: string
  readonly fsync: FsyncPolicy
  readonly metadataCalls: MetadataCalls

  readonly #logger: StoreContext['logger']
  readonly #pool: BlockPool
  readonly #sidecars = new SidecarIO()
  readonly #paths: PathCache
  readonly #mutex = new KeyedMutex()
  readonly #appending = new Set<string>()
  readonly #warned = new Set<string>()
  /** Metadata calls of single-file operations (inline or thread pool, see the option). */
  readonly #calls: MetaCalls
  readonly #durability: Durability
  readonly #buckets: BucketDirs

  constructor(options: FileStoreOptions) {
    if (typeof options.uploadDir !== 'string' || options.uploadDir === '') {
      throw new PsiError('STORE_MISCONFIGURED', 'FileStore needs an uploadDir')
    }
    this.root = normalizeRoot(options.uploadDir)
    this.#paths = new PathCache(this.root)
    this.fsync = options.fsync ?? 'on-complete'
    if (!FSYNC_POLICIES.includes(this.fsync)) {
      throw new PsiError('STORE_MISCONFIGURED', `FileStore fsync must be never, on-complete or always`)
    }
    this.metadataCalls = options.metadataCalls ?? 'inline'
    if (this.metadataCalls !== 'inline' && this.metadataCalls !== 'thread-pool') {
      throw new PsiError('STORE_MISCONFIGURED', 'FileStore metadataCalls must be inline or thread-pool')
    }
    this.#calls = metaCalls(this.metadataCalls)
    this.#logger = options.logger
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
    if (!Number.isSafeInteger(blockSize) || blockSize < 4096) {
      throw new PsiError('STORE_MISCONFIGURED', 'FileStore blockSize must be an integer of at least 4096')
    }
    this.#pool = new BlockPool(blockSize)
    this.#durability = new Durability(this.fsync, this.#calls, this.#sidecars)
    this.#buckets = new BucketDirs(
      this.root,
      options.bucketCheckTtlMs ?? DEFAULT_BUCKET_CHECK_TTL_MS,
      this.#calls,
      (where, message) => this.#warn(where, message),
    )
  }

  async init(): Promise<void> {
    const where = `upload directory "${this.root}"`
    try {
      await mkdir(this.root, { recursive: true })
    } catch (err) {
      throw new PsiError('STORE_MISCONFIGURED', `Cannot create the ${where}: ${errnoCode(err) ?? err}`, {
        cause: err,
      })
    }
    // stat, not lstat: uploadDir itself may be a symlink the operator chose.
    const st = await stat(this.root).catch(() => undefined)
    if (!st?.isDirectory()) {
      throw new PsiError('STORE_MISCONFIGURED', `The ${where} is not a directory`)
    }
    const probe = path.join(this.root, `.probe-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`)
    try {
      const fh = await open(probe, CREATE_FLAGS, 0o644)
      try {
        await fh.writeFile('probe')
      } finally {
        await fh.close()
      }
      await unlink(probe)
    } catch (err) {
      await rm(probe, { force: true }).catch(() => {})
      throw new PsiError('STORE_MISCONFIGURED', `The ${where} is not writable: ${errnoCode(err) ?? err}`, {
        cause: err,
      })
    }
  }

  async create(file: NewFile): Promise<FileMeta> {
    const p = this.#paths.resolve(file)
    const uploadLength = checkLength(file.uploadLength)
    const meta: FileMeta = {
      ...file,
      sid: p.sid,
      key: p.key,
      relativePath: file.relativePath ?? '',
      extra: { ...(file.extra ?? {}) },
      uploadLength,
      ...(file.concat ? { concat: structuredClone(file.concat) } : {}),
      offset: 0,
      complete: false,
      downloads: file.downloads ?? 0,
      lastDownload: file.lastDownload ?? null,
    }
    delete (meta as { storeState?: unknown }).storeState
    // An empty upload has all its bytes from the start; it is complete once complete() ran.
    if (uploadLength === 0) this.#durability.markUnfinalized(p.data)
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#createFiles(p, meta)
        return meta
      } catch (err) {
        // A concurrent delete (ours or another process's) removed the bucket directory: start over.
        if (isErrno(err, 'ENOENT')) {
          this.#buckets.forget(p.bucketDir)
          if (attempt < 3) continue
        }
        this.#durability.unmarkUnfinalized(p.data)
        throw fsError(err)
      }
    }
  }

  /**
   * Data file and sidecar of a new file, both or neither. The sidecar is what makes a file
   * exist (for info, list and here): a data file without one is what a create or delete cut
   * short by a crash leaves, and a new create of the same key takes it over. That matters for
   * fixed keys (a bucket's mark): a leftover must not make the key "taken" for ever.
   */
  async #createFiles(p: FilePaths, meta: FileMeta): Promise<void> {
    const durable = this.#durability.eager
    const newBucket = await this.#buckets.ensure(p)
    // One after the other: a create takes the directory's lock, so creating both at once only
    // makes the second spin on it. The sidecar is published only once the data file is ours.
    let dataCreated = false
    let sidecar: PreparedSidecar | undefined
    try {
      // false: a data file is there already (a leftover, or a create in flight elsewhere).
      dataCreated = await this.#createEmptyData(p)
      if (!dataCreated && !(await this.#calls.lstat(p.data)).isFile()) {
        throw invalidInput('A file with this id already exists')
      }
      sidecar = await this.#sidecars.prepare(
        p.sidecar,
        encodeSidecar(meta, undefined, 0),
        durable,
        this.#calls,
      )
      try {
        // Exclusive: of two creates of one key, in any processes, one publishes its sidecar.
        await sidecar.commitNew()
      } catch (err) {
        sidecar = undefined // commitNew removed its temp file
        if (isErrno(err, 'EEXIST')) {
          dataCreated = false // the data file is the winner's now
          throw invalidInput('A file with this id already exists')
        }
        throw err
      }
      // A taken-over leftover may hold the bytes of a deleted file: the new one starts empty.
      if (!dataCreated) {
        await this.#truncateData(p).catch(async (err: unknown) => {
          await unlink(p.sidecar).catch(() => {})
          this.#sidecars.forget(p.sidecar)
          throw err
        })
      }
      this.#durability.flushEarly(p)
    } catch (err) {
      // No orphans: a data file without its sidecar would be invisible garbage.
      if (sidecar) await sidecar.discard()
      if (dataCreated) await rm(p.data, { force: true }).catch(() => {})
      if (newBucket) await rmdir(p.bucketDir).catch(() => {})
      throw err
    }
    if (durable && newBucket) await syncDir(this.root, this.#calls)
  }

  async #truncateData(p: FilePaths): Promise<void> {
    const fh = await open(p.data, WRITE_FLAGS)
    try {
      const st = await fh.stat()
      if (!st.isFile()) throw new NotFoundError()
      if (st.size > 0) {
        await fh.truncate(0)
        if (this.#durability.eager) await fh.datasync()
      }
    } finally {
      await fh.close()
    }
  }

  async info(ref: FileRef): Promise<FileMeta> {
    try {
      return (await this.#load(this.#paths.resolve(ref))).meta
    } catch (err) {
      throw fsError(err)
    }
  }

  async update(ref: FileRef, patch: MetaPatch): Promise<FileMeta> {
    const p = this.#paths.resolve(ref)
    return this.#mutex.run(p.data, async () => {
      try {
        const { raw, meta } = await this.#load(p)
        const next = applyPatch(meta, patch)
        if (!meta.complete && next.uploadLength === next.offset && completionFromSize(raw)) {
          // A deferred length declared after the last byte: complete() must still finalize it.
          this.#durability.markUnfinalized(p.data)
          next.complete = false
        }
        await this.#sidecars.write(
          p.sidecar,
          encodeSidecar(next, raw, meta.offset),
          this.#durability.eager,
          this.#calls,
        )
        return next
      } catch (err) {
        throw fsError(err)
      }
    })
  }

  async append(
    ref: FileRef,
    data: AsyncIterable<Uint8Array>,
    offset: number,
    options: AppendOptions = {},
  ): Promise<number> {
    const p = this.#paths.resolve(ref)
    // Callers serialize appends with a Locker; this catches misuse inside one process.
    if (this.#appending.has(p.data)) throw new UploadLockedError()
    this.#appending.add(p.data)
    try {
      await this.#buckets.check(p)
      // An upload's length never changes once set, so a cached sidecar that has one is good
      // enough here (saves the revalidation); the offset still comes from the file itself.
      const cached = knownLength(this.#sidecars.peek(p.sidecar))
      const [sidecar, opened] = await Promise.allSettled([
        cached ?? this.#readSidecar(p),
        open(p.data, WRITE_FLAGS),
      ])
      if (sidecar.status === 'rejected' || opened.status === 'rejected') {
        if (opened.status === 'fulfilled') await opened.value.close()
        throw sidecar.status === 'rejected' ? sidecar.reason : (opened as PromiseRejectedResult).reason
      }
      const raw = sidecar.value
      const fh = opened.value
      let handedOver = false
      /** Everything written is on disk: closing the handle cannot lose anything any more. */
      let synced = false
      try {
        // The open handle's fstat is the truth about the offset (and refuses non-files).
        const st = this.#calls.inline ? fstatSync(fh.fd) : await fh.stat()
        if (!st.isFile()) throw new NotFoundError()
        const meta = this.#decode(p, raw, st)
        if (st.size !== offset) throw new OffsetMismatchError(st.size, offset)
        const length = meta.uploadLength
        // Before any byte lands: a file that ends up full stays incomplete until complete().
        // Kept on failure too (the file may be full after a body error); complete() clears it.
        if (length !== null && completionFromSize(raw)) this.#durability.markUnfinalized(p.data)
        const dirty = this.#durability.startAppend(p.data)
        const size = await writeBody(
          fh,
          data,
          offset,
          length,
          options.signal,
          this.#pool,
          this.#durability,
          dirty,
        )
        ;({ synced, handedOver } = await this.#durability.finishAppend(fh, dirty, size, length))
        return size
      } finally {
        if (synced && !handedOver) void fh.close().catch(() => {})
        else if (!handedOver) await fh.close()
      }
    } catch (err) {
      if (err instanceof SourceFailure) throw err.error
      throw fsError(err)
    } finally {
      this.#appending.delete(p.data)
    }
  }

  async complete(ref: FileRef): Promise<FileMeta> {
    const p = this.#paths.resolve(ref)
    return this.#mutex.run(p.data, async () => {
      try {
        const { raw, meta } = await this.#load(p)
        if (meta.complete) return meta
        if (meta.uploadLength === null) throw invalidInput('The upload length is not known yet')
        if (meta.offset !== meta.uploadLength) {
          throw invalidInput(
            `The upload is incomplete: ${meta.offset} of ${meta.uploadLength} bytes received`,
          )
        }
        await this.#durability.settle(p.data)
        const next: FileMeta = { ...meta, complete: true }
        if (completionFromSize(raw)) {
          // Our sidecar needs no rewrite (completion follows from the size; `isPartial` is
          // brought up to date by the next metadata change).
          await this.#durability.flushForCompletion(p, meta.offset)
        } else {
          // A PsiTransfer sidecar (`isPartial`): the new one is published (renamed into place)
          // only once the data is on disk; both are written at the same time.
          const durable = this.#durability.policy !== 'never'
          const [flushed, sidecar] = await Promise.allSettled([
            durable ? flushFile(p.data, this.#calls) : Promise.resolve(),
            this.#sidecars.prepare(p.sidecar, encodeSidecar(next, raw, meta.offset), durable, this.#calls),
          ])
          if (flushed.status === 'rejected' || sidecar.status === 'rejected') {
            if (sidecar.status === 'fulfilled') await sidecar.value.discard()
            throw flushed.status === 'rejected' ? flushed.reason : (sidecar as PromiseRejectedResult).reason
          }
          await sidecar.value.commit()
        }
        this.#durability.completed(p.data)
        return next
      } catch (err) {
        throw fsError(err)
      }
    })
  }

  /** Opens the data file of a stored file for reading, with the same checks for read and openReader. */
  async #openData(ref: FileRef): Promise<{ fh: FileHandle; size: number }> {
    const p = this.#paths.resolve(ref)
    let fh: FileHandle
    try {
      await this.#buckets.check(p)
      await this.#buckets.checkRegularFile(p.sidecar)
      fh = await open(p.data, READ_FLAGS)
    } catch (err) {
      throw fsError(err)
    }
    try {
      const st = await fh.stat()
      if (!st.isFile()) throw new NotFoundError()
      return { fh, size: st.size }
    } catch (err) {
      await fh.close().catch(() => {})
      throw fsError(err)
    }
  }

  async openReader(ref: FileRef): Promise<FileReader> {
    const { fh, size } = await this.#openData(ref)
    let closed: Promise<void> | undefined
    return {
      size,
      read: async (into, position) => {
        try {
          return (await fh.read(into, 0, into.byteLength, position)).bytesRead
        } catch (err) {
          throw fsError(err)
        }
      },
      close: () => {
        closed ??= fh.close().catch(() => {})
        return closed
      },
    }
  }

  async read(ref: FileRef, options: ReadOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const { range, signal } = options
    if (signal?.aborted) throw abortError(signal)
    const { fh, size } = await this.#openData(ref)
    try {
      const { start, end, length } = resolveRange(size, range)
      if (length === 0) {
        await fh.close()
        return emptyIterable()
      }
      // autoClose: the handle is closed when the stream ends, errors, or is destroyed
      // (breaking out of for-await destroys it; so does `signal`).
      return fh.createReadStream({
        start,
        end,
        highWaterMark: READ_HIGH_WATER_MARK,
        autoClose: true,
        ...(signal ? { signal } : {}),
      })
    } catch (err) {
      await fh.close().catch(() => {})
      throw fsError(err)
    }
  }

  async delete(ref: FileRef): Promise<void> {
    const p = this.#paths.resolve(ref)
    return this.#mutex.run(p.data, async () => {
      try {
        await this.#buckets.check(p)
        this.#sidecars.forget(p.sidecar)
        this.#durability.forget(p.data)
        // Sidecar first: from then on the file is gone for info/list, even if we crash midway.
        let found = false
        for (const file of [p.sidecar, p.data]) {
          try {
            await unlink(file)
            found = true
          } catch (err) {
            if (!isErrno(err, 'ENOENT')) throw err
          }
        }
        await unlink(p.claim).catch((err: unknown) => {
          if (!isErrno(err, 'ENOENT')) throw err
        })
        if (!found) throw new NotFoundError()
        const removedBucket = await rmdir(p.bucketDir).then(
          () => true,
          (err: unknown) => {
            // Another file, or a concurrent create, keeps the bucket alive.
            if (isErrno(err, 'ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY')) return false
            throw err
          },
        )
        if (removedBucket) this.#buckets.forget(p.bucketDir)
        if (this.#durability.eager) await syncDir(removedBucket ? this.root : p.bucketDir, this.#calls)
      } catch (err) {
        throw fsError(err)
      }
    })
  }

  list(options: ListOptions = {}): AsyncIterable<FileMeta> {
    return listFiles(this.root, options, {
      // A listing reads every sidecar of a bucket: through the thread pool, never inline.
      load: (ref) => this.#load(this.#paths.resolve(ref), threadPoolCalls).then((r) => r.meta),
      warn: (where, message) => this.#warn(where, message),
    })
  }

  /**
   * Removes what a crash left half-made (data without a record, a record without data, temp
   * files), once untouched for an hour before `now`; see `sweep.ts`. The server's retention
   * sweeper calls it.
   */
  sweep(options: { now: number }): Promise<FsSweepResult> {
    return sweepOrphans(this.root, options.now, (where, message) => this.#warn(where, message))
  }

  async claim(ref: FileRef): Promise<boolean> {
    const p = this.#paths.resolve(ref)
    try {
      await this.#buckets.check(p)
      await this.#buckets.checkRegularFile(p.sidecar)
      await this.#buckets.checkRegularFile(p.data)
      const fh = await open(p.claim, CREATE_FLAGS, 0o644)
      try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }))
      } finally {
        await fh.close()
      }
      if (this.#durability.eager) await syncDir(p.bucketDir, this.#calls)
      return true
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false
      throw fsError(err)
    }
  }

  async releaseClaim(ref: FileRef): Promise<void> {
    const p = this.#paths.resolve(ref)
    try {
      await this.#buckets.check(p)
      await unlink(p.claim)
    } catch (err) {
      if (isErrno(err, 'ENOENT') || (err instanceof PsiError && err.code === 'NOT_FOUND')) return
      throw fsError(err)
    }
  }

  /** Waits for background flushes (write-behind) still in flight. */
  async close(): Promise<void> {
    await this.#durability.idle()
  }

  /** Sidecar + data stat → record. Damaged sidecars are reported and treated as missing. */
  async #load(p: FilePaths, calls = this.#calls): Promise<{ raw: unknown; meta: FileMeta }> {
    await this.#buckets.check(p, calls)
    const [raw, st] = await Promise.all([this.#readSidecar(p, calls), calls.lstat(p.data)])
    if (!st.isFile()) {
      this.#warn(`${p.sid}/${p.key}`, 'data file is not a regular file (symlink?), refused')
      throw new NotFoundError()
    }
    return { raw, meta: this.#decode(p, raw, st) }
  }

  async #readSidecar(p: FilePaths, calls = this.#calls): Promise<unknown> {
    try {
      return await this.#sidecars.read(p.sidecar, calls)
    } catch (err) {
      if (err instanceof DamagedSidecarError) {
        this.#warn(`${p.sid}/${p.key}${SIDECAR_SUFFIX}`, `${err.message}, skipped`)
        throw new NotFoundError('Not found', { cause: err })
      }
      throw err
    }
  }

  #decode(p: FilePaths, raw: unknown, data: { size: number; mtimeMs: number }): FileMeta {
    const decoded = decodeSidecar(raw, p, { size: data.size, mtimeMs: data.mtimeMs })
    if (!decoded.ok) {
      this.#warn(`${p.sid}/${p.key}${SIDECAR_SUFFIX}`, `${decoded.reason}, skipped`)
      throw new NotFoundError()
    }
    if (decoded.meta.complete && this.#durability.isUnfinalized(p.data)) decoded.meta.complete = false
    return decoded.meta
  }

  /** The empty data file, created exclusively (an existing file or symlink is never reused). */
  /** Creates the empty data file; false when a file is at its path already. */
  async #createEmptyData(p: FilePaths): Promise<boolean> {
    try {
      await this.#calls.close(await this.#calls.create(p.data, CREATE_FLAGS, 0o644))
      return true
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false
      throw err
    }
  }

  #warn(where: string, message: string): void {
    if (this.#warned.has(where)) return
    if (this.#warned.size > 10_000) this.#warned.clear()
    this.#warned.add(where)
    this.#logger?.warn({ store: 'filesystem', entry: where }, message)
  }
}

async function* emptyIterable(): AsyncGenerator<Uint8Array> {}

/** A cached sidecar document, if it records a length (which never changes once set). */
function knownLength(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return undefined
  const { uploadLength } = raw as { uploadLength?: unknown }
  return typeof uploadLength === 'number' && Number.isSafeInteger(uploadLength) ? raw : undefined
}
