/**
 * What the store's parts share: the SDK layer, key layout, memory budget, tail cache, locks,
 * the lock sessions this process holds and what PATCHes carry over to the next.
 * @module
 */
import type { BufferPool, ByteBudget } from './budget.js'
import type { CarryOver } from './carry-over.js'
import type { S3StoreConfig } from './config.js'
import type { KeyLayout } from './keys.js'
import type { S3LockManager } from './locks.js'
import type { S3State } from './meta-codec.js'
import type { S3Io } from './s3-io.js'
import type { LockSessions } from './sessions.js'
import type { TailCache } from './tail-cache.js'

export interface Logger {
  warn(obj: unknown, msg?: string): void
}

/** The internals of one S3Store (not core's `StoreContext`, which a definition's `create` gets). */
export interface S3Context {
  config: S3StoreConfig
  io: S3Io
  keys: KeyLayout
  budget: ByteBudget
  buffers: BufferPool
  tails: TailCache
  locks: S3LockManager
  sessions: LockSessions
  carry: CarryOver
  /** Upload identities (incarnation, upload id, part size) seen by this process, by `sid/key`. */
  known: Map<string, S3State & { complete: boolean }>
  logger: Logger
}

/** Maximum tail segments before an append rewrites them as one. */
export const MAX_TAIL_SEGMENTS = 16
