/**
 * The conformance kit's test catalog and the context its suites share.
 * @module
 */
import type { FileRef } from '../ids.js'
import type { Store } from '../store.js'

/**
 * Direct access to a store's backing storage, so the kit checks what was really persisted
 * instead of trusting round trips through the store itself.
 */
export interface StoreProbe {
  /**
   * The bytes durably persisted for `ref` (for multipart stores: parts and tail, in order),
   * an empty array for an existing upload without bytes, `null` when nothing exists for it.
   */
  readData(ref: FileRef): Promise<Uint8Array | null>
  /**
   * The persisted metadata record for `ref`, decoded to whatever shape the store writes (the
   * kit only looks for marker strings in it), or `null` when absent.
   */
  readMeta(ref: FileRef): Promise<unknown | null>
  /** Persisted byte count without reading the data; used for big files when present. */
  dataSize?(ref: FileRef): Promise<number | null>
}

/** Every test of the kit: stable id → what it checks. Skips name these ids. */
export const CONFORMANCE_TESTS = {
  'store.shape': 'declares its type; downloadUrl, if present, is a method',
  'create.round-trip': 'create returns the full record, info returns the same, and it is persisted',
  'create.duplicate': 'create of an existing file fails with INVALID_INPUT and changes nothing',
  'meta.isolation': 'mutating inputs or returned records never changes stored state',
  'update.round-trip': 'update merges the patch, keeps identity and byte state, and persists it',
  'missing.not-found': 'every operation on a missing file fails with NOT_FOUND and creates nothing',
  'append.sequential': 'append at 0 and at the current offset stores exactly the bytes sent',
  'append.offset-mismatch': 'append at a wrong offset fails with OFFSET_MISMATCH and writes nothing',
  'append.source-error':
    'a source that throws midway leaves a consistent offset; resuming completes byte-exact',
  'append.abort': 'aborting midway leaves a consistent offset; resuming completes byte-exact',
  'append.abort-stalled': 'aborting while the source is stalled rejects promptly',
  'append.pre-aborted': 'an already aborted signal writes nothing',
  'append.too-large': 'appending beyond uploadLength fails with TOO_LARGE and writes nothing past it',
  'append.deferred-length': 'deferred length: append, declare the length with update, then finish',
  'append.concurrent': 'concurrent appends at one offset: at most one succeeds, bytes never interleave',
  'complete.idempotent': 'complete refuses while bytes are missing and is idempotent',
  'complete.after-crash':
    'an upload whose append reached the length but whose complete never ran (instance dropped) completes, idempotently, from a new instance and reads byte-exact',
  'read.ranges': 'ranged reads return exactly the inclusive range',
  'read.bad-ranges': 'unsatisfiable ranges fail with RANGE_NOT_SATISFIABLE',
  'read.early-break': 'breaking out of a read releases it and the file stays usable',
  'read.abort': 'aborting a read stops it before the end',
  'read.reader': 'openReader, if the store has it, reads what read does into the given buffers',
  'zero-byte': 'a zero-byte file can be created, completed, read and deleted',
  delete: 'delete removes data and metadata and leaves other files alone',
  'delete.missing': 'deleting a missing file fails with NOT_FOUND',
  'delete.incomplete': 'an upload can be deleted midway and its id reused from scratch',
  list: 'list enumerates all files or one bucket, with expiry',
  claim: 'exactly one of 10 parallel claims wins until the claim is released',
  'ids.parsers': 'id parsers reject hostile ids',
  'ids.forged-refs': 'forged refs with hostile ids are rejected by every operation',
  'ids.traversal': 'traversal through forged refs never reaches an existing file or creates a sibling',
  'big-file.stream': 'a big file streams in and out byte-exact in one append',
  'big-file.rss': 'memory stays flat while the big file streams',
} as const

export type ConformanceTestId = keyof typeof CONFORMANCE_TESTS

export interface SuiteContext {
  /** The store under test (created in `beforeAll`). */
  store(): Store
  probe: StoreProbe
  bigFileBytes: number
  rssBoundBytes: number
  bigFileTimeoutMs: number
  /**
   * A second instance on the same backing storage (what a restarted process builds); the kit
   * closes it after the test. Absent when the store did not provide `reopen`.
   */
  reopen?: () => Promise<Store>
  /** Registers test `id` (or its skip); `timeoutMs` overrides the kit's default. */
  test(id: ConformanceTestId, fn: () => Promise<void>, timeoutMs?: number): void
}
