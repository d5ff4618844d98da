/**
 * `S3Store`: PsiTransfer files in an S3 bucket (AWS or any S3-compatible server).
 *
 * Stateless across instances: everything needed to continue an upload is in S3 (metadata,
 * multipart parts, tail segments), so any number of server instances can share a bucket, with
 * {@link S3Locker} keeping one writer per upload. See README.md for the key layout and the
 * durability design.
 * @module
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import {
  type AppendOptions,
  abortError,
  applyMetaPatch,
  contentDisposition,
  type DownloadUrlOptions,
  type FileMeta,
  type FileRef,
  type ListOptions,
  type Lock,
  type MetaPatch,
  type NewFile,
  NotFoundError,
  OffsetMismatchError,
  PsiError,
  parseBucketId,
  type ReadOptions,
  readWholeBody,
  resolveRange,
  type Store,
  UploadLockedError,
} from '@psitransfer/core'
import { acquire } from './acquire.js'
import { AppendRun } from './append.js'
import { BufferPool, ByteBudget } from './budget.js'
import { CarryOver } from './carry-over.js'
import { createS3Client } from './client.js'
import {
  MIN_PART_SIZE,
  maxUploadFor,
  parseS3StoreConfig,
  partSizeFor,
  type S3StoreConfig,
  type S3StoreOptions,
} from './config.js'
import type { Logger, S3Context } from './context.js'
import { S3DirectUpload } from './direct.js'
import { finalizeData } from './finalize.js'
import { checkRef, KeyLayout, newIncarnation, refId } from './keys.js'
import { listFiles, type SweepOptions, type SweepResult, sweep } from './listing.js'
import { INC_METADATA, loadMeta, loadState } from './load.js'
import { S3LockManager } from './locks.js'
import { encodeMeta, type StoredMeta, toFileMeta } from './meta-codec.js'
import { type ObjectSlice, readSlices, sliceRange } from './reader.js'
import { bootError, toStoreError } from './s3-errors.js'
import { S3Io } from './s3-io.js'
import { LockSessions, type UploadLockOptions } from './sessions.js'
import { effectivePartSize, type UploadState } from './state.js'
import { TailCache } from './tail-cache.js'

export interface S3StoreDeps {
  /** A ready SDK client (tests, custom middleware); built from the config otherwise. */
  client?: S3Client
  logger?: Logger
  /** Milliseconds since the epoch (lock expiry); default `Date.now`. */
  now?: () => number
}

export interface S3StoreStats {
  /** S3 requests by operation. */
  requests: Record<string, number>
  /** Body bytes sent to S3 (parts, tail segments, objects, metadata). */
  bytesSent: number
  bytesReceived: number
  /** Parts whose upload started while their bytes were still arriving (also those abandoned). */
  streamedParts: number
  /** Bytes the store holds in memory right now (part buffers and cached tails). */
  bufferedBytes: number
  /** Highest `bufferedBytes` since the store started (or {@link S3Store.resetPeak}). */
  peakBufferedBytes: number
}

let internals: (store: S3Store) => S3Context

/**
 * The store's internals, for this package's tests only (not exported from the index; the
 * store's collaborators get what they need passed in, S3Locker goes through {@link S3Store.lockUpload}).
 */
export function storeContext(store: S3Store): S3Context {
  return internals(store)
}

function invalid(message: string): PsiError {
  return new PsiError('INVALID_INPUT', message)
}

async function* empty(): AsyncGenerator<Uint8Array> {}

/** The stored record of a new file (a fresh incarnation: no object of an earlier one counts). */
function newStoredMeta(file: NewFile, L: number | null, partSize: number, complete: boolean): StoredMeta {
  const input = structuredClone(file)
  return {
    sid: input.sid,
    key: input.key,
    name: input.name,
    relativePath: input.relativePath,
    comment: input.comment,
    type: input.type,
    retention: input.retention,
    ...(input.password !== undefined ? { password: input.password } : {}),
    uploadLength: L,
    createdAt: input.createdAt,
    expiresAt: input.expiresAt,
    lastDownload: input.lastDownload ?? null,
    downloads: input.downloads ?? 0,
    bucketLocked: input.bucketLocked,
    complete,
    ...(input.concat ? { concat: input.concat } : {}),
    extra: { ...input.extra },
    s3: { inc: newIncarnation(), partSize },
  }
}

export class S3Store implements Store {
  static {
    internals = (store) => store.#ctx
  }

  readonly type = 's3'
  readonly config: S3StoreConfig
  readonly #ctx: S3Context
  readonly #appending = new Set<string>()
  readonly #metaQueue = new Map<string, Promise<unknown>>()
  /** Uploads whose parts the client PUTs to presigned URLs (see direct.ts); with `directUpload` on. */
  readonly directUpload?: S3DirectUpload

  constructor(options: S3StoreOptions, deps: S3StoreDeps = {}) {
    this.config = parseS3StoreConfig(options)
    const logger = deps.logger ?? { warn: () => {} }
    const client = deps.client ?? createS3Client(this.config, (o, m) => logger.warn(o, m))
    const io = new S3Io(client, this.config.bucket)
    const keys = new KeyLayout(this.config.prefix)
    const budget = new ByteBudget(this.config.maxBufferedBytes)
    const buffers = new BufferPool(this.config.maxBufferedBytes)
    const carry = new CarryOver(buffers, io, (o, m) => logger.warn(o, m))
    this.#ctx = {
      config: this.config,
      io,
      keys,
      budget,
      buffers,
      tails: new TailCache(budget),
      locks: new S3LockManager(io, keys, this.config.lockTtl * 1000, deps.now, (o, m) => logger.warn(o, m)),
      // A released lock takes the upload's early next part with it (it needs the next PATCH here).
      sessions: new LockSessions(
        (ref) => acquire(this.#ctx, ref),
        (id) => carry.pending.drop(id),
      ),
      carry,
      known: new Map(),
      logger,
    }
    if (this.config.directUpload)
      this.directUpload = new S3DirectUpload(this.#ctx, (file) => this.#create(file, true))
    // Memory wanted by uploads comes from cached tails first, then from parts started early.
    const evictTails = budget.evict
    budget.evict = (needed) => {
      const before = budget.used
      evictTails?.(needed)
      const freed = before - budget.used
      if (freed < needed) carry.pending.evict(needed - freed)
    }
  }

  /** The SDK client (for tests and tools). */
  get client(): S3Client {
    return this.#ctx.io.client
  }

  get stats(): S3StoreStats {
    const { io, budget } = this.#ctx
    return {
      requests: { ...io.stats.requests },
      bytesSent: io.stats.bytesSent,
      bytesReceived: io.stats.bytesReceived,
      streamedParts: io.stats.streamedParts,
      bufferedBytes: budget.used,
      peakBufferedBytes: budget.peak,
    }
  }

  resetPeak(): void {
    this.#ctx.budget.resetPeak()
  }

  #where(): string {
    const { bucket, endpoint, region } = this.config
    return `bucket "${bucket}" at ${endpoint ?? 'AWS S3'} (region ${region})`
  }

  async init(): Promise<void> {
    const { io, keys } = this.#ctx
    try {
      await io.headBucket()
    } catch (err) {
      throw bootError(err, 'reach', this.#where())
    }
    // Writable? A tiny object outside the file layout, removed again.
    const probe = `${keys.prefix}.psitransfer-write-check`
    try {
      await io.put(probe, 'ok')
      await io.delete(probe)
    } catch (err) {
      throw bootError(err, 'write to', this.#where())
    }
  }

  create(file: NewFile): Promise<FileMeta> {
    return this.#create(file, false)
  }

  /** `multipart`: start a multipart upload even for a file that fits in one part (direct uploads). */
  async #create(file: NewFile, multipart: boolean): Promise<FileMeta> {
    checkRef(file)
    const L = file.uploadLength
    if (L !== null && (typeof L !== 'number' || !Number.isSafeInteger(L) || L < 0)) {
      throw invalid('Upload length must be a non-negative integer')
    }
    const partSize = partSizeFor(L, this.config)
    if (L !== null && L > maxUploadFor(partSize)) {
      throw new PsiError('TOO_LARGE', `Files larger than ${maxUploadFor(partSize)} bytes cannot be stored`)
    }
    const { io, keys } = this.#ctx
    const meta = newStoredMeta(file, L, partSize, false)
    const dataKey = keys.data(file)
    try {
      // Files that fit in one part never start a multipart upload (one PutObject when they arrive).
      if (L === null || L > partSize || multipart)
        meta.s3.uploadId = await io.createMultipart(dataKey, { [INC_METADATA]: meta.s3.inc })
      const created = await io.put(keys.meta(file), encodeMeta(meta), {
        ifNoneMatch: true,
        contentType: 'application/json',
      })
      if (created === null) {
        await this.#abortQuietly(dataKey, meta.s3.uploadId)
        throw invalid('The file already exists')
      }
    } catch (err) {
      if (err instanceof PsiError) throw err
      await this.#abortQuietly(dataKey, meta.s3.uploadId)
      throw toStoreError(err, 'create the upload')
    }
    return toFileMeta(meta, 0)
  }

  /**
   * A whole file in two PUTs: the data object, then its record, complete from the start (the
   * record is what makes a file exist, so a failure in between leaves an object without
   * metadata, which the sweeper removes). No lock: nobody knows the key before this resolves.
   * Files larger than one part go the usual way (create, append, complete).
   */
  async createComplete(
    file: NewFile,
    data: AsyncIterable<Uint8Array>,
    options: AppendOptions = {},
  ): Promise<FileMeta> {
    checkRef(file)
    const L = file.uploadLength
    if (typeof L !== 'number' || !Number.isSafeInteger(L) || L < 0) {
      throw invalid('A whole file needs its length, a non-negative integer')
    }
    const partSize = partSizeFor(L, this.config)
    if (L > partSize) return this.#createInSteps(file, data, options)
    const bytes = await readWholeBody(data, L, options.signal)
    const { io, keys } = this.#ctx
    const meta = newStoredMeta(file, L, partSize, true)
    const dataKey = keys.data(file)
    try {
      const signal = options.signal ? { signal: options.signal } : {}
      const put = await io.put(dataKey, bytes, {
        ifNoneMatch: true,
        metadata: { [INC_METADATA]: meta.s3.inc },
        ...signal,
      })
      if (put === null) throw invalid('The file already exists')
      const created = await io.put(keys.meta(file), encodeMeta(meta), {
        ifNoneMatch: true,
        contentType: 'application/json',
      })
      if (created === null) throw invalid('The file already exists')
    } catch (err) {
      if (err instanceof PsiError) throw err
      throw toStoreError(err, 'store the file')
    }
    return toFileMeta(meta, L)
  }

  async #createInSteps(
    file: NewFile,
    data: AsyncIterable<Uint8Array>,
    options: AppendOptions,
  ): Promise<FileMeta> {
    const L = file.uploadLength as number
    await this.create(file)
    try {
      const offset = await this.append(file, data, 0, options)
      if (offset !== L) throw new PsiError('ABORTED', `The request body ended after ${offset} of ${L} bytes`)
      return await this.complete(file)
    } catch (err) {
      await this.delete(file).catch((e: unknown) =>
        this.#ctx.logger.warn({ err: e }, 'could not remove a failed whole-file upload'),
      )
      // The store's own failures are PsiErrors; anything else came from the body.
      if (err instanceof PsiError) throw err
      throw new PsiError('ABORTED', 'The upload was interrupted before the request body ended', {
        cause: err,
      })
    }
  }

  async #abortQuietly(key: string, uploadId: string | undefined): Promise<void> {
    if (!uploadId) return
    await this.#ctx.io
      .abortMultipart(key, uploadId)
      .catch((err) => this.#ctx.logger.warn({ err }, 'could not abort a multipart upload'))
  }

  async info(ref: FileRef): Promise<FileMeta> {
    checkRef(ref)
    const { meta, state } = await loadState(this.#ctx, ref)
    return toFileMeta(meta, state.offset)
  }

  async update(ref: FileRef, patch: MetaPatch): Promise<FileMeta> {
    checkRef(ref)
    return this.#serialized(refId(ref), async () => {
      const id = refId(ref)
      const session = this.#ctx.sessions.getOrLingering(id)
      const loaded = await loadState(this.#ctx, ref)
      const next = applyPatch(loaded.meta, patch, loaded.state.offset)
      try {
        await this.#ctx.io.put(this.#ctx.keys.meta(ref), encodeMeta(next), {
          contentType: 'application/json',
        })
      } catch (err) {
        throw toStoreError(err, 'update metadata')
      }
      if (session?.loaded) {
        const state = session.loaded.state
        // A length declared now (deferred length) changes the part size an upload without a
        // part yet will use; every instance derives it from the new metadata, so must we.
        const partSize =
          next.uploadLength === session.loaded.meta.uploadLength
            ? state.partSize
            : effectivePartSize({
                uploadLength: next.uploadLength,
                partSize: next.s3.partSize,
                minPartSize: this.#ctx.config.adaptivePartSize ? MIN_PART_SIZE : undefined,
                parts: state.parts,
                offset: state.offset,
              })
        session.loaded = { meta: next, state: { ...state, partSize } }
      }
      return toFileMeta(next, loaded.state.offset)
    })
  }

  /** Runs metadata read-modify-writes of one file one at a time (within this process). */
  async #serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#metaQueue.get(id) ?? Promise.resolve()
    const run = prev.then(fn, fn)
    const tail = run.catch(() => {})
    this.#metaQueue.set(id, tail)
    try {
      return await run
    } finally {
      if (this.#metaQueue.get(id) === tail) this.#metaQueue.delete(id)
    }
  }

  /**
   * The cross-instance lock of `ref`, for {@link S3Locker} (which queues this process's own
   * requests first): tried until `options.deadline`, then UPLOAD_LOCKED. While it is held the
   * store's calls for the upload use it (and trust the state they cached on it) instead of
   * locking by themselves.
   */
  lockUpload(ref: FileRef, options: UploadLockOptions): Promise<Lock> {
    checkRef(ref)
    return this.#ctx.sessions.lock(ref, options)
  }

  async append(
    ref: FileRef,
    data: AsyncIterable<Uint8Array>,
    offset: number,
    options: AppendOptions = {},
  ): Promise<number> {
    checkRef(ref)
    const { signal } = options
    if (signal?.aborted) throw abortError(signal)
    const id = refId(ref)
    if (this.#appending.has(id)) throw new UploadLockedError()
    this.#appending.add(id)
    try {
      return await this.#ctx.sessions.run(ref, async (session) => {
        const loaded = await loadState(this.#ctx, ref)
        const { meta, state } = loaded
        if (offset !== state.offset) throw new OffsetMismatchError(state.offset, offset)
        if (meta.complete) {
          for await (const chunk of data)
            if (chunk.byteLength > 0) throw new PsiError('TOO_LARGE', 'The upload is already complete')
          return state.offset
        }
        const lost = session.handle.lost
        const combined = signal ? AbortSignal.any([signal, lost]) : lost
        // The previous PATCH's size predicts whether this one fills the part it starts.
        const expected = this.#ctx.carry.expectedSize(id)
        const outcome = await new AppendRun(this.#ctx, ref, loaded, combined, lost, {
          ...(expected !== undefined ? { expected } : {}),
          startNext: session.lingers === true,
        }).run(data)
        this.#ctx.carry.rememberAppendSize(
          id,
          outcome.error === undefined ? outcome.loaded.state.offset - offset : undefined,
        )
        if (outcome.error === undefined) {
          session.loaded = outcome.loaded
          return outcome.loaded.state.offset
        }
        // After a failure, S3 is asked again next time rather than trusting what we worked out.
        session.loaded = undefined
        if (lost.aborted)
          throw new UploadLockedError('The upload lock was lost while writing; resume the upload', {
            cause: outcome.error,
          })
        throw outcome.error
      })
    } finally {
      this.#appending.delete(id)
    }
  }

  async complete(ref: FileRef): Promise<FileMeta> {
    checkRef(ref)
    return this.#ctx.sessions.run(ref, async (session) => {
      // A part started early would carry the same number as a final part made from the tail.
      this.#ctx.carry.pending.drop(refId(ref))
      const loaded = await loadState(this.#ctx, ref)
      const { meta, state } = loaded
      const L = meta.uploadLength
      if (meta.complete) return toFileMeta(meta, state.offset)
      if (L === null) throw invalid('The upload length is not known yet')
      if (state.offset !== L)
        throw invalid(`The upload is incomplete: ${state.offset} of ${L} bytes received`)
      try {
        await finalizeData(this.#ctx, ref, loaded)
      } catch (err) {
        session.loaded = undefined
        throw toStoreError(err, 'complete the upload')
      }
      const done: StoredMeta = { ...meta, complete: true }
      try {
        await this.#ctx.io.put(this.#ctx.keys.meta(ref), encodeMeta(done), {
          contentType: 'application/json',
        })
      } catch (err) {
        session.loaded = undefined
        throw toStoreError(err, 'mark the upload complete')
      }
      const finalState: UploadState = {
        offset: L,
        partSize: state.partSize,
        parts: [],
        partsBytes: 0,
        tail: [],
        dataComplete: true,
        garbage: [],
      }
      session.loaded = { meta: done, state: finalState }
      this.#ctx.tails.drop(refId(ref))
      // The tail segments are no longer needed once the object exists.
      const segments = [
        ...state.tail.map((p) => p.key),
        ...state.garbage,
        ...this.#ctx.carry.takeAbsorbed(refId(ref)),
      ]
      this.#ctx.carry.forget(refId(ref))
      if (segments.length > 0) {
        await this.#ctx.io
          .deleteMany([...new Set(segments)])
          .catch((err) => this.#ctx.logger.warn({ err }, 'could not delete tail segments'))
      }
      return toFileMeta(done, L)
    })
  }

  async read(ref: FileRef, options: ReadOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    checkRef(ref)
    const { signal, range } = options
    if (signal?.aborted) throw abortError(signal)
    const session = this.#ctx.sessions.get(refId(ref))
    const meta = session?.loaded?.meta ?? (await loadMeta(this.#ctx, ref))
    const dataKey = this.#ctx.keys.data(ref)
    let size: number
    let pieces: ObjectSlice[]
    if (meta.complete) {
      size = meta.uploadLength ?? 0
      pieces = [{ key: dataKey, start: 0, end: size - 1 }]
    } else {
      const { state } = await loadState(this.#ctx, ref)
      if (state.dataComplete) {
        size = state.offset
        pieces = [{ key: dataKey, start: 0, end: size - 1 }]
      } else if (state.parts.length > 0) {
        // S3 cannot read the parts of an unfinished multipart upload.
        throw new NotFoundError('The upload is not finished; it can be read once it is complete')
      } else {
        size = state.offset
        pieces = state.tail.map((p) => ({ key: p.key, start: p.skip, end: p.size - 1 }))
      }
    }
    const { start, end, length } = resolveRange(size, range)
    if (length === 0) return empty()
    return readSlices(this.#ctx.io, sliceRange(pieces, start, end), signal)
  }

  async delete(ref: FileRef): Promise<void> {
    checkRef(ref)
    const { io, keys } = this.#ctx
    const id = refId(ref)
    const meta = await loadMeta(this.#ctx, ref)
    const session = this.#ctx.sessions.get(id)
    // Pending deletes of absorbed segments are covered by the listing below.
    this.#ctx.carry.takeAbsorbed(id)
    try {
      if (meta.s3.uploadId && !meta.complete) await io.abortMultipart(keys.data(ref), meta.s3.uploadId)
      const metaKey = keys.meta(ref)
      const objects = (await io.listAll(keys.base(ref)))
        .map((o) => o.key)
        .filter((k) => keys.parse(k)?.id === id && k !== metaKey && k !== session?.handle.key)
      if (objects.length > 0) await io.deleteMany(objects)
      // Metadata last: until it is gone, the file is listed and the delete can be repeated.
      await io.delete(metaKey)
    } catch (err) {
      throw toStoreError(err, 'delete the file')
    }
    if (session) {
      session.deleted = true
      session.loaded = undefined
    }
    this.#ctx.tails.drop(id)
    this.#ctx.carry.forget(id)
  }

  list(options: ListOptions = {}): AsyncIterable<FileMeta> {
    const sid = options.sid === undefined ? undefined : parseBucketId(options.sid)
    return listFiles(this.#ctx, sid)
  }

  async claim(ref: FileRef): Promise<boolean> {
    checkRef(ref)
    const meta = await loadMeta(this.#ctx, ref)
    try {
      return (
        (await this.#ctx.io.put(this.#ctx.keys.claim(ref, meta.s3.inc), '1', { ifNoneMatch: true })) !== null
      )
    } catch (err) {
      throw toStoreError(err, 'claim the file')
    }
  }

  async releaseClaim(ref: FileRef): Promise<void> {
    checkRef(ref)
    let meta: StoredMeta
    try {
      meta = await loadMeta(this.#ctx, ref)
    } catch (err) {
      if (err instanceof PsiError && err.code === 'NOT_FOUND') return
      throw err
    }
    try {
      await this.#ctx.io.delete(this.#ctx.keys.claim(ref, meta.s3.inc))
    } catch (err) {
      throw toStoreError(err, 'release the claim')
    }
  }

  async downloadUrl(ref: FileRef, options: DownloadUrlOptions): Promise<string> {
    checkRef(ref)
    const expiresIn = options.expiresIn
    if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
      throw invalid('Download URLs can be valid for 1 second to 7 days')
    }
    const command = new GetObjectCommand({
      Bucket: this.config.bucket,
      Key: this.#ctx.keys.data(ref),
      ResponseContentDisposition: contentDisposition(options.filename, options.disposition),
      // Always override: never let S3 answer with whatever type the object happens to carry.
      ResponseContentType: options.contentType || 'application/octet-stream',
    })
    try {
      return await getSignedUrl(this.#ctx.io.client, command, { expiresIn })
    } catch (err) {
      // Signing resolves credentials, which can fail long after boot (expired role, IMDS down).
      throw toStoreError(err, 'sign the download URL')
    }
  }

  /**
   * Removes expired files (skipping those whose upload lock is held), multipart uploads no
   * file refers to, and objects without metadata (older than `graceMs`). Returns what it removed.
   */
  sweep(options: SweepOptions = {}): Promise<SweepResult> {
    return sweep(this.#ctx, this, options)
  }

  /** Releases locks kept by S3Locker, then connections and buffers. */
  async close(): Promise<void> {
    await this.#ctx.sessions.releaseAll()
    await this.#ctx.carry.close()
    this.#ctx.tails.clear()
    this.#ctx.buffers.clear()
    this.directUpload?.close()
    this.#ctx.io.client.destroy()
  }
}

/** Core's patch rules, plus S3's limit on how large an upload of unknown length may grow. */
function applyPatch(meta: StoredMeta, patch: MetaPatch, offset: number): StoredMeta {
  const next = applyMetaPatch(meta, patch, offset)
  const max = maxUploadFor(meta.s3.partSize)
  if (meta.uploadLength === null && next.uploadLength !== null && next.uploadLength > max) {
    throw new PsiError('TOO_LARGE', `Uploads of unknown length are limited to ${max} bytes`)
  }
  return next
}
