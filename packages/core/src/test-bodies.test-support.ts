/** Request bodies and header values both upload machines' tests build (one copy for TUS and IETF). */
export { collect } from './testing/helpers.js'

/** `n` deterministic pseudo-random bytes (a small LCG: the same seed gives the same bytes). */
export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x >> 16
  }
  return out
}

/** `data` as a body of `size`-byte chunks (odd sizes by default, to cross every boundary). */
export async function* chunks(data: Uint8Array, size = 7): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

/** A body that yields `okBytes` of `data` and then fails like a dropped connection. */
export async function* failingBody(data: Uint8Array, okBytes: number): AsyncIterable<Uint8Array> {
  yield* chunks(data.subarray(0, okBytes), 5)
  throw new Error('socket hang up')
}

export function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)))
}

/** Metadata pairs as the TUS-encoded `Upload-Metadata` header value. */
export function metadataHeader(md: Record<string, string>): string {
  return Object.entries(md)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',')
}
