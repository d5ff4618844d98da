/**
 * Decrypting downloads, shared by the page (previews, the File System Access fallback) and the
 * service worker (streamed saves): fetch the ciphertext, yield authenticated plaintext records.
 */
import { base64urlDecode, decrypt, E2EError } from '@psitransfer/e2e'

/** What the decrypter needs about one file; the key comes from the link fragment and stays in the browser. */
export interface DecryptJob {
  /** Absolute URL of the ciphertext (with the download token of a protected bucket). */
  url: string
  /** base64url key from the link. */
  key: string
  /** base64url salt from the file's metadata blob: the file must be the one its name belongs to. */
  salt: string
  /** Ciphertext size from the listing: an early end is reported as truncated. */
  cipherSize: number
}

/** Why a decryption stopped, as the page shows it. */
export type DecryptFailure = 'wrong-key' | 'damaged' | 'network'

export function failureOf(err: unknown): DecryptFailure {
  if (err instanceof E2EError) return err.code === 'wrong-key' ? 'wrong-key' : 'damaged'
  return 'network'
}

/**
 * Fetches the ciphertext and yields its plaintext. Uses `inline=1`: the server then streams the
 * file itself instead of redirecting to a presigned store URL the page's CSP and CORS would refuse.
 */
export async function* decryptUrl(job: DecryptJob, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const u = new URL(job.url)
  u.searchParams.set('inline', '1')
  const res = await fetch(u.href, { credentials: 'same-origin', ...(signal ? { signal } : {}) })
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`)
  yield* decrypt(base64urlDecode(job.key), res.body, {
    expectedSalt: base64urlDecode(job.salt),
    expectedSize: job.cipherSize,
  })
}
