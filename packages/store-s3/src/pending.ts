/**
 * The next part, started before its PATCH arrives: when a PATCH leaves a tail and the upload's
 * PATCHes arrive here in a row (S3Locker keeps the lock between them), the tail's buffer is kept
 * as the start of the next part, whose upload begins with the tail's bytes as soon as the PATCH
 * has received them (while its tail segment and parts are still uploading), so the next PATCH
 * only has to send what it adds. The part cannot complete before the next PATCH
 * fills it; whenever that does not happen (the lock is released, another request comes first,
 * memory is needed), the upload is aborted before its last byte and S3 never stores it. The
 * tail itself is a segment in S3 as always, so nothing here is needed for durability.
 * @module
 */
import type { BufferPool, Reservation } from './budget.js'
import type { PartFeed } from './part-feed.js'

export interface PendingPart {
  uploadId: string
  partNumber: number
  /** Upload offset of the part's first byte. */
  start: number
  /** Signature of the tail the buffer holds (see tailSignature). */
  signature: string
  buf: Uint8Array
  res: Reservation
  feed: PartFeed
  abort: AbortController
  done: Promise<string>
}

/** The pending next part of each upload, by `sid/key` (at most one per upload). */
export class PendingParts {
  readonly #parts = new Map<string, PendingPart>()

  constructor(private readonly buffers: BufferPool) {}

  /** Keeps `part` as the next part of `id` (the caller made sure none is pending). */
  set(id: string, part: PendingPart): void {
    this.#parts.set(id, part)
  }

  /** Takes the pending part of `id` out (the caller adopts or discards it). */
  take(id: string): PendingPart | undefined {
    const p = this.#parts.get(id)
    if (p) this.#parts.delete(id)
    return p
  }

  /**
   * Aborts a streamed part's request (before its last byte, so S3 never stores it); `buf` goes
   * back to the pool only once the request no longer reads it.
   */
  abandon(part: { abort: AbortController; feed: PartFeed; done: Promise<unknown> }, buf: Uint8Array): void {
    part.abort.abort()
    part.feed.destroy()
    const give = () => this.buffers.give(buf)
    void part.done.then(give, give)
  }

  /** Aborts a pending part's upload and frees its memory. */
  discard(p: PendingPart): void {
    p.res.release()
    this.abandon(p, p.buf)
  }

  drop(id: string): void {
    const p = this.take(id)
    if (p) this.discard(p)
  }

  /** Frees at least `needed` bytes of pending parts (oldest first), for uploads waiting for memory. */
  evict(needed: number): void {
    let freed = 0
    for (const id of [...this.#parts.keys()]) {
      if (freed >= needed) break
      const p = this.take(id)
      if (!p) continue
      freed += p.res.size
      this.discard(p)
    }
  }

  dropAll(): void {
    for (const id of [...this.#parts.keys()]) this.drop(id)
  }
}
