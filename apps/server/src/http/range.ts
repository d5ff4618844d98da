/**
 * HTTP Range (RFC 9110 §14) for one byte range. Multi-range requests are answered with the
 * whole file, which the RFC allows.
 * @module
 */
import type { ByteRange } from '@psitransfer/core'

export type RangeResult = { kind: 'none' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' }

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'none' }
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  // Malformed or multiple ranges: ignore the header and send the whole file.
  if (!m) return { kind: 'none' }
  const [, first = '', last = ''] = m
  if (first === '' && last === '') return { kind: 'none' }
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } }
  }
  const start = Number(first)
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' }
  let end = last === '' ? size - 1 : Number(last)
  if (!Number.isSafeInteger(end) || end < start) return { kind: 'none' }
  end = Math.min(end, size - 1)
  return { kind: 'range', range: { start, end } }
}
