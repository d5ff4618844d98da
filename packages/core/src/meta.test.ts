import { describe, expect, it } from 'vitest'
import { applyMetaPatch, computeExpiry, hasStoredFileFields, isExpired, isOneTime } from './meta.js'

const T = Date.UTC(2026, 0, 1)
const HOUR = 3600_000

describe('computeExpiry', () => {
  it('is createdAt + retention seconds without a max age', () => {
    expect(computeExpiry(T, 3600, null)).toBe(T + HOUR)
    expect(computeExpiry(T, 0, null)).toBe(T)
  })

  it('lands exactly on the ms for fractional retentions (a chosen date minus createdAt)', () => {
    for (const ms of [1, 1500, 86_399_123, 172_800_001, 6_479_999_999]) {
      expect(computeExpiry(T + 7, ms / 1000, null)).toBe(T + 7 + ms)
    }
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

  it('never expires until-deleted files without a max age, and caps them by one', () => {
    expect(computeExpiry(T, 'until-deleted', null)).toBeNull()
    expect(computeExpiry(T, 'until-deleted', 24 * HOUR)).toBe(T + 24 * HOUR)
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
    expect(isOneTime({ retention: 'until-deleted' })).toBe(false)
  })
})

describe('applyMetaPatch', () => {
  const base = { uploadLength: null as number | null, password: 'h', name: 'a', extra: { k: 'v' } }

  it('applies patchable fields as deep copies and leaves the input alone', () => {
    const extra = { x: '1' }
    const next = applyMetaPatch(base, { name: 'b', extra }, 0)
    expect(next).toEqual({ ...base, name: 'b', extra: { x: '1' } })
    extra.x = '2'
    expect(next.extra).toEqual({ x: '1' })
    expect(base.name).toBe('a')
  })

  it('refuses identity and byte-state fields', () => {
    for (const key of ['offset', 'complete', 'key', 'sid', 'storeState']) {
      expect(() => applyMetaPatch(base, { [key]: 1 } as never, 0)).toThrow(/cannot be changed/)
    }
  })

  it('removes the password only on an explicit undefined', () => {
    expect(applyMetaPatch(base, { password: undefined }, 0).password).toBeUndefined()
    expect(applyMetaPatch(base, {}, 0).password).toBe('h')
  })

  it('sets a deferred length once, never below the stored bytes, never changes it', () => {
    expect(applyMetaPatch(base, { uploadLength: 10 }, 4).uploadLength).toBe(10)
    expect(() => applyMetaPatch(base, { uploadLength: 3 }, 4)).toThrow(/smaller than the 4 bytes/)
    expect(() => applyMetaPatch(base, { uploadLength: -1 }, 0)).toThrow(/non-negative/)
    expect(() => applyMetaPatch(base, { uploadLength: 1.5 }, 0)).toThrow(/non-negative/)
    const set = { ...base, uploadLength: 10 }
    expect(applyMetaPatch(set, { uploadLength: 10 }, 0).uploadLength).toBe(10)
    expect(() => applyMetaPatch(set, { uploadLength: 11 }, 0)).toThrow(/cannot be changed once set/)
    expect(() => applyMetaPatch(set, { uploadLength: null }, 0)).toThrow()
  })
})

describe('hasStoredFileFields', () => {
  const record = (): Record<string, unknown> => ({
    sid: 'b',
    key: 'k',
    name: 'a.txt',
    relativePath: '',
    comment: '',
    type: 'text/plain',
    retention: 3600,
    uploadLength: 3,
    createdAt: T,
    expiresAt: null,
    lastDownload: null,
    downloads: 0,
    bucketLocked: false,
    complete: true,
    extra: { note: 'x' },
  })

  it('accepts a whole record, with or without the optional fields', () => {
    expect(hasStoredFileFields(record())).toBe(true)
    expect(hasStoredFileFields({ ...record(), password: '$argon2id$…', concat: { kind: 'partial' } })).toBe(
      true,
    )
    expect(hasStoredFileFields({ ...record(), retention: 'one-time', uploadLength: null })).toBe(true)
    expect(hasStoredFileFields({ ...record(), retention: 'until-deleted' })).toBe(true)
  })

  it('refuses a record missing a field or with a field of the wrong type', () => {
    for (const [k, v] of Object.entries({
      name: undefined,
      retention: 'forever',
      uploadLength: -1,
      downloads: 1.5,
      complete: 'yes',
      extra: { n: 1 },
      concat: { kind: 'final', parts: [1] },
      expiresAt: 'tomorrow',
    })) {
      expect(hasStoredFileFields({ ...record(), [k]: v }), k).toBe(false)
    }
  })
})
