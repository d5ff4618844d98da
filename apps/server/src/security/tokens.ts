/**
 * Download proof for protected buckets: after the password check the listing hands out a
 * short-lived token, `{expiry}.{hmac}`, bound to the bucket id. File and archive URLs carry
 * it as `?token=`. The HMAC key is the configured `secret` or random per boot, so with
 * several instances behind one address every instance must be given the same `secret`.
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export class DownloadTokens {
  readonly #key: Buffer

  constructor(
    secret: string | undefined,
    private readonly ttlSeconds: number,
  ) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8')
  }

  #mac(sid: string, expiry: number): Buffer {
    return createHmac('sha256', this.#key).update(`psitransfer-download\0${sid}\0${expiry}`).digest()
  }

  /** Token for `sid` valid until `now + ttl` (rounded up to the next minute so responses cache alike). */
  issue(sid: string, now: number): string {
    const expiry = Math.ceil((now + this.ttlSeconds * 1000) / 60_000) * 60
    return `${expiry}.${this.#mac(sid, expiry).toString('base64url')}`
  }

  verify(sid: string, token: string | undefined | null, now: number): boolean {
    if (!token) return false
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token)
    if (!m) return false
    const expiry = Number(m[1])
    if (expiry * 1000 <= now) return false
    const given = Buffer.from(m[2] as string, 'base64url')
    const expected = this.#mac(sid, expiry)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}
