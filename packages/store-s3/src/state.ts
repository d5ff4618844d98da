/**
 * Where an upload's bytes are, derived from S3 alone (never from a counter), so any instance
 * can continue an upload: the contiguous run of full parts from part 1, then a chain of tail
 * segments starting where the parts end. Anything else (parts after a gap, segments from a
 * failed attempt, objects of an older incarnation) is ignored and cleaned up later.
 * @module
 */

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
  partSize: number
  /** Parts of the multipart upload, `undefined` without one. */
  parts?: readonly PartInfo[]
  segments: readonly SegmentInfo[]
  dataComplete: boolean
}

export function tailBytes(tail: readonly TailPiece[]): number {
  return tail.reduce((n, p) => n + p.size - p.skip, 0)
}

export function deriveState(input: DeriveInput): UploadState {
  const { uploadLength: L, partSize: S } = input
  if (input.dataComplete && L !== null) {
    return {
      offset: L,
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

  // Tail: greedy interval cover from where the parts end, never past the length or one part.
  const start = partsBytes
  const limit = Math.min(L ?? Number.POSITIVE_INFINITY, input.parts ? start + S : Number.POSITIVE_INFINITY)
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
  return { offset: cursor, parts, partsBytes, tail, dataComplete: false, garbage }
}
