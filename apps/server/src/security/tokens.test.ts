import { describe, expect, it } from 'vitest'
import { DownloadTokens } from './tokens.js'

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

/** A job that finishes when told to, recording the order jobs started in. */
