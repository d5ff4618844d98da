import { describe, expect, it } from 'vitest'
import { PsiError } from '../errors.js'
import { isValidId } from '../ids.js'
import {
  assertBytes,
  chunked,
  collect,
  expectPsiError,
  firstDifference,
  newFileFixture,
  utf8,
} from './helpers.js'
import { checkPattern, patternBytes, patternStream } from './pattern.js'

describe('firstDifference', () => {
  it('finds the exact byte in aligned and unaligned views', () => {
    const base = patternBytes(1, 0, 4096)
    for (const at of [0, 1, 63, 64, 1000, 4095]) {
      const other = base.slice()
      other[at] = (other[at]! + 1) & 0xff
      expect(firstDifference(other, base)).toBe(at)
      // Unaligned: view one byte into a bigger buffer.
      const shifted = new Uint8Array(4097)
      shifted.set(other, 1)
      expect(firstDifference(shifted.subarray(1), base)).toBe(at)
    }
    expect(firstDifference(base.slice(), base)).toBe(-1)
  })

  it('reports a length difference at the end of the shorter input', () => {
    const base = patternBytes(1, 0, 100)
    expect(firstDifference(base.subarray(0, 99), base)).toBe(99)
    expect(firstDifference(base, base.subarray(0, 70))).toBe(70)
    expect(() => assertBytes(base.subarray(0, 99), base)).toThrow(/expected 100 bytes, got 99/)
    expect(() => assertBytes(null, base)).toThrow(/expected 100 bytes/)
  })
})

describe('pattern', () => {
  it('is deterministic per seed and offset, and seeds differ', () => {
    const whole = patternBytes(7, 0, 3_000_000)
    expect(patternBytes(7, 1_234_567, 1000)).toEqual(whole.slice(1_234_567, 1_235_567))
    expect(firstDifference(patternBytes(8, 0, 1000), whole.subarray(0, 1000))).toBeGreaterThanOrEqual(0)
    // Chunks a power of two apart never repeat each other.
    expect(
      firstDifference(whole.subarray(1 << 20, (1 << 20) + 4096), whole.subarray(0, 4096)),
    ).toBeGreaterThanOrEqual(0)
  })

  it('streams the same bytes in chunks and checkPattern finds the first wrong byte', async () => {
    const all = await collect(patternStream(3, 250_000, { chunkSize: 65_536, offset: 10 }))
    expect(firstDifference(all, patternBytes(3, 10, 250_000))).toBe(-1)
    expect(await checkPattern(3, chunked(all, [999]), { offset: 10 })).toEqual({
      length: 250_000,
      firstMismatch: null,
    })
    all[123_456] = (all[123_456]! + 1) & 0xff
    expect(await checkPattern(3, chunked(all, [999]), { offset: 10 })).toEqual({
      length: 250_000,
      firstMismatch: 123_466,
    })
  })
})

describe('fixtures and assertions', () => {
  it('newFileFixture makes valid, distinct files and applies overrides', () => {
    const a = newFileFixture()
    const b = newFileFixture({ uploadLength: 5, comment: 'x' })
    expect(isValidId(a.sid) && isValidId(a.key)).toBe(true)
    expect(a.key).not.toBe(b.key)
    expect(b).toMatchObject({ uploadLength: 5, comment: 'x' })
    expect(a.expiresAt).toBe(a.createdAt + 3600_000)
  })

  it('expectPsiError accepts only the expected codes', async () => {
    await expectPsiError(Promise.reject(new PsiError('NOT_FOUND', 'x')), ['INVALID_ID', 'NOT_FOUND'])
    await expect(expectPsiError(Promise.reject(new PsiError('INTERNAL', 'x')), 'NOT_FOUND')).rejects.toThrow(
      /INTERNAL/,
    )
    await expect(expectPsiError(Promise.resolve(1), 'NOT_FOUND')).rejects.toThrow(/resolved/)
    await expect(expectPsiError(Promise.reject(new Error('plain')), 'NOT_FOUND')).rejects.toThrow(/plain/)
  })

  it('chunked splits by the size cycle', async () => {
    const sizes: number[] = []
    for await (const c of chunked(utf8('abcdefghij'), [3, 1])) sizes.push(c.byteLength)
    expect(sizes).toEqual([3, 1, 3, 1, 2])
  })
})
