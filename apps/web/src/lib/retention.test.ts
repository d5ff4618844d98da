import { describe, expect, it } from 'vitest'
import {
  customDate,
  customProblem,
  customRange,
  customRetention,
  expiryOf,
  fromLocalInput,
  isCustom,
  localInput,
  retentionLabel,
  retentionMetadata,
  sortRetentions,
  UNTIL_DELETED,
} from './retention.js'

describe('sortRetentions', () => {
  it('puts one-time first and durations ascending, like PsiTransfer (JSON objects reorder number keys)', () => {
    const fromJson = Object.keys(
      JSON.parse('{"one-time":"x","3600":"x","604800":"x","21600":"x","forever":"x"}'),
    )
    expect(fromJson[0]).toBe('3600')
    expect(sortRetentions(fromJson)).toEqual(['one-time', '3600', '21600', '604800', 'forever'])
  })
})

describe('retentionLabel', () => {
  const base = { serverMessages: {}, configLabel: 'cfg', oneTimeLabel: 'Einmal', locale: 'de' }

  it("prefers the server's translation", () => {
    expect(
      retentionLabel('3600', { ...base, serverMessages: { 'retention.3600': '1 Stunde (Server)' } }),
    ).toBe('1 Stunde (Server)')
  })

  it('falls back to a localized duration, the UI label for one-time, then the config label', () => {
    expect(retentionLabel('86400', base)).toBe('1 Tag')
    expect(retentionLabel('one-time', base)).toBe('Einmal')
    expect(retentionLabel('forever', base)).toBe('cfg')
  })
})

describe('expiryOf', () => {
  it('adds the retention in seconds', () => {
    expect(expiryOf('3600', 1000)).toBe(3_601_000)
    expect(expiryOf('one-time', 1000)).toBeNull()
  })
})

describe('custom dates', () => {
  const NOW = Date.UTC(2026, 5, 1, 12)
  const DAY = 86_400_000

  it('travel as at:<ms> and become expiresAt metadata (an empty one while no date is chosen)', () => {
    const value = customRetention(NOW + DAY)
    expect(value).toBe(`at:${NOW + DAY}`)
    expect(isCustom(value)).toBe(true)
    expect(customDate(value)).toBe(NOW + DAY)
    expect(retentionMetadata(value)).toEqual({ expiresAt: String(NOW + DAY) })
    expect(retentionMetadata(customRetention(null))).toEqual({ expiresAt: '' })
    expect(customDate('at:')).toBeNull()
    expect(customDate('at:soon')).toBeNull()
    expect(retentionMetadata('3600')).toEqual({ retention: '3600' })
    expect(retentionMetadata(UNTIL_DELETED)).toEqual({ retention: 'until-deleted' })
    expect(expiryOf(value, NOW)).toBe(NOW + DAY)
    expect(expiryOf(UNTIL_DELETED, NOW)).toBeNull()
  })

  it('must lie at least a minute ahead and within maxAge (a minute short of it)', () => {
    expect(customProblem('3600', 3600, NOW)).toBeNull()
    expect(customProblem(customRetention(NOW + DAY), 7 * 86400, NOW)).toBeNull()
    expect(customProblem(customRetention(NOW + 30_000), 7 * 86400, NOW)).toBe('past')
    expect(customProblem(customRetention(null), 7 * 86400, NOW)).toBe('past')
    expect(customProblem(customRetention(NOW + 7 * DAY), 7 * 86400, NOW)).toBe('late')
    expect(customProblem(customRetention(NOW + 7 * DAY - 60_000), 7 * 86400, NOW)).toBeNull()
    expect(customProblem(customRetention(NOW + 900 * DAY), null, NOW)).toBeNull()
    expect(customRange(null, NOW)).toEqual({ min: NOW + 60_000, max: null })
  })

  it('round-trip through a datetime-local value in local time, refusing dates that do not exist', () => {
    const at = new Date(2026, 11, 24, 18, 30).getTime()
    expect(localInput(at)).toBe('2026-12-24T18:30')
    expect(fromLocalInput('2026-12-24T18:30')).toBe(at)
    expect(fromLocalInput('')).toBeNull()
    expect(fromLocalInput('2026-02-30T10:00')).toBeNull()
  })
})
