import { ManualClock, PsiError } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { KdfGate } from './kdf-gate.js'
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

  it('counts an attempt before it is checked, so parallel attempts cannot pass the limit', () => {
    const l = new FailureRateLimiter({ maxFailures: 3, windowMs: 60_000, maxKeys: 100 })
    // Three attempts in flight at once: all counted, the fourth is refused before any answer.
    expect([l.attempt('k', 0), l.attempt('k', 0), l.attempt('k', 0)]).toEqual([0, 0, 0])
    expect(l.attempt('k', 0)).toBe(60)
    // One was never checked (the server was busy): given back, one more may try.
    l.refund('k', 0)
    expect(l.attempt('k', 0)).toBe(0)
    expect(l.attempt('k', 0)).toBe(60)
    l.succeed('k')
    expect(l.attempt('k', 0)).toBe(0)
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

/** A job that finishes when told to, recording the order jobs started in. */
function controlledJobs() {
  const started: string[] = []
  const finishers: Array<() => void> = []
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name)
      finishers.push(() => resolve(name))
    })
  /** Finishes the oldest running job and lets the gate hand its slot on. */
  const finishOne = async () => {
    finishers.shift()?.()
    await new Promise((r) => setImmediate(r))
  }
  return { started, job, finishOne }
}

function codeOf(err: unknown): string {
  return err instanceof PsiError ? `${err.code} ${err.status} ${err.details?.retryAfter}` : String(err)
}

describe('Argon2 admission (KdfGate)', () => {
  const options = { concurrency: 1, maxQueued: 100, perClient: 4, perMinute: 100 }

  it("serves waiting clients in turn: one client's queue does not starve another", async () => {
    const gate = new KdfGate(options, new ManualClock(0))
    const { started, job, finishOne } = controlledJobs()
    const done: Array<Promise<string>> = []
    for (let i = 0; i < 4; i++) done.push(gate.run('attacker', job(`a${i}`)))
    for (let i = 0; i < 4; i++) done.push(gate.run('attacker2', job(`b${i}`)))
    done.push(gate.run('victim', job('victim')))
    expect(started).toEqual(['a0'])
    expect(gate.queued).toBe(8)
    while (started.length < 9) await finishOne()
    // First come, first served would run the victim last (after a1..a3, b0..b3).
    expect(started.indexOf('victim')).toBeLessThanOrEqual(3)
    expect(started.slice(0, 4)).toEqual(['a0', 'a1', 'b0', 'victim'])
    await finishOne()
    await Promise.all(done)
    expect(gate.queued).toBe(0)
  })

  it('refuses a client with too many jobs in flight (429), others still get in', async () => {
    const gate = new KdfGate({ ...options, perClient: 2 }, new ManualClock(0))
    const { job, finishOne } = controlledJobs()
    const done = [gate.run('a', job('1')), gate.run('a', job('2'))]
    expect(codeOf(await gate.run('a', job('3')).catch((e) => e))).toBe('RATE_LIMITED 429 1')
    done.push(gate.run('b', job('4')))
    for (let i = 0; i < 3; i++) await finishOne()
    expect(await Promise.all(done)).toEqual(['1', '2', '4'])
    // Finished jobs no longer count.
    const again = gate.run('a', job('5'))
    await finishOne()
    expect(await again).toBe('5')
  })

  it('bounds the queue of all clients together: 503 with Retry-After', async () => {
    const gate = new KdfGate({ ...options, perClient: 1, maxQueued: 2 }, new ManualClock(0))
    const { job, finishOne } = controlledJobs()
    const done = ['a', 'b', 'c'].map((c) => gate.run(c, job(c)))
    const refused = await gate.run('d', job('d')).catch((e) => e)
    expect(refused).toBeInstanceOf(PsiError)
    expect(refused.code).toBe('BUSY')
    expect(refused.status).toBe(503)
    expect(refused.details.retryAfter).toBeGreaterThanOrEqual(1)
    expect(refused.message).toMatch(/busy checking passwords; try again in \d+ second/)
    for (let i = 0; i < 3; i++) await finishOne()
    expect(await Promise.all(done)).toEqual(['a', 'b', 'c'])
  })

  it('limits how many jobs a client starts per minute, refilling over time', async () => {
    const clock = new ManualClock(0)
    const gate = new KdfGate({ ...options, perMinute: 3 }, clock)
    const ok = async () => 'ok'
    for (let i = 0; i < 3; i++) expect(await gate.run('a', ok)).toBe('ok')
    expect(codeOf(await gate.run('a', ok).catch((e) => e))).toBe('RATE_LIMITED 429 20')
    expect(await gate.run('b', ok)).toBe('ok')
    clock.advance(20_000)
    expect(await gate.run('a', ok)).toBe('ok')
    expect(codeOf(await gate.run('a', ok).catch((e) => e))).toBe('RATE_LIMITED 429 20')
  })
})
