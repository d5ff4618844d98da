/**
 * Inputs and outputs of the TUS 1.0.0 state machine ({@link handleTus}). Plain data and Web
 * types only: the HTTP adapter turns its framework's request into a {@link TusRequest} and
 * writes the {@link TusResponse} back.
 * @module
 */
import type { Clock } from '../clock.js'
import type { FileRef } from '../ids.js'
import type { Locker } from '../locker.js'
import type { ConcatRole, FileMeta, NewFile } from '../meta.js'
import type { Store } from '../store.js'

/**
 * Read access to request headers, by lower-case name (`null` when absent). A Web `Headers`
 * object is one; an adapter may pass a lighter view of its framework's headers.
 */
export interface TusHeaders {
  get(name: string): string | null
}

export interface TusRequest {
  /** HTTP method as received (the machine applies `X-HTTP-Method-Override`). */
  method: string
  /** Upload id from the URL (`sid++key`); `undefined` for the collection endpoint (POST/OPTIONS). */
  id?: string
  headers: TusHeaders
  /** Request body; `null`/`undefined` for requests without one. */
  body?: AsyncIterable<Uint8Array> | null
  /** Fires when the client goes away. */
  signal?: AbortSignal
  /**
   * Absolute or root-relative URL of the collection endpoint ending in `/`, e.g.
   * `https://example.com/files/`. `Location` headers are built from it.
   */
  endpoint: string
}

export interface TusResponse {
  status: number
  headers: Record<string, string>
  /** Short plain-text body (errors); empty for success. */
  body: string
}

/** What {@link TusHooks.onCreate} receives. */
export interface CreateInput {
  /** Decoded `Upload-Metadata` (values as UTF-8 strings; keys without value map to `''`). */
  metadata: Record<string, string>
  /** `Upload-Length`, or `null` with `Upload-Defer-Length: 1`. */
  uploadLength: number | null
  concat?: ConcatRole
  request: TusRequest
}

/** Everything of a new file except what the machine decides itself (key, length, concat). */
export type CreateDecision = Omit<NewFile, 'key' | 'uploadLength' | 'concat'>

export interface TusHooks {
  /**
   * Validates the upload's metadata and decides its record (bucket id, name, retention, expiry,
   * password hash…) before anything is stored. Throw a {@link PsiError} to refuse
   * (`INVALID_INPUT`/`INVALID_NAME` → 400, `TOO_LARGE` → 413, `BUCKET_LOCKED`, …).
   */
  onCreate(input: CreateInput): Promise<CreateDecision> | CreateDecision
  /**
   * Authorizes every request that touches an upload (and creation, with `ref` undefined).
   * Throw `UNAUTHORIZED`/`FORBIDDEN` to refuse. OPTIONS is never authorized (CORS preflight).
   */
  authorize?(request: TusRequest, ref: FileRef | undefined): Promise<void> | void
  /**
   * Called right after the store created an upload's record (POST), before any of its data is
   * written; for a whole small file (`wholeFileMax`), once the store has it with its data. For
   * bookkeeping that must see exactly the files that exist (a reservation made by `onCreate`
   * may be held until then); errors are reported via `onError` and do not fail the request.
   */
  onCreated?(meta: FileMeta): void
  /** Called once per upload, after the store finalized it. Errors are reported via `onError`. */
  onComplete?(meta: FileMeta): Promise<void> | void
  /** Called after a successful termination. */
  onTerminate?(meta: FileMeta): Promise<void> | void
  /** Errors from hooks that must not fail the request (e.g. `onComplete`). */
  onError?(err: unknown): void
  /** Bytes accepted by a PATCH (or creation-with-upload), for metrics. */
  onBytes?(count: number): void
  /**
   * The largest total length an upload whose length is deferred may reach, besides
   * `limits.maxSize` (say the room left in its bucket); `null` = no further limit. Asked before
   * every PATCH of such an upload, whose body is cut off there (413), and checked against the
   * `Upload-Length` it declares.
   */
  maxDeferredLength?(meta: FileMeta): Promise<number | null> | number | null
}

export interface TusLimits {
  /** `Tus-Max-Size`: largest upload accepted, in bytes. `null`/undefined = unlimited. */
  maxSize?: number | null
  /**
   * Chunks carrying `Upload-Checksum` are held in memory until verified (so a bad chunk is never
   * persisted). Larger checksummed chunks are refused with 413. Default 64 MiB (and never more
   * than the {@link TusDeps.checksumBudget}'s capacity).
   */
  maxChecksumChunk?: number
  /**
   * How long a checksummed chunk waits for room in the {@link TusDeps.checksumBudget} before
   * the request is answered 503 with `Retry-After` (clients retry). Default 3000.
   */
  checksumWaitMs?: number
  /**
   * A checksummed chunk holds its reservation while its body arrives, so it must arrive within
   * `checksumGraceMs + size / checksumMinRate` (bytes per second), else the request ends with
   * 408 and nothing of it is kept: a client trickling huge chunks cannot hold the budget of
   * others for long. Defaults 15000 ms and 65536 B/s (a 64 MiB chunk gets 17 minutes).
   */
  checksumGraceMs?: number
  checksumMinRate?: number
  /**
   * How long a PATCH waits for another request's lock on the same upload before 423, and a
   * HEAD for a write in flight before it answers from the durable state. Default 3000.
   */
  lockWaitMs?: number
  /**
   * Most uploads one `Upload-Concat: final` may list (more → 400). Default 100. Each part may
   * be listed once and feeds one final upload only; the final counts against `maxSize`.
   */
  maxConcatParts?: number
  /**
   * How long a HEAD (or `completeIfFull`) waits for the lock of an upload whose bytes are all
   * there but that was never completed (its process died between the last append and the
   * completion) before answering 423 with `Retry-After`: it must complete the upload before it
   * may report the full offset. Long enough for a crashed instance's lock to expire. Default
   * 10000 (never less than `lockWaitMs`).
   */
  completeWaitMs?: number
  /**
   * A creation carrying a whole file of at most this many bytes (`Content-Length` equal to
   * `Upload-Length`, no checksum) is stored in one go through `Store.createComplete` when the
   * store has it: no lock, no state read back (S3: two PUTs instead of eleven requests). Such a
   * file is all or nothing: cut midway, it does not exist and the client sends it again, so the
   * bound keeps what a failure costs small. Its bytes are read into memory before `onCreate`
   * (a refused one costs at most this much). Default 1 MiB; 0 turns the path off.
   */
  wholeFileMax?: number
}

/**
 * Streaming digest, injected so the server can use a native implementation. `update` receives
 * views into the machine's buffer of the chunk, which stays unchanged until `digest` resolved.
 */
export interface Hasher {
  update(chunk: Uint8Array): void
  digest(): Promise<Uint8Array>
}

/** Bytes held for one checksummed chunk; give them back with `release` (idempotent). */
export interface ChecksumReservation {
  readonly size: number
  release(): void
}

/**
 * The memory all checksummed chunks may buffer at once, shared by every request of a process:
 * a request reserves the most its chunk can take before reading it. Core's implementation is
 * {@link MemoryChecksumBudget}.
 */
export interface ChecksumBudget {
  /** Total bytes. Checksummed chunks are limited to this size too. */
  readonly capacity: number
  /**
   * Reserves `size` (≤ `capacity`) bytes, waiting up to `waitMs`. Resolves to `null` when the
   * bytes did not become free in time; rejects with `ABORTED` when `signal` fires.
   */
  reserve(
    size: number,
    options: { waitMs: number; signal?: AbortSignal },
  ): Promise<ChecksumReservation | null>
}

export interface TusDeps {
  store: Store
  locker: Locker
  clock: Clock
  hooks: TusHooks
  limits?: TusLimits
  /**
   * Hash factories by TUS algorithm name (`sha1`, `sha256`, …). Defaults to Web Crypto for sha1,
   * sha256, sha384 and sha512.
   */
  checksums?: Record<string, () => Hasher>
  /**
   * Memory budget of checksummed chunks. Default: one {@link MemoryChecksumBudget} of 256 MiB
   * shared by every machine of the process that is given none.
   */
  checksumBudget?: ChecksumBudget
}
