/**
 * Deterministic byte patterns for store tests: any slice of a (possibly multi-GiB) file can be
 * regenerated from its offset, so tests stream and verify big files without ever holding them.
 * @module
 */
import { firstDifference } from './helpers.js'

/** Period of the pattern. A prime, so a chunk shifted by any power-of-two size never matches. */
const PERIOD = 1_000_003
/** Largest slice served by one copy out of the tile. */
const TILE_EXTRA = 1 << 20

const tiles = new Map<number, Uint8Array>()

/** `PERIOD + TILE_EXTRA` bytes of seeded xorshift output: the base block repeated. */
function tile(seed: number): Uint8Array {
  let t = tiles.get(seed)
  if (t) return t
  t = new Uint8Array(PERIOD + TILE_EXTRA)
  let x = (seed * 2654435761) >>> 0 || 0x9e3779b9
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    t[i] = x & 0xff
  }
  // TILE_EXTRA > PERIOD, so copy byte by byte (copyWithin would read not-yet-written bytes).
  for (let i = PERIOD; i < t.length; i++) t[i] = t[i - PERIOD]!
  tiles.set(seed, t)
  return t
}

/** The `length` pattern bytes at absolute `offset` of the file identified by `seed` (a fresh copy). */
export function patternBytes(seed: number, offset: number, length: number): Uint8Array {
  const t = tile(seed)
  const out = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const at = (offset + done) % PERIOD
    const n = Math.min(length - done, TILE_EXTRA)
    out.set(t.subarray(at, at + n), done)
    done += n
  }
  return out
}

export interface PatternStreamOptions {
  /** Absolute offset of the first byte (to resume). Default 0. */
  offset?: number
  /** Size of each yielded chunk (the last may be shorter). Default 1 MiB. */
  chunkSize?: number
  /** Called after each chunk is produced, with the number of bytes yielded so far. */
  onChunk?: (yielded: number) => void
}

/**
 * Streams `length` pattern bytes starting at `options.offset`, each chunk a fresh buffer
 * generated on the fly (stores may keep references to what they receive).
 */
export async function* patternStream(
  seed: number,
  length: number,
  options: PatternStreamOptions = {},
): AsyncGenerator<Uint8Array> {
  const { offset = 0, chunkSize = 1 << 20, onChunk } = options
  let yielded = 0
  while (yielded < length) {
    const n = Math.min(chunkSize, length - yielded)
    const chunk = patternBytes(seed, offset + yielded, n)
    yielded += n
    yield chunk
    onChunk?.(yielded)
  }
}

export interface PatternCheck {
  /** Bytes seen. */
  length: number
  /** Absolute offset of the first byte that differed from the pattern, or `null`. */
  firstMismatch: number | null
}

/**
 * Compares a byte stream with the pattern chunk by chunk (no whole-file buffer). Reads the
 * stream to its end; `onChunk` sees the running byte count (for memory sampling).
 */
export async function checkPattern(
  seed: number,
  data: AsyncIterable<Uint8Array>,
  options: { offset?: number; onChunk?: (seen: number) => void } = {},
): Promise<PatternCheck> {
  const offset = options.offset ?? 0
  let length = 0
  let firstMismatch: number | null = null
  for await (const chunk of data) {
    if (firstMismatch === null) {
      const at = firstDifference(chunk, patternBytes(seed, offset + length, chunk.byteLength))
      if (at >= 0) firstMismatch = offset + length + at
    }
    length += chunk.byteLength
    options.onChunk?.(length)
  }
  return { length, firstMismatch }
}
