/** Client-generated ids: bucket ids (sid) that the server parses with `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`. */

function base64url(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** 128 random bits, base64url; prefixed when it would start with `-` or `_` (not allowed first). */
export function newBucketId(random: (n: number) => Uint8Array = randomBytes): string {
  const id = base64url(random(16))
  return /^[A-Za-z0-9]/.test(id) ? id : `x${id}`
}

export function isBucketId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}
