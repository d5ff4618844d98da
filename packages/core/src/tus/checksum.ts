/**
 * Checksum extension support. The machine buffers a checksummed chunk (bounded by
 * `maxChecksumChunk`) before writing it, so a chunk that fails verification is never persisted.
 * Defaults use Web Crypto; the server may inject native streaming hashers (and more algorithms).
 * @module
 */
import type { Hasher } from './types.js'

const WEB_CRYPTO_NAMES: Record<string, string> = {
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
}

function webCryptoHasher(name: string): () => Hasher {
  return () => {
    const chunks: Uint8Array[] = []
    let size = 0
    return {
      update(chunk) {
        chunks.push(chunk)
        size += chunk.byteLength
      },
      async digest() {
        const all = new Uint8Array(size)
        let at = 0
        for (const c of chunks) {
          all.set(c, at)
          at += c.byteLength
        }
        return new Uint8Array(await crypto.subtle.digest(name, all))
      },
    }
  }
}

export const defaultChecksums: Record<string, () => Hasher> = Object.fromEntries(
  Object.entries(WEB_CRYPTO_NAMES).map(([alg, name]) => [alg, webCryptoHasher(name)]),
)

export function toBase64(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}
