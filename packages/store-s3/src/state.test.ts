import { describe, expect, it } from 'vitest'
import { deriveState, type PartInfo, type SegmentInfo } from './state.js'

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
