/**
 * Where an upload's bytes are, derived from S3 alone (never from a counter), so any instance
 * can continue an upload: the contiguous run of full parts from part 1, then a chain of tail
 * segments starting where the parts end. Anything else (parts after a gap, segments from a
 * failed attempt, objects of an older incarnation) is ignored and cleaned up later.
 * @module
 */
import { MAX_PARTS } from './config.js'

/** A part S3 holds for the multipart upload. */
export interface PartInfo {
  partNumber: number
  etag: string
  size: number
}

/** A tail segment object as listed. */
export interface SegmentInfo {
  key: string
  /** Upload offset of its first byte. */
  base: number
  size: number
  etag: string
}

/** The slice of a segment that belongs to the tail: bytes `[base + skip, base + size)`. */
export interface TailPiece extends SegmentInfo {
  skip: number
}

export interface UploadState {
  /** Durable bytes. */
  offset: number
  /**
   * Size of this upload's parts (all but a final one): part 1's size once it exists, else the
   * size the next part will have (see {@link effectivePartSize}).
   */
  partSize: number
  /** Valid parts 1..n (all `partSize` except possibly a final one ending at the upload length). */
  parts: PartInfo[]
  partsBytes: number
  /** Tail pieces in order, covering `[partsBytes, offset)` (or `[0, offset)` without multipart). */
  tail: TailPiece[]
  /** The data object already holds the whole file (written or completed, not yet marked complete). */
  dataComplete: boolean
  /** Segment keys that are not part of the tail (stale or failed attempts). */
  garbage: string[]
}

export interface DeriveInput {
  uploadLength: number | null
  /** The part size in the metadata (fixed at creation): the largest part this upload may have. */
  partSize: number
  /**
   * Smallest part size the upload may switch to while it has no part yet (S3's 5 MiB);
   * absent: no switching (see {@link effectivePartSize}).
   */
  minPartSize?: number
  /** Parts of the multipart upload, `undefined` without one. */
  parts?: readonly PartInfo[]
  segments: readonly SegmentInfo[]
  dataComplete: boolean
}

export function tailBytes(tail: readonly TailPiece[]): number {
  return tail.reduce((n, p) => n + p.size - p.skip, 0)
}

/**
 * The part size of an upload. Once part 1 exists, its size (parts are equal but the last, as
 * R2 requires). Before that the choice is still free: an upload of known length whose first
 * PATCH ended below a part takes the smallest size that holds the bytes buffered so far,
 * `max(minPartSize, offset, length / 10,000)`, capped at the metadata's size (which a first
 * PATCH of at least a part, with nothing buffered, keeps). For a client
 * sending chunks of c bytes this is c (c ≥ 5 MiB: every PATCH becomes exactly one part) or
 * 5 MiB (smaller chunks), which minimises the bytes a tail segment holds and a part sends again.
 * Deferred lengths keep the metadata's size (the 10,000-part limit must cover any length).
 */
export function effectivePartSize(input: {
  uploadLength: number | null
  partSize: number
  minPartSize?: number | undefined
  /** Valid parts from part 1. */
  parts: readonly PartInfo[]
  offset: number
}): number {
  const { uploadLength: L, partSize: max, minPartSize: min } = input
  const first = input.parts[0]
  if (first) return first.size
  // Nothing buffered yet: a first PATCH of at least a part cuts parts of the metadata's size.
  if (min === undefined || L === null || min >= max || input.offset === 0) return max
  return Math.min(max, Math.max(min, input.offset, Math.ceil(L / MAX_PARTS)))
}

export function deriveState(input: DeriveInput): UploadState {
  const { uploadLength: L, partSize: max } = input
  if (input.dataComplete && L !== null) {
    return {
      offset: L,
      partSize: max,
      parts: [],
      partsBytes: 0,
      tail: [],
      dataComplete: true,
      garbage: input.segments.map((s) => s.key),
    }
  }
  const parts: PartInfo[] = []
  let partsBytes = 0
  const sorted = [...(input.parts ?? [])].sort((a, b) => a.partNumber - b.partNumber)
  // Part 1 fixes the size of the others unless it is the final one (only an adaptive upload
  // has a non-final part smaller than the metadata's size; larger ones are invalid).
  const p1 = sorted[0]
  const S =
    p1?.partNumber === 1 && p1.size > 0 && p1.size < max && !(L !== null && p1.size === L) ? p1.size : max
  for (const p of sorted) {
    if (p.partNumber !== parts.length + 1) break
    const end = partsBytes + p.size
    if (L !== null && end > L) break
    const full = p.size === S
    const final = L !== null && end === L && p.size > 0 && p.size <= S
    if (!full && !final) break
    parts.push(p)
    partsBytes = end
    if (!full) break
  }

  // Tail: greedy interval cover from where the parts end, never past the length or one part
  // (before part 1, a part of the metadata's size: the size is chosen from the tail).
  const start = partsBytes
  const limit = Math.min(
    L ?? Number.POSITIVE_INFINITY,
    input.parts ? start + (parts.length > 0 ? S : max) : Number.POSITIVE_INFINITY,
  )
  const tail: TailPiece[] = []
  const used = new Set<string>()
  let cursor = start
  if (!(L !== null && partsBytes === L)) {
    for (;;) {
      let best: SegmentInfo | undefined
      for (const s of input.segments) {
        const end = s.base + s.size
        if (
          s.size > 0 &&
          s.base <= cursor &&
          end > cursor &&
          end <= limit &&
          (!best || end > best.base + best.size)
        )
          best = s
      }
      if (!best) break
      tail.push({ ...best, skip: cursor - best.base })
      used.add(best.key)
      cursor = best.base + best.size
    }
  }
  const garbage = input.segments.filter((s) => !used.has(s.key)).map((s) => s.key)
  const partSize = input.parts
    ? effectivePartSize({
        uploadLength: L,
        partSize: max,
        minPartSize: input.minPartSize,
        parts,
        offset: cursor,
      })
    : max
  return { offset: cursor, partSize, parts, partsBytes, tail, dataComplete: false, garbage }
}
