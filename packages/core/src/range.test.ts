import { describe, expect, it } from 'vitest'
import { isPsiError } from './errors.js'
import { resolveRange } from './range.js'

function refusal(size: number, range: { start: number; end: number }): unknown {
  try {
    resolveRange(size, range)
  } catch (err) {
    return err
  }
  return undefined
}

describe('resolveRange', () => {
  it('covers the whole file without a range', () => {
    expect(resolveRange(10)).toEqual({ start: 0, end: 9, length: 10 })
    expect(resolveRange(0)).toEqual({ start: 0, end: -1, length: 0 })
  })

  it('returns a range inside the file as it is', () => {
    expect(resolveRange(10, { start: 0, end: 9 })).toEqual({ start: 0, end: 9, length: 10 })
    expect(resolveRange(10, { start: 3, end: 3 })).toEqual({ start: 3, end: 3, length: 1 })
    expect(resolveRange(10, { start: 9, end: 9 })).toEqual({ start: 9, end: 9, length: 1 })
  })

  it('refuses ranges outside the file with RANGE_NOT_SATISFIABLE and the size', () => {
    const bad = [
      { start: 0, end: 10 },
      { start: 10, end: 10 },
      { start: 5, end: 4 },
      { start: -1, end: 3 },
      { start: 0.5, end: 3 },
      { start: 0, end: Number.NaN },
      { start: 0, end: Number.POSITIVE_INFINITY },
      { start: 0, end: 2 ** 53 },
    ]
    for (const range of bad) {
      const err = refusal(10, range)
      expect(isPsiError(err) && err.code, JSON.stringify(range)).toBe('RANGE_NOT_SATISFIABLE')
      expect(isPsiError(err) && err.details).toEqual({ size: 10 })
    }
  })

  it('refuses every range of an empty file', () => {
    expect(isPsiError(refusal(0, { start: 0, end: 0 }))).toBe(true)
  })
})
