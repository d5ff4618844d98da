import { describe, expect, it } from 'vitest'
import { isBucketId, newBucketId } from './ids.js'

describe('newBucketId', () => {
  it('makes 128-bit base64url ids the server accepts', () => {
    const ids = new Set(Array.from({ length: 500 }, () => newBucketId()))
    expect(ids.size).toBe(500)
    for (const id of ids) {
      expect(isBucketId(id)).toBe(true)
      expect(id.length === 22 || id.length === 23).toBe(true)
    }
  })

  it('never starts with - or _ (the server requires a letter or digit first)', () => {
    const leadingDash = () => new Uint8Array(16).fill(0xfb) // base64 "+" → "-" first
    const id = newBucketId(leadingDash)
    expect(id.startsWith('x-')).toBe(true)
    expect(isBucketId(id)).toBe(true)
  })
})

describe('isBucketId', () => {
  it('rejects separators and traversal', () => {
    for (const bad of ['', '../x', 'a/b', 'a+b', '-abc', 'a'.repeat(65), 'a b'])
      expect(isBucketId(bad)).toBe(false)
  })
})
