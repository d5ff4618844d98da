import { isPsiError } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { testConfig } from '../test-support/harness.js'
import { parseRetention, retentionExpiry, uploadRetention } from './rules.js'

const T = Date.UTC(2026, 5, 1, 12)
const DAY = 86_400_000

function refusal(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(isPsiError(err) && err.code).toBe('INVALID_INPUT')
    return (err as Error).message
  }
  throw new Error('expected a refusal')
}

describe('parseRetention', () => {
  const config = testConfig({ maxAge: 10 * 86400 })

  it('takes listed retentions as before, the default when empty, and caps them silently by maxAge', () => {
    expect(parseRetention('one-time', config)).toBe('one-time')
    expect(parseRetention('3600', config)).toBe(3600)
    expect(parseRetention('', config)).toBe(604800)
    expect(parseRetention('2419200', config)).toBe(2419200)
    expect(retentionExpiry(T, 2419200, config)).toBe(T + 10 * DAY)
  })

  it('refuses unlisted retentions as PsiTransfer does (a chosen date is expiresAt)', () => {
    expect(refusal(() => parseRetention('5000', config))).toMatch(
      /Invalid retention "5000"; allowed: 3600, .*one-time \(or send expiresAt with a date\)$/,
    )
    const listedOnly = testConfig({ customExpiry: false })
    expect(refusal(() => parseRetention('5000', listedOnly))).not.toMatch(/expiresAt/)
    expect(parseRetention('3600', listedOnly)).toBe(3600)
  })

  it('takes until-deleted only when allowed and without maxAge', () => {
    expect(refusal(() => parseRetention('until-deleted', config))).toMatch(
      /does not keep files until deleted/,
    )
    expect(refusal(() => parseRetention('until-deleted', testConfig({ maxAge: false })))).toMatch(
      /does not keep files until deleted/,
    )
    const forever = testConfig({ maxAge: false, allowNoExpiry: true })
    expect(parseRetention('until-deleted', forever)).toBe('until-deleted')
    expect(retentionExpiry(T, 'until-deleted', forever)).toBeNull()
    expect(refusal(() => parseRetention('forever', forever))).toMatch(/allowed: .*one-time, until-deleted \(/)
  })

  it('refuses names every object has (they are no retentions)', () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(
        refusal(() => parseRetention(key, config)),
        key,
      ).toMatch(/Invalid retention/)
    }
  })

  it('refuses garbage with the allowed values, without echoing a long value', () => {
    const message = refusal(() => parseRetention(`x${'y'.repeat(500)}`, config))
    expect(message).toMatch(/allowed: 3600, .*one-time \(or send expiresAt with a date\)$/)
    expect(message.length).toBeLessThan(300)
  })
})

describe('uploadRetention', () => {
  const config = testConfig({ maxAge: 10 * 86400 })

  it('turns a chosen date into the seconds from creation (to the ms), ISO or ms', () => {
    expect(uploadRetention({ expiresAt: String(T + DAY) }, T, config)).toBe(86400)
    expect(uploadRetention({ expiresAt: new Date(T + DAY).toISOString() }, T, config)).toBe(86400)
    expect(uploadRetention({ expiresAt: '2026-06-02T14:00+02:00' }, T, config)).toBe(86400)
    expect(uploadRetention({ expiresAt: String(T + 1500) }, T, config)).toBe(1.5)
    // Files of one bucket created at different moments end at the same one.
    for (const created of [T, T + 1, T + 333, T + 60_017]) {
      const r = uploadRetention({ expiresAt: String(T + DAY) }, created, config)
      expect(retentionExpiry(created, r, config)).toBe(T + DAY)
    }
    const r = uploadRetention({ expiresAt: String(T + 10 * DAY) }, T, config)
    expect(retentionExpiry(T, r, config)).toBe(T + 10 * DAY)
    // Without expiresAt, retention rules as before.
    expect(uploadRetention({ retention: '3600', expiresAt: '' }, T, config)).toBe(3600)
    expect(uploadRetention({}, T, config)).toBe(604800)
  })

  it('refuses the past, beyond maxAge, garbage, both keys, and dates when customExpiry is off', () => {
    expect(refusal(() => uploadRetention({ expiresAt: String(T) }, T, config))).toMatch(/in the past/)
    expect(refusal(() => uploadRetention({ expiresAt: String(T + 10 * DAY + 1) }, T, config))).toMatch(
      /at most 10 days/,
    )
    for (const bad of ['tomorrow', '2026-06-02', '2026-06-02T14:00', '2026-02-30T10:00Z', '1e13']) {
      expect(
        refusal(() => uploadRetention({ expiresAt: bad }, T, config)),
        bad,
      ).toMatch(/Invalid expiresAt/)
    }
    expect(
      refusal(() => uploadRetention({ expiresAt: String(T + DAY), retention: '3600' }, T, config)),
    ).toMatch(/either retention or expiresAt/)
    expect(
      refusal(() => uploadRetention({ expiresAt: String(T + DAY) }, T, testConfig({ customExpiry: false }))),
    ).toMatch(/only its listed retentions/)
  })

  it('accepts any future date without maxAge', () => {
    const none = testConfig({ maxAge: false })
    expect(uploadRetention({ expiresAt: String(T + 1000 * DAY) }, T, none)).toBe(1000 * 86400)
  })
})
