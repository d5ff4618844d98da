import type { FileRef } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { PathCache } from './paths.js'

const ref = (sid: unknown, key: unknown) => ({ sid, key }) as unknown as FileRef

describe('PathCache', () => {
  it('returns the same paths for a ref it resolved before', () => {
    const cache = new PathCache('/data')
    const a = cache.resolve(ref('b1', 'k1'))
    expect(a).toMatchObject({ bucketDir: '/data/b1', data: '/data/b1/k1', sidecar: '/data/b1/k1.json' })
    expect(cache.resolve(ref('b1', 'k1'))).toBe(a)
  })

  it('still refuses hostile and non-string ids once valid ones are cached', () => {
    const cache = new PathCache('/data', 2)
    for (const [sid, key] of [
      ['b1', 'k1'],
      ['b2', 'k2'],
      ['b3', 'k3'],
    ]) {
      cache.resolve(ref(sid, key))
    }
    for (const [sid, key] of [
      ['b1\0k1', ''],
      ['b1', 'k1\0'],
      ['..', 'k1'],
      ['b1', '../k1'],
      [{ toString: () => 'b1' }, 'k1'],
      ['b1', ['k1']],
    ]) {
      expect(() => cache.resolve(ref(sid, key))).toThrow(expect.objectContaining({ code: 'INVALID_ID' }))
    }
  })
})
