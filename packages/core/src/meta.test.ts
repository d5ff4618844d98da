import { describe, expect, it } from 'vitest'
import { computeExpiry, isExpired, isOneTime } from './meta.js'

const T = Date.UTC(2026, 0, 1)
const HOUR = 3600_000

describe('computeExpiry', () => {
  it('is createdAt + retention seconds without a max age', () => {
    expect(computeExpiry(T, 3600, null)).toBe(T + HOUR)
    expect(computeExpiry(T, 0, null)).toBe(T)
  })

  it('is capped by the max age', () => {
    expect(computeExpiry(T, 3600, 2 * HOUR)).toBe(T + HOUR)
    expect(computeExpiry(T, 3 * 3600, 2 * HOUR)).toBe(T + 2 * HOUR)
    expect(computeExpiry(T, 7200, 2 * HOUR)).toBe(T + 2 * HOUR)
  })

  it('lets one-time files live until downloaded, capped by the max age', () => {
    expect(computeExpiry(T, 'one-time', null)).toBeNull()
    expect(computeExpiry(T, 'one-time', 24 * HOUR)).toBe(T + 24 * HOUR)
  })
})

describe('isExpired', () => {
  it('never expires without an expiry time', () => {
    expect(isExpired({ expiresAt: null }, Number.MAX_SAFE_INTEGER)).toBe(false)
  })

  it('expires exactly at expiresAt, not before', () => {
    expect(isExpired({ expiresAt: T }, T - 1)).toBe(false)
    expect(isExpired({ expiresAt: T }, T)).toBe(true)
    expect(isExpired({ expiresAt: T }, T + 1)).toBe(true)
  })

  it('agrees with computeExpiry', () => {
    const expiresAt = computeExpiry(T, 60, null)
    expect(isExpired({ expiresAt }, T + 59_999)).toBe(false)
    expect(isExpired({ expiresAt }, T + 60_000)).toBe(true)
  })
})

describe('isOneTime', () => {
  it('is true only for the one-time retention', () => {
    expect(isOneTime({ retention: 'one-time' })).toBe(true)
    expect(isOneTime({ retention: 3600 })).toBe(false)
    expect(isOneTime({ retention: 0 })).toBe(false)
  })
})
