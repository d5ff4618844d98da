/**
 * Tail bytes this process wrote most recently, per upload, so the next PATCH on this instance
 * combines them with new bytes without downloading them again. Entries live inside the memory
 * budget and are the first thing evicted when uploads need memory. The cache is only an
 * optimisation: an entry is used only if the tail S3 holds is exactly the one it describes.
 * @module
 */
import type { ByteBudget, Reservation } from './budget.js'
import type { TailPiece } from './state.js'

interface Entry {
  signature: string
  bytes: Uint8Array
  reservation: Reservation
}

export interface TakenTail {
  bytes: Uint8Array
  release(): void
}

export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '')
}

/** Identity of a tail as S3 holds it (segment keys, ETags and used slices). */
export function tailSignature(tail: readonly TailPiece[]): string {
  return tail.map((p) => `${p.key}@${normalizeEtag(p.etag)}#${p.skip}-${p.size}`).join('|')
}

export class TailCache {
  readonly #entries = new Map<string, Entry>()

  constructor(private readonly budget: ByteBudget) {
    budget.evict = (needed) => this.evict(needed)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Caches a copy of `bytes` if the budget has room right now; otherwise forgets the upload's entry. */
  put(id: string, signature: string, bytes: Uint8Array): void {
    this.drop(id)
    if (bytes.byteLength === 0) return
    // Room may come from older cached tails, never from parts that uploads have in flight.
    const reservation = this.budget.tryAcquire(bytes.byteLength, (needed) => this.evict(needed))
    if (!reservation) return
    this.#entries.set(id, { signature, bytes: Uint8Array.prototype.slice.call(bytes), reservation })
  }

  /** Removes and returns the entry when it matches `signature` (the caller releases it). */
  take(id: string, signature: string): TakenTail | undefined {
    const e = this.#entries.get(id)
    if (!e) return undefined
    this.#entries.delete(id)
    if (e.signature !== signature) {
      e.reservation.release()
      return undefined
    }
    return { bytes: e.bytes, release: () => e.reservation.release() }
  }

  drop(id: string): void {
    const e = this.#entries.get(id)
    if (!e) return
    this.#entries.delete(id)
    e.reservation.release()
  }

  /** Frees at least `needed` bytes, oldest entries first (or everything there is). */
  evict(needed: number): void {
    let freed = 0
    for (const [id, e] of this.#entries) {
      if (freed >= needed) break
      freed += e.reservation.size
      this.#entries.delete(id)
      e.reservation.release()
    }
  }

  clear(): void {
    this.evict(Number.POSITIVE_INFINITY)
  }
}
