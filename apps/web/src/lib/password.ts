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
 * Whether a bucket password can be typed in again on the download page. It travels in an HTTP
 * header there; the API client percent-encodes anything a header cannot carry (see headerSafe)
 * and the server decodes it, so only control characters are refused.
 */
export function isSendablePassword(p: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  return /^[^\u0000-\u001f\u007f]+$/.test(p)
}
