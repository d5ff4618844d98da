import { describe, expect, it } from 'vitest'
import { parseRange } from './range.js'

describe('parseRange', () => {
  it('parses single ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'range', range: { start: 0, end: 9 } })
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'range', range: { start: 90, end: 99 } })
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'range', range: { start: 90, end: 99 } })
    expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'range', range: { start: 0, end: 99 } })
    expect(parseRange('bytes=50-1000', 100)).toEqual({ kind: 'range', range: { start: 50, end: 99 } })
  })
  it('reports unsatisfiable ranges and ignores malformed or multiple ones', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange(undefined, 100)).toEqual({ kind: 'none' })
    expect(parseRange('bytes=5-1', 100)).toEqual({ kind: 'none' })
    expect(parseRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'none' })
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'none' })
  })
})
