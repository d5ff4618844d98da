import { randomBytes } from './ids.js'

/** No look-alikes (0/O, 1/l/I) so a password read aloud or copied by hand survives. */
export const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** A random password (PsiTransfer makes 10 characters) without modulo bias: bytes ≥ a multiple are rejected. */
export function generatePassword(length = 10, random: (n: number) => Uint8Array = randomBytes): string {
  const n = PASSWORD_ALPHABET.length
  const limit = 256 - (256 % n)
  let out = ''
  while (out.length < length) {
    for (const b of random(length * 2)) {
      if (b < limit && out.length < length) out += PASSWORD_ALPHABET[b % n]
    }
  }
  return out
}

/**
 * Whether a bucket password can be typed in again on the download page: it travels in an HTTP header
 * there, which only carries visible ASCII reliably, and surrounding spaces would be trimmed away.
 */
export function isSendablePassword(p: string): boolean {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(p)
}
