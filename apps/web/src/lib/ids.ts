/** Client-generated ids: bucket ids (sid) that the server parses with `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Bucket id length when the server does not say (`randomDownloadSidLength`): 22 characters, 132 bits. */
export const DEFAULT_SID_LENGTH = 22
/** Bounds the server enforces for `randomDownloadSidLength`; anything else falls back to the default. */
const MIN_SID_LENGTH = 12
const MAX_SID_LENGTH = 64

/** The configured id length if it is usable, else {@link DEFAULT_SID_LENGTH}. */
export function sidLength(configured: number | undefined): number {
  return configured !== undefined &&
    Number.isInteger(configured) &&
    configured >= MIN_SID_LENGTH &&
    configured <= MAX_SID_LENGTH
    ? configured
    : DEFAULT_SID_LENGTH
}

/**
 * A random base64url id of `length` characters (6 bits each); the first one is a letter or digit
 * (the server requires that), drawn again when the random byte maps to `-` or `_`.
 */
export function newBucketId(
  length: number = DEFAULT_SID_LENGTH,
  random: (n: number) => Uint8Array = randomBytes,
): string {
  let id = ''
  while (id.length < length) {
    for (const b of random(length - id.length)) {
      const c = ALPHABET[b & 63] as string
      if (id === '' && (c === '-' || c === '_')) continue
      id += c
    }
  }
  return id
}

export function isBucketId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)
}

/**
 * A new bucket's upload token, made here rather than by the server: sent from the bucket's first
 * creation on (the server keeps its hash), so a creation whose answer got lost can be repeated
 * and the bucket's files can start in parallel. 32 base64url characters (192 random bits), like
 * the tokens the server makes.
 */
export function newBucketToken(random: (n: number) => Uint8Array = randomBytes): string {
  let out = ''
  for (const b of random(32)) out += ALPHABET[b & 63]
  return out
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}
