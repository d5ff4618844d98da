/**
 * The Store port: the only thing the protocol and the server know about storage.
 * Implementations live in their own packages (`@psitransfer/store-fs`, `@psitransfer/store-s3`)
 * and must pass the conformance kit in `@psitransfer/core/testing`.
 *
 * Durability rule, for every store: an offset returned by {@link Store.append} or reported
 * by {@link Store.info} counts only bytes that the store will still return after a crash
 * of the process (and, where the store documents it, of the machine). The server sends that
 * number as `Upload-Offset`, so over-reporting it loses user data.
 * @module
 */
import type { BucketId, FileRef } from './ids.js'
import type { FileMeta, MetaPatch, NewFile } from './meta.js'

/** Inclusive byte range, as HTTP Range and the seed's `createReadStream(fid, start, end)`. */
export interface ByteRange {
  /** First byte (0-based). */
  start: number
  /** Last byte, inclusive. Must be ≥ start and < file size. */
  end: number
}

export interface AppendOptions {
  /** Aborts the write. Bytes that reached durable storage before the abort still count. */
  signal?: AbortSignal
}

export interface ReadOptions {
  range?: ByteRange
  /** Aborting stops reading from the backing storage at once. */
  signal?: AbortSignal
}

/** Positional access to one stored file's bytes (see {@link Store.openReader}). */
export interface FileReader {
  /** The file's size when it was opened. */
  readonly size: number
  /** Reads up to `into.byteLength` bytes at `position` into `into`; resolves how many (0 past the end). */
  read(into: Uint8Array, position: number): Promise<number>
  /** Releases the underlying handle. Idempotent. */
  close(): Promise<void>
}

export interface DownloadUrlOptions {
  /** Seconds the URL stays valid. */
  expiresIn: number
  /** File name for the `Content-Disposition` the storage will send. */
  filename: string
  /** `Content-Type` the storage should send. */
  contentType?: string
  /** `attachment` (default) or `inline`. */
  disposition?: 'attachment' | 'inline'
}

/** How a client sends the parts of a direct upload (see {@link DirectUpload}). */
export interface DirectUploadPlan {
  /** Size of every part but the last, which holds the rest (at most this). */
  partSize: number
  /** Number of parts, numbered 1..partCount. */
  partCount: number
}

/** A part the storage holds for a direct upload. */
export interface DirectUploadPart {
  partNumber: number
  size: number
}

/** What {@link DirectUpload.status} reports: the plan and the parts already stored. */
export interface DirectUploadStatus extends DirectUploadPlan {
  parts: DirectUploadPart[]
}

/**
 * Optional store capability: the client uploads a file's bytes straight to the storage in
 * parts, over URLs the store signs, and the server never sees them (S3 presigned `UploadPart`).
 * The file is an ordinary upload of the store otherwise: {@link DirectUpload.begin} creates it
 * (metadata, offset 0), {@link Store.info} reports the bytes of its parts stored so far (the
 * contiguous parts from 1), {@link Store.complete} finalizes it once every part is there, and
 * {@link Store.delete} abandons it; listings, downloads and the sweeper need nothing else.
 */
export interface DirectUpload {
  /**
   * Origins (`scheme://host[:port]`) the signed URLs point to: a web page must be allowed to
   * connect there (its CSP `connect-src`), and the storage must allow the page's origin (CORS).
   */
  readonly origins: readonly string[]
  /**
   * Creates the file like {@link Store.create} (`uploadLength` must be known and ≥ 1) and
   * prepares its parts; resolves with its metadata and the plan the client must follow.
   */
  begin(file: NewFile): Promise<DirectUploadPlan & { meta: FileMeta }>
  /** A URL the client PUTs part `partNumber` (1..partCount) to, valid for `expiresIn` seconds. */
  signPart(ref: FileRef, partNumber: number, options: { expiresIn: number }): Promise<string>
  /** The plan and the parts stored so far (to resume after a reload, and before completing). */
  status(ref: FileRef): Promise<DirectUploadStatus>
}

export interface ListOptions {
  /** Only this bucket. */
  sid?: BucketId
}

export interface Store {
  /** Storage type name, as in `storage.type` (`filesystem`, `s3`, `memory`, …). */
  readonly type: string

  /**
   * Checks that the storage is reachable and writable (creates what is missing where that is
   * safe). Called once at boot; throws a {@link PsiError} with a message naming what is wrong.
   */
  init(): Promise<void>

  /**
   * Creates a new, empty upload with its metadata. Afterwards {@link info} succeeds and reports
   * offset 0. Fails with `INVALID_INPUT` if the file already exists. Either both data and
   * metadata exist afterwards, or neither (no orphans).
   */
  create(file: NewFile): Promise<FileMeta>

  /**
   * Current metadata with `offset` derived from the backing storage. Throws `NOT_FOUND` if the
   * file does not exist. Does not check expiry (callers do).
   */
  info(ref: FileRef): Promise<FileMeta>

  /** Merges `patch` into the metadata and returns the result. `NOT_FOUND` if missing. */
  update(ref: FileRef, patch: MetaPatch): Promise<FileMeta>

  /**
   * Optional: stores a whole file that arrives in one request (TUS creation-with-upload of all
   * its bytes, a small PUT) as `create` + `append` + `complete` would, in fewer steps. Nobody
   * knows the new file's key before this resolves, so there is no other writer to lock out and
   * no state to read back. `data` must carry exactly `file.uploadLength` bytes (a number).
   * Nothing of the file is visible until all of it is durable; afterwards it is complete. On
   * any failure (`data` throws or ends short, `signal` aborts, the storage fails) it does not
   * exist: `info` says `NOT_FOUND`, and what the attempt left behind is {@link sweep}'s. More
   * bytes than declared: `TOO_LARGE`, fewer: `ABORTED`; `INVALID_INPUT` if the file exists.
   */
  createComplete?(file: NewFile, data: AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<FileMeta>

  /**
   * Writes `data` at `offset` and resolves with the new durable offset.
   *
   * - `offset` must equal the current durable offset, else `OFFSET_MISMATCH` and nothing is written.
   * - Bytes are consumed with backpressure; memory stays bounded regardless of size.
   * - If `data` throws or `signal` aborts midway, the bytes already made durable count: the
   *   method rejects, and a later {@link info} reports exactly the durable offset so the client
   *   can resume. Nothing beyond that offset is ever reported.
   * - Never writes past `uploadLength` when it is known (`TOO_LARGE`, nothing extra written).
   * - Callers serialize appends per file with a {@link Locker}; a store may additionally
   *   refuse a concurrent append with `UPLOAD_LOCKED`.
   */
  append(
    ref: FileRef,
    data: AsyncIterable<Uint8Array>,
    offset: number,
    options?: AppendOptions,
  ): Promise<number>

  /**
   * Finalizes an upload whose offset equals its length (S3: CompleteMultipartUpload; FS: flush
   * per its durability policy) and marks it complete. Idempotent: calling it on a complete file
   * returns its metadata. `INVALID_INPUT` if bytes are still missing.
   */
  complete(ref: FileRef): Promise<FileMeta>

  /**
   * Streams the file's bytes (or the inclusive `range`). Resolves once the data is known to
   * exist (`NOT_FOUND` otherwise) and the stream is ready; breaking out of the iteration or
   * aborting `signal` releases the underlying handle at once.
   */
  read(ref: FileRef, options?: ReadOptions): Promise<AsyncIterable<Uint8Array>>

  /**
   * Optional: reads into buffers the caller owns, with the same existence checks as {@link read}.
   * A server sends a download from a few recycled buffers this way instead of allocating one per
   * chunk, which on V8 turns into a garbage collection every few chunks with parallel downloads.
   * The caller closes the reader.
   */
  openReader?(ref: FileRef): Promise<FileReader>

  /** Deletes data, metadata and any store-side state (multipart uploads, tails). `NOT_FOUND` if missing. */
  delete(ref: FileRef): Promise<void>

  /**
   * Enumerates files (all, or one bucket) without reading their data, for listings, the admin
   * view and the expiry sweeper. Damaged entries (garbage metadata, data without metadata) are
   * skipped, never thrown.
   */
  list(options?: ListOptions): AsyncIterable<FileMeta>

  /**
   * Atomically claims a one-shot action on a file (a one-time download). Resolves `true` for
   * exactly one caller across all processes sharing the storage, `false` for everyone else,
   * until {@link releaseClaim} is called. `NOT_FOUND` if the file does not exist.
   */
  claim(ref: FileRef): Promise<boolean>

  /** Gives a claim back (the claimed download failed). No-op if not claimed. */
  releaseClaim(ref: FileRef): Promise<void>

  /**
   * Optional: a time-limited URL from which the client downloads the file directly (S3
   * presigned GET, Azure SAS). The method's presence is the capability: a store that cannot
   * sign URLs (or, like Azure with a SAS-token connection, not with its credentials) leaves it
   * out, and the server serves the bytes itself.
   */
  downloadUrl?(ref: FileRef, options: DownloadUrlOptions): Promise<string>

  /**
   * Optional: uploads whose bytes go straight to the storage (see {@link DirectUpload}). Its
   * presence is the capability, as with {@link downloadUrl}.
   */
  readonly directUpload?: DirectUpload

  /**
   * Housekeeping for state only this store can see, left behind by crashes or abandoned
   * uploads (S3: orphaned multipart uploads, objects without metadata). The server's retention
   * sweeper calls it after deleting expired files; it resolves with a report for the log.
   */
  sweep?(options: { now: number }): Promise<unknown>

  /** Releases connections and timers. */
  close?(): Promise<void>
}

/** Collects {@link Store.list} into an array (convenience for small listings and tests). */
export async function listAll(store: Store, options?: ListOptions): Promise<FileMeta[]> {
  const out: FileMeta[] = []
  for await (const m of store.list(options)) out.push(m)
  return out
}
