import { describe, expect, it } from 'vitest'
import { FailureRateLimiter } from './rate-limit.js'

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

/** A job that finishes when told to, recording the order jobs started in. */
