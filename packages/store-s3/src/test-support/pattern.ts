/**
 * A deterministic byte pattern for tests that run in child processes too (core's kit imports
 * vitest, which a plain child process should not load). Any slice regenerates from its offset.
 */
const PERIOD = 1_048_573 // prime, so part-sized shifts never line up with the period

const tiles = new Map<number, Uint8Array>()

function tile(seed: number): Uint8Array {
  let t = tiles.get(seed)
  if (t) return t
  t = new Uint8Array(PERIOD)
  let x = (seed * 2654435761) >>> 0 || 0x9e3779b9
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    t[i] = x & 0xff
  }
  tiles.set(seed, t)
  return t
}

export function patternSlice(seed: number, offset: number, length: number): Uint8Array {
  const t = tile(seed)
  const out = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const at = (offset + done) % PERIOD
    const n = Math.min(length - done, PERIOD - at)
    out.set(t.subarray(at, at + n), done)
    done += n
  }
  return out
}
