import type { BucketId, FileId } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { KeyLayout } from './keys.js'

const ref = { sid: 'abc123' as BucketId, key: 'Kx_9-z' as FileId }

describe('KeyLayout', () => {
  it('builds every key under {prefix}{sid}/{key} and parses them back', () => {
    const k = new KeyLayout('p/')
    expect(k.data(ref)).toBe('p/abc123/Kx_9-z')
    expect(k.meta(ref)).toBe('p/abc123/Kx_9-z.json')
    expect(k.segment(ref, 'inc1', 42)).toBe('p/abc123/Kx_9-z.part.inc1.000000000000042')
    expect(k.lock(ref, 7)).toBe('p/abc123/Kx_9-z.lock.000000000007')
    expect(k.claim(ref, 'inc1')).toBe('p/abc123/Kx_9-z.claim.inc1')
    for (const key of [
      k.data(ref),
      k.meta(ref),
      k.segment(ref, 'inc1', 42),
      k.lock(ref, 7),
      k.claim(ref, 'inc1'),
    ]) {
      expect(k.parse(key)?.ref).toEqual(ref)
    }
    expect(k.parse(k.segment(ref, 'inc1', 42))).toMatchObject({ kind: 'segment', inc: 'inc1', n: 42 })
    expect(k.parse(k.lock(ref, 7))).toMatchObject({ kind: 'lock', n: 7 })
  })

  it('parses foreign and damaged keys as nothing', () => {
    const k = new KeyLayout('p/')
    for (const key of [
      'other/abc/def',
      'p/.psitransfer-write-check',
      'p/abc',
      'p/../x/y',
      'p/abc/def.exe',
      'p/abc/def.part.x',
      'p/a b/c',
      'p/abc/.json',
    ]) {
      expect(k.parse(key)).toBeNull()
    }
  })

  it('refuses forged refs', () => {
    const k = new KeyLayout('')
    for (const bad of [
      { sid: '..', key: 'x' },
      { sid: 'a/b', key: 'x' },
      { sid: 'a', key: '../b' },
      { sid: 'a', key: 'b.json' },
    ]) {
      expect(() => k.data(bad as unknown as typeof ref)).toThrow(/Invalid/)
    }
  })
})
