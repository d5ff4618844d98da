import { describe, expect, it } from 'vitest'
import { checkLimits } from './limits.js'

const files = [
  { path: 'a', size: 10 },
  { path: 'b', size: 30 },
]

describe('checkLimits', () => {
  it('passes without limits', () => {
    expect(checkLimits(files, { maxFileSize: null, maxBucketSize: null })).toEqual([])
  })

  it('names every file above maxFileSize', () => {
    expect(checkLimits(files, { maxFileSize: 20, maxBucketSize: null })).toEqual([
      { kind: 'fileTooLarge', path: 'b', size: 30, max: 20 },
    ])
  })

  it('accepts a file exactly at the limit', () => {
    expect(checkLimits(files, { maxFileSize: 30, maxBucketSize: 40 })).toEqual([])
  })

  it('checks the bucket total including bytes already uploaded', () => {
    expect(checkLimits(files, { maxFileSize: null, maxBucketSize: 45 }, 6)).toEqual([
      { kind: 'bucketTooLarge', total: 46, max: 45 },
    ])
  })
})
