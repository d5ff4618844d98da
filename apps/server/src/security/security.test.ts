import { describe, expect, it } from 'vitest'
import { KdfPool } from './kdf-pool.js'
import {
  ARGON2_PARAMS,
  hashPassword,
  isPasswordHash,
  PasswordVerifier,
  safeEqual,
  verifyPassword,
} from './passwords.js'
import { FailureRateLimiter } from './rate-limit.js'
import { DownloadTokens } from './tokens.js'

describe('passwords', () => {
  it('hashes with argon2id and verifies', async () => {
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(isPasswordHash(hash)).toBe(true)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('wrong', hash)).toBe(false)
    expect(await hashPassword('correct horse')).not.toBe(hash) // random salt
  })

  it("verifies PsiTransfer's argon2id hashes (m=8 MiB, t=3)", async () => {
    // Made by PsiTransfer's settings for the password "secret".
    const legacy =
      '$argon2id$v=19$m=8192,t=3,p=1$96Qc4tFqHtUoHC/KEkRdvA$FI/jCrs6yUY3TO3TegizUZcnlhFM3htvnjdVovz4IXM'
    expect(await verifyPassword('secret', legacy)).toBe(true)
    expect(await verifyPassword('Secret', legacy)).toBe(false)
  })

  it('compares legacy plaintext exactly, and malformed hashes never match', async () => {
    expect(await verifyPassword('plain', 'plain')).toBe(true)
    expect(await verifyPassword('plain', 'plain2')).toBe(false)
    expect(await verifyPassword('x', '$argon2id$garbage')).toBe(false)
    expect(safeEqual('a', 'a')).toBe(true)
    expect(safeEqual('a', 'ab')).toBe(false)
  })

  it('verifyAll needs every distinct hash to match', async () => {
    const v = new PasswordVerifier()
    const a = await hashPassword('pw')
    const b = await hashPassword('pw')
    expect(await v.verifyAll('pw', [a, b, a], 0)).toBe(true)
    expect(await v.verifyAll('pw', [a, 'other'], 0)).toBe(false)
    expect(await v.verifyAll('nope', [a], 0)).toBe(false)
  })
})

describe('download tokens', () => {
  const now = Date.UTC(2026, 0, 1)
  it('verify for their bucket until they expire', () => {
    const t = new DownloadTokens('0123456789abcdef-secret', 3600)
    const token = t.issue('bucket1', now)
    expect(t.verify('bucket1', token, now)).toBe(true)
    expect(t.verify('bucket1', token, now + 3599_000)).toBe(true)
    expect(t.verify('bucket1', token, now + 3661_000)).toBe(false)
    expect(t.verify('bucket2', token, now)).toBe(false)
    expect(t.verify('bucket1', undefined, now)).toBe(false)
    expect(t.verify('bucket1', `${token}x`, now)).toBe(false)
    const [exp, mac] = token.split('.')
    expect(t.verify('bucket1', `${Number(exp) + 60}.${mac}`, now)).toBe(false)
  })

  it('are bound to the secret', () => {
    const a = new DownloadTokens('secret-number-one-0000', 60)
    const b = new DownloadTokens('secret-number-two-0000', 60)
    expect(b.verify('s', a.issue('s', now), now)).toBe(false)
    // Without a secret every instance has its own random key.
    expect(
      new DownloadTokens(undefined, 60).verify('s', new DownloadTokens(undefined, 60).issue('s', now), now),
    ).toBe(false)
  })
})

describe('rate limiter', () => {
  it('refuses after maxFailures until the window passes, and forgets on success', () => {
    const l = new FailureRateLimiter({ maxFailures: 3, windowMs: 60_000, maxKeys: 100 })
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('k', 0)).toBe(0)
      l.fail('k', 0)
    }
    expect(l.retryAfter('k', 1000)).toBe(59)
    expect(l.retryAfter('other', 1000)).toBe(0)
    expect(l.retryAfter('k', 60_000)).toBe(0)
    l.fail('j', 0)
    l.succeed('j')
    expect(l.size).toBe(0)
  })

  it('stays bounded', () => {
    const l = new FailureRateLimiter({ maxFailures: 1, windowMs: 60_000, maxKeys: 10 })
    for (let i = 0; i < 1000; i++) l.fail(`k${i}`, 0)
    expect(l.size).toBe(10)
    expect(l.retryAfter('k999', 0)).toBeGreaterThan(0)
    expect(l.retryAfter('k0', 0)).toBe(0)
  })
})

describe('Argon2id worker pool', () => {
  it('runs the KDF off the event loop: the loop keeps turning while a hash is computed', async () => {
    await hashPassword('warm-up') // the worker is started and hash-wasm loaded
    // Turn the event loop as fast as it goes and record the longest stall, relative to how long
    // the hash took (self-calibrating on a slow or loaded machine). On the main thread the
    // memory-hard computation is one synchronous block: the stall is nearly the whole hash.
    let done = false
    let longest = 0
    let last = performance.now()
    const spin = () => {
      const now = performance.now()
      longest = Math.max(longest, now - last)
      last = now
      if (!done) setImmediate(spin)
    }
    const t0 = performance.now()
    setImmediate(spin)
    await hashPassword('pw')
    const took = performance.now() - t0
    done = true
    expect(longest).toBeLessThan(took / 2)
  })

  it('queues jobs beyond its size and answers each one', async () => {
    const pool = new KdfPool(1)
    try {
      const hashes = await Promise.all(['a', 'b', 'c', 'd'].map((pw) => pool.hash(pw, ARGON2_PARAMS)))
      expect(new Set(hashes).size).toBe(4)
      const checks = await Promise.all([
        pool.verify('a', hashes[0] as string),
        pool.verify('b', hashes[0] as string),
        pool.verify('d', hashes[3] as string),
        pool.verify('d', '$argon2id$not-a-hash'),
      ])
      expect(checks).toEqual([true, false, true, false])
    } finally {
      await pool.close()
    }
  })

  it('refuses work after close()', async () => {
    const pool = new KdfPool(1)
    await pool.close()
    await expect(pool.hash('x', ARGON2_PARAMS)).rejects.toThrow(/stopped/)
  })
})
