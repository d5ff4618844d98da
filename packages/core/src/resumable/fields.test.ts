import { describe, expect, it } from 'vitest'
import {
  contentDispositionFilename,
  parseSfBoolean,
  parseSfNonNegativeInteger,
  problemBody,
  serializeUploadLimit,
} from './fields.js'

describe('structured fields (RFC 9651) the draft uses', () => {
  it.each([
    ['0', 0],
    ['25000000', 25000000],
    [' 42 ', 42],
    ['7;x=1', 7],
    ['999999999999999', 999999999999999],
  ])('Integer %j is %i', (raw, value) => {
    expect(parseSfNonNegativeInteger(raw)).toBe(value)
  })

  it.each(['', '-1', '1.5', '1e3', 'abc', '0x10', '1000000000000000', '?1', '"5"'])(
    'non-Integer or negative %j is ignored',
    (raw) => {
      expect(parseSfNonNegativeInteger(raw)).toBeUndefined()
    },
  )

  it('absent fields are undefined', () => {
    expect(parseSfNonNegativeInteger(null)).toBeUndefined()
    expect(parseSfBoolean(null)).toBeUndefined()
  })

  it.each([
    ['?1', true],
    ['?0', false],
    [' ?1;a=b', true],
  ])('Boolean %j is %s', (raw, value) => {
    expect(parseSfBoolean(raw)).toBe(value)
  })

  it.each(['1', '0', 'true', '?2', '?', '??1'])('non-Boolean %j is ignored', (raw) => {
    expect(parseSfBoolean(raw)).toBeUndefined()
  })

  it('serializes Upload-Limit as a Dictionary, nothing when no limit applies', () => {
    expect(serializeUploadLimit({ 'max-size': 1234567890, 'max-age': 3600 })).toBe(
      'max-size=1234567890, max-age=3600',
    )
    expect(serializeUploadLimit({})).toBeUndefined()
  })
})

describe('Content-Disposition filename (RFC 6266)', () => {
  it('prefers filename* (UTF-8) over filename, as in the draft example', () => {
    expect(
      contentDispositionFilename(`inline; filename="file name.jpg"; filename*=UTF-8''file%20name.jpg`),
    ).toBe('file name.jpg')
    expect(contentDispositionFilename(`inline; filename*=UTF-8''gr%C3%BC%C3%9Fe.txt; filename=x`)).toBe(
      'grüße.txt',
    )
  })

  it('reads tokens and quoted strings with escapes', () => {
    expect(contentDispositionFilename('attachment; filename=a.bin')).toBe('a.bin')
    expect(contentDispositionFilename('inline; filename="a \\"b\\".txt"')).toBe('a "b".txt')
  })

  it('falls back to filename when filename* is malformed; undefined without either', () => {
    expect(contentDispositionFilename(`inline; filename*=UTF-8''%E0%A4%A; filename="ok.txt"`)).toBe('ok.txt')
    expect(contentDispositionFilename('inline')).toBeUndefined()
    expect(contentDispositionFilename(null)).toBeUndefined()
  })
})

describe('problem documents (RFC 9457)', () => {
  it('default to about:blank and carry extension members', () => {
    expect(JSON.parse(problemBody(409, 'Conflict', { detail: 'x', 'expected-offset': 3 }))).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'x',
      'expected-offset': 3,
    })
  })
})
