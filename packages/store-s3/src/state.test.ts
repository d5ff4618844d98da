import { describe, expect, it } from 'vitest'
import { deriveState, effectivePartSize, type PartInfo, type SegmentInfo } from './state.js'

const S = 100
const part = (partNumber: number, size = S): PartInfo => ({ partNumber, etag: `"e${partNumber}"`, size })
const seg = (base: number, size: number, key = `seg.${base}.${size}`): SegmentInfo => ({
  key,
  base,
  size,
  etag: `"${key}"`,
})

describe('deriveState', () => {
  it('counts parts 1..n without gaps, then tail segments from where they end', () => {
    const st = deriveState({
      uploadLength: 1000,
      partSize: S,
      parts: [part(2), part(1), part(4)],
      segments: [seg(200, 30), seg(230, 5), seg(400, 50)],
      dataComplete: false,
    })
    expect(st.parts.map((p) => p.partNumber)).toEqual([1, 2])
    expect(st.partsBytes).toBe(200)
    expect(st.tail.map((p) => [p.base, p.skip])).toEqual([
      [200, 0],
      [230, 0],
    ])
    expect(st.offset).toBe(235)
    expect(st.garbage).toEqual(['seg.400.50'])
  })

  it('ignores segments absorbed into parts, and uses the longest segment at each point', () => {
    const st = deriveState({
      uploadLength: null,
      partSize: S,
      parts: [part(1)],
      segments: [seg(0, 60), seg(60, 40), seg(100, 10), seg(100, 25, 'merged'), seg(110, 15)],
      dataComplete: false,
    })
    expect(st.tail.map((p) => p.key)).toEqual(['merged'])
    expect(st.offset).toBe(125)
    expect(st.garbage.sort()).toEqual(['seg.0.60', 'seg.100.10', 'seg.110.15', 'seg.60.40'])
  })

  it('uses the unabsorbed rest of a segment that straddles the end of the parts', () => {
    const st = deriveState({
      uploadLength: null,
      partSize: S,
      parts: [part(1)],
      segments: [seg(90, 20)],
      dataComplete: false,
    })
    expect(st.tail).toEqual([{ ...seg(90, 20), skip: 10 }])
    expect(st.offset).toBe(110)
  })

  it('never counts past the upload length or more than a part of tail', () => {
    expect(
      deriveState({ uploadLength: 50, partSize: S, segments: [seg(0, 40), seg(40, 20)], dataComplete: false })
        .offset,
    ).toBe(40)
    const st = deriveState({
      uploadLength: null,
      partSize: S,
      parts: [],
      segments: [seg(0, 80), seg(80, 30)],
      dataComplete: false,
    })
    expect(st.offset).toBe(80)
  })

  it('accepts a short final part only where it ends the upload', () => {
    expect(
      deriveState({
        uploadLength: 250,
        partSize: S,
        parts: [part(1), part(2), part(3, 50)],
        segments: [],
        dataComplete: false,
      }).offset,
    ).toBe(250)
    // A short part that does not end the upload cannot be followed by more parts: it is not
    // counted (the next append overwrites it).
    const st = deriveState({
      uploadLength: 1000,
      partSize: S,
      parts: [part(1), part(2, 50), part(3)],
      segments: [],
      dataComplete: false,
    })
    expect(st.partsBytes).toBe(100)
    expect(st.parts).toHaveLength(1)
  })

  it('a complete data object stands for the whole file', () => {
    const st = deriveState({ uploadLength: 500, partSize: S, segments: [seg(0, 10)], dataComplete: true })
    expect(st).toMatchObject({ offset: 500, dataComplete: true, tail: [], garbage: ['seg.0.10'] })
  })

  it('single-object uploads chain segments from 0', () => {
    const st = deriveState({
      uploadLength: 30,
      partSize: S,
      segments: [seg(10, 20), seg(0, 10)],
      dataComplete: false,
    })
    expect(st.offset).toBe(30)
    expect(st.tail.map((p) => p.base)).toEqual([0, 10])
  })
})

describe('part size', () => {
  // Scaled down: parts of at most 100 bytes, at least 50.
  const adaptive = { uploadLength: 10_000, partSize: S, minPartSize: 50 }

  it('before part 1, follows the bytes buffered in the tail (at least the minimum)', () => {
    const size = (segments: SegmentInfo[]) =>
      deriveState({ ...adaptive, parts: [], segments, dataComplete: false }).partSize
    expect(size([])).toBe(S) // nothing buffered: a large first PATCH cuts full-size parts
    expect(size([seg(0, 20)])).toBe(50) // small chunks: the minimum
    expect(size([seg(0, 70)])).toBe(70) // a chunk between minimum and maximum: one part per PATCH
    expect(size([seg(0, 20), seg(20, 60)])).toBe(80) // never below what the tail holds
    expect(size([seg(0, 100)])).toBe(S)
  })

  it('is fixed by part 1 once it exists, and later parts must match it', () => {
    const st = deriveState({
      ...adaptive,
      parts: [part(1, 70), part(2, 70), part(3, S)],
      segments: [seg(140, 30)],
      dataComplete: false,
    })
    expect(st.partSize).toBe(70)
    expect(st.parts.map((p) => p.partNumber)).toEqual([1, 2])
    expect(st.offset).toBe(170)
    // A larger part 1 than the metadata allows is not a part of this upload.
    expect(
      deriveState({ ...adaptive, parts: [part(1, S + 1)], segments: [], dataComplete: false }).parts,
    ).toEqual([])
  })

  it('keeps the metadata size without the minimum, for deferred lengths, and for the 10,000-part limit', () => {
    const base = { partSize: S, parts: [], offset: 20 }
    expect(effectivePartSize({ ...base, uploadLength: 10_000 })).toBe(S)
    expect(effectivePartSize({ ...base, uploadLength: null, minPartSize: 50 })).toBe(S)
    expect(effectivePartSize({ ...base, uploadLength: 600_000, minPartSize: 50 })).toBe(60)
    expect(effectivePartSize({ ...base, uploadLength: 10_000, minPartSize: 50, parts: [part(1, 70)] })).toBe(
      70,
    )
  })

  it('a tail written by a non-adaptive version (larger than the minimum) stays valid', () => {
    const st = deriveState({
      ...adaptive,
      parts: [],
      segments: [seg(0, 10), seg(10, 80)],
      dataComplete: false,
    })
    expect(st.offset).toBe(90)
    expect(st.partSize).toBe(90)
  })
})
