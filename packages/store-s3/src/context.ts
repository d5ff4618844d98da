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
import { dropPending, type PendingPart } from './pending.js'
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
  /** S3Locker keeps this lock for a moment after its release (PATCHes arriving in a row). */
  lingers?: boolean
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
  /**
   * Locks kept for a moment after their release (see S3Locker's `lingerMs`), by `sid/key`:
   * the next PATCH of the same upload on this instance reuses them without asking S3.
   */
  lingering: Map<string, { session: Session; timer: NodeJS.Timeout }>
  /**
   * Segments whose bytes are now in acknowledged parts, not deleted yet, by `sid/key`: they are
   * deleted in batches (derivation ignores them meanwhile), saving a request on most PATCHes.
   */
  absorbed: Map<string, string[]>
  /** Lock releases still being written, by `sid/key`: taking the lock again waits for them. */
  releasing: Map<string, Promise<void>>
  /**
   * Bytes the last successful PATCH of an upload brought on this instance, by `sid/key`: the
   * next one is expected to bring as many (whether it fills the part it starts; see AppendRun).
   */
  appendSizes: Map<string, number>
  /** Next parts already uploading their tail bytes, by `sid/key` (see pending.ts). */
  pendingParts: Map<string, PendingPart>
  /** Upload identities (incarnation, upload id, part size) seen by this process, by `sid/key`. */
  known: Map<string, S3State & { complete: boolean }>
  logger: Logger
}

/** Uploads whose PATCH size is remembered (oldest forgotten first). */
const APPEND_SIZES_LIMIT = 10_000

export function rememberAppendSize(ctx: StoreContext, id: string, bytes: number | undefined): void {
  ctx.appendSizes.delete(id)
  if (bytes === undefined) return
  if (ctx.appendSizes.size >= APPEND_SIZES_LIMIT) {
    const oldest = ctx.appendSizes.keys().next().value
    if (oldest !== undefined) ctx.appendSizes.delete(oldest)
  }
  ctx.appendSizes.set(id, bytes)
}

/** Maximum tail segments before an append rewrites them as one. */
export const MAX_TAIL_SEGMENTS = 16

/** Writes a session's lock release in the background; taking the lock again waits for it. */
export function releaseInBackground(ctx: StoreContext, id: string, session: Session): void {
  dropPending(ctx, id)
  const done: Promise<void> = session.handle
    .release({ deleted: session.deleted })
    .catch(() => {})
    .finally(() => {
      if (ctx.releasing.get(id) === done) ctx.releasing.delete(id)
    })
  ctx.releasing.set(id, done)
}

/** Takes a lingering lock of `id` out of the waiting room (a lost one is released instead). */
export function takeLingering(ctx: StoreContext, id: string): Session | undefined {
  const kept = ctx.lingering.get(id)
  if (!kept) return undefined
  clearTimeout(kept.timer)
  ctx.lingering.delete(id)
  if (kept.session.handle.lost.aborted) {
    releaseInBackground(ctx, id, kept.session)
    return undefined
  }
  return kept.session
}

/** Releases every lingering lock and waits for all releases (shutdown). */
export async function releaseAll(ctx: StoreContext): Promise<void> {
  for (const id of [...ctx.lingering.keys()]) {
    const session = takeLingering(ctx, id)
    if (session) releaseInBackground(ctx, id, session)
  }
  await Promise.all(ctx.releasing.values())
}

/** Batch size for deleting absorbed segments. */
export const ABSORBED_BATCH = 32

/** Deletes the absorbed segments of `id` (all of them, or only once a batch is full). */
export function flushAbsorbed(ctx: StoreContext, id: string, force: boolean): Promise<void> | undefined {
  const keys = ctx.absorbed.get(id)
  if (!keys || keys.length === 0 || (!force && keys.length < ABSORBED_BATCH)) return undefined
  ctx.absorbed.delete(id)
  return ctx.io
    .deleteMany(keys)
    .catch((err) => ctx.logger.warn({ err }, 'could not delete old tail segments'))
}
