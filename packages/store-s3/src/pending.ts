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
import type { Reservation } from './budget.js'
import type { StoreContext } from './context.js'
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

/** Takes the pending part of `id` out of the store (the caller adopts or discards it). */
export function takePending(ctx: StoreContext, id: string): PendingPart | undefined {
  const p = ctx.pendingParts.get(id)
  if (p) ctx.pendingParts.delete(id)
  return p
}

/**
 * Aborts a streamed part's request (before its last byte, so S3 never stores it); `buf` goes
 * back to the pool only once the request no longer reads it.
 */
export function abandonPart(
  ctx: StoreContext,
  part: { abort: AbortController; feed: PartFeed; done: Promise<unknown> },
  buf: Uint8Array,
): void {
  part.abort.abort()
  part.feed.destroy()
  const give = () => ctx.buffers.give(buf)
  void part.done.then(give, give)
}

/** Aborts a pending part's upload and frees its memory. */
export function discardPending(ctx: StoreContext, p: PendingPart): void {
  p.res.release()
  abandonPart(ctx, p, p.buf)
}

export function dropPending(ctx: StoreContext, id: string): void {
  const p = takePending(ctx, id)
  if (p) discardPending(ctx, p)
}

/** Frees at least `needed` bytes of pending parts (oldest first), for uploads waiting for memory. */
export function evictPending(ctx: StoreContext, needed: number): void {
  let freed = 0
  for (const id of [...ctx.pendingParts.keys()]) {
    if (freed >= needed) break
    const p = takePending(ctx, id)
    if (!p) continue
    freed += p.res.size
    discardPending(ctx, p)
  }
}
