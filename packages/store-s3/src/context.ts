/**
 * What the store's parts share: the SDK layer, key layout, memory budget, tail cache, locks and
 * the lock sessions this process holds.
 * @module
 */
import type { BufferPool, ByteBudget } from './budget.js'
import type { S3StoreConfig } from './config.js'
import type { KeyLayout } from './keys.js'
import type { LockHandle, S3LockManager } from './locks.js'
import type { S3State, StoredMeta } from './meta-codec.js'
import type { S3Io } from './s3-io.js'
import type { UploadState } from './state.js'
import type { TailCache } from './tail-cache.js'

export interface Loaded {
  meta: StoredMeta
  state: UploadState
}

/**
 * An upload lock held by this process (through {@link S3Locker} or taken by the store itself).
 * While it is held nobody else writes the upload, so its derived state can be cached.
 */
export interface Session {
  handle: LockHandle
  loaded?: Loaded
  /** State being read while the lock was being taken (see S3LockManager.tryAcquire). */
  loading?: Promise<Loaded>
  /** The upload was deleted while the lock was held: the lock object goes too. */
  deleted: boolean
}

export interface Logger {
  warn(obj: unknown, msg?: string): void
}

export interface StoreContext {
  config: S3StoreConfig
  io: S3Io
  keys: KeyLayout
  budget: ByteBudget
  buffers: BufferPool
  tails: TailCache
  locks: S3LockManager
  sessions: Map<string, Session>
  /** Lock releases still being written, by `sid/key`: taking the lock again waits for them. */
  releasing: Map<string, Promise<void>>
  /** Upload identities (incarnation, upload id, part size) seen by this process, by `sid/key`. */
  known: Map<string, S3State>
  logger: Logger
}

/** Maximum tail segments before an append rewrites them as one. */
export const MAX_TAIL_SEGMENTS = 16
