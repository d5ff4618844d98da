/**
 * What one PATCH of an upload leaves on this instance for the next one, apart from the lock
 * (sessions.ts) and the tail bytes (tail-cache.ts): the next part already uploading (pending.ts),
 * how many bytes the PATCH brought (the next is expected to bring as many), and the tail
 * segments its parts absorbed, deleted in batches. All of it is an optimization: losing it
 * costs requests, never data.
 * @module
 */
import type { BufferPool } from './budget.js'
import { PendingParts } from './pending.js'
import type { S3Io } from './s3-io.js'

/** Uploads whose PATCH size is remembered (oldest forgotten first). */
const APPEND_SIZES_LIMIT = 10_000

/** Batch size for deleting absorbed segments. */
export const ABSORBED_BATCH = 32

export class CarryOver {
  /** Next parts already uploading their tail bytes, by `sid/key`. */
  readonly pending: PendingParts
  /**
   * Bytes the last successful PATCH of an upload brought on this instance, by `sid/key`: the
   * next one is expected to bring as many (whether it fills the part it starts; see AppendRun).
   */
  readonly #appendSizes = new Map<string, number>()
  /**
   * Segments whose bytes are now in acknowledged parts, not deleted yet, by `sid/key`: they are
   * deleted in batches (derivation ignores them meanwhile), saving a request on most PATCHes.
   */
  readonly #absorbed = new Map<string, string[]>()

  constructor(
    buffers: BufferPool,
    private readonly io: S3Io,
    private readonly warn: (obj: unknown, msg: string) => void,
  ) {
    this.pending = new PendingParts(buffers)
  }

  /** Bytes the last PATCH of `id` brought here, if known. */
  expectedSize(id: string): number | undefined {
    return this.#appendSizes.get(id)
  }

  /** Remembers what a PATCH brought (`undefined`: it failed, predict nothing). */
  rememberAppendSize(id: string, bytes: number | undefined): void {
    this.#appendSizes.delete(id)
    if (bytes === undefined) return
    if (this.#appendSizes.size >= APPEND_SIZES_LIMIT) {
      const oldest = this.#appendSizes.keys().next().value
      if (oldest !== undefined) this.#appendSizes.delete(oldest)
    }
    this.#appendSizes.set(id, bytes)
  }

  /** Queues segments of `id` whose bytes are in acknowledged parts for a batched delete. */
  absorb(id: string, keys: readonly string[]): void {
    const queued = this.#absorbed.get(id) ?? []
    queued.push(...keys)
    this.#absorbed.set(id, queued)
    void this.flushAbsorbed(id, false)
  }

  /** Takes the absorbed segments of `id` out of the queue (their deletion is the caller's). */
  takeAbsorbed(id: string): string[] {
    const keys = this.#absorbed.get(id) ?? []
    this.#absorbed.delete(id)
    return keys
  }

  /** Deletes the absorbed segments of `id` (all of them, or only once a batch is full). */
  flushAbsorbed(id: string, force: boolean): Promise<void> | undefined {
    const keys = this.#absorbed.get(id)
    if (!keys || keys.length === 0 || (!force && keys.length < ABSORBED_BATCH)) return undefined
    this.#absorbed.delete(id)
    return this.io.deleteMany(keys).catch((err) => this.warn({ err }, 'could not delete old tail segments'))
  }

  /** The upload is complete or deleted: nothing carries over any more (absorbed keys are the caller's). */
  forget(id: string): void {
    this.pending.drop(id)
    this.#absorbed.delete(id)
    this.#appendSizes.delete(id)
  }

  /** Shutdown: aborts pending parts and deletes every absorbed segment. */
  async close(): Promise<void> {
    this.pending.dropAll()
    await Promise.all([...this.#absorbed.keys()].map((id) => this.flushAbsorbed(id, true)))
  }
}
