import { describe, expect, it } from 'vitest'
import { DEFAULT_SID_LENGTH, isBucketId, newBucketId, newBucketToken, sidLength } from './ids.js'

describe('newBucketId', () => {
  it('makes 22-character base64url ids the server accepts by default', () => {
    const ids = new Set(Array.from({ length: 500 }, () => newBucketId()))
    expect(ids.size).toBe(500)
    for (const id of ids) {
      expect(isBucketId(id)).toBe(true)
      expect(id).toHaveLength(DEFAULT_SID_LENGTH)
    }
  })

  it('makes ids of the configured length (randomDownloadSidLength)', () => {
    for (const length of [12, 16, 40, 64]) {
      const ids = new Set(Array.from({ length: 200 }, () => newBucketId(length)))
      expect(ids.size).toBe(200)
      for (const id of ids) {
        expect(id).toHaveLength(length)
        expect(isBucketId(id)).toBe(true)
      }
    }
  })

  it('uses every character of the alphabet evenly', () => {
    const counts = new Map<string, number>()
    for (let i = 0; i < 2000; i++)
      for (const c of newBucketId(32).slice(1)) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(64)
    // 62,000 draws over 64 characters: about 969 each.
    for (const n of counts.values()) expect(n).toBeGreaterThan(700)
  })

  it('never starts with - or _ (the server requires a letter or digit first)', () => {
    // 62 → "-", 63 → "_": the first two draws are skipped, the rest is kept.
    let call = 0
    const bytes = (n: number) => {
      call++
      return call === 1 ? new Uint8Array(n).fill(62).fill(63, 1).fill(0, 2) : new Uint8Array(n).fill(1)
    }
    const id = newBucketId(12, bytes)
    expect(id).toBe(`${'A'.repeat(10)}BB`)
    expect(isBucketId(id)).toBe(true)
  })
})

describe('sidLength', () => {
  it('takes the server setting within bounds, else the default', () => {
    expect(sidLength(12)).toBe(12)
    expect(sidLength(64)).toBe(64)
    for (const bad of [undefined, 0, 11, 65, 12.5, Number.NaN])
      expect(sidLength(bad)).toBe(DEFAULT_SID_LENGTH)
  })
})

describe('isBucketId', () => {
  it('rejects separators and traversal', () => {
    for (const bad of ['', '../x', 'a/b', 'a+b', '-abc', 'a'.repeat(65), 'a b'])
      expect(isBucketId(bad)).toBe(false)
  })
})

describe('newBucketToken', () => {
  it('makes 32 base64url characters (192 bits), as the server accepts for a new bucket', () => {
    const a = newBucketToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(newBucketToken()).not.toBe(a)
    expect(newBucketToken((n) => new Uint8Array(n).fill(63))).toBe('_'.repeat(32))
  })
})
