import { describe, expect, it } from 'vitest'
import { KdfPool } from './kdf-pool.js'
import { ARGON2_PARAMS, hashPassword } from './passwords.js'

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

/** A job that finishes when told to, recording the order jobs started in. */
