import { describe, expect, it } from 'vitest'
import { formatBytes, formatEta, formatRetention } from './format.js'

describe('formatBytes', () => {
  it('uses decimal units with one fraction digit below 100', () => {
    expect(formatBytes(0, 'en')).toMatch(/^0\sB$/u)
    expect(formatBytes(999, 'en')).toMatch(/^999\sB$/u)
    expect(formatBytes(1536, 'en')).toBe('1.5 kB')
    expect(formatBytes(52_428_800, 'en')).toBe('52.4 MB')
    expect(formatBytes(123_456_789, 'en')).toBe('123 MB')
    expect(formatBytes(5e15, 'en')).toBe('5,000 TB')
  })

  it('formats numbers in the locale', () => {
    expect(formatBytes(1536, 'de')).toBe('1,5 kB')
  })

  it('writes plain bytes as a symbol with the spacing the locale uses for kB', () => {
    // (The space is a plain or a no-break space, as the locale's data has it.)
    expect(formatBytes(67, 'fr')).toMatch(/^67\so$/u)
    expect(formatBytes(67, 'de')).toMatch(/^67\sB$/u)
    expect(formatBytes(67, 'ru')).toMatch(/^67\sБ$/u)
    expect(formatBytes(1, 'ja')).toMatch(/^1\sB$/u)
    expect(formatBytes(67, 'ko')).toBe('67byte')
  })

  it('shows a dash for impossible sizes', () => {
    expect(formatBytes(-1, 'en')).toBe('–')
    expect(formatBytes(Number.NaN, 'en')).toBe('–')
  })
})

describe('formatRetention', () => {
  it('picks the largest unit that divides the duration', () => {
    expect(formatRetention(3600, 'en')).toBe('1 hour')
    expect(formatRetention(21600, 'en')).toBe('6 hours')
    expect(formatRetention(259200, 'en')).toBe('3 days')
    expect(formatRetention(1209600, 'en')).toBe('2 weeks')
    expect(formatRetention(90, 'en')).toBe('90 seconds')
  })

  it('is translated by Intl', () => {
    expect(formatRetention(604800, 'de')).toBe('1 Woche')
  })
})

describe('formatEta', () => {
  it('rounds to readable units', () => {
    expect(formatEta(4.2, 'en')).toBe('5s')
    expect(formatEta(150, 'en')).toBe('3m')
    expect(formatEta(3600, 'en')).toBe('1h')
    expect(formatEta(3900, 'en')).toBe('1h 5m')
    expect(formatEta(Number.POSITIVE_INFINITY, 'en')).toBe('–')
  })
})
