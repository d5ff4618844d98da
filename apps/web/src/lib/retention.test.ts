import { describe, expect, it } from 'vitest'
import { expiryOf, retentionLabel, sortRetentions } from './retention.js'

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
