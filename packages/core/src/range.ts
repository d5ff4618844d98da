/**
 * The byte-range rule every store applies in {@link Store.read}, in one place so that every
 * store accepts and refuses exactly the same ranges.
 * @module
 */
import { PsiError } from './errors.js'
import type { ByteRange } from './store.js'

/** The inclusive bytes a read covers; `length` 0 (and `end` = `start` - 1) for an empty file. */
export interface ResolvedRange {
  start: number
  end: number
  length: number
}

/**
 * Resolves the optional `range` of a read against a file of `size` bytes: the whole file
 * without one, else the range itself when it lies inside the file (safe integers,
 * `0 ≤ start ≤ end < size`). Anything else is `RANGE_NOT_SATISFIABLE` with `details.size`,
 * including every range of an empty file.
 */
export function resolveRange(size: number, range?: ByteRange): ResolvedRange {
  if (!range) return { start: 0, end: size - 1, length: size }
  const { start, end } = range
  const ok =
    Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < size
  if (!ok) {
    throw new PsiError('RANGE_NOT_SATISFIABLE', `The range is outside the file (${size} bytes)`, {
      details: { size },
    })
  }
  return { start, end, length: end - start + 1 }
}
