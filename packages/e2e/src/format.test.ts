// Size arithmetic, resume points, base64url and link helpers.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  base64urlDecode,
  base64urlEncode,
  ciphertextSize,
  decodeKey,
  E2EFormatError,
  encodeKey,
  generateKey,
  keyFromLink,
  keyToFragment,
  linkWithKey,
  linkWithoutKey,
  plaintextSize,
  recordCount,
  recordOffset,
  resumePoint,
} from './index.js'

const R = 65536
const S = 65552

describe('sizes', () => {
  it('ciphertextSize: header, plaintext and one tag per record (an empty file is one record)', () => {
    expect(ciphertextSize(0)).toBe(56)
    expect(ciphertextSize(1)).toBe(57)
    expect(ciphertextSize(R)).toBe(40 + S)
    expect(ciphertextSize(R + 1)).toBe(40 + S + 17)
    expect(ciphertextSize(5 * 2 ** 30)).toBe(40 + 5 * 2 ** 30 + 16 * 81920)
  })

  it('plaintextSize inverts ciphertextSize around every record boundary', () => {
    for (const base of [0, R, 2 * R, 1000 * R])
      for (let d = -20; d <= 20; d++) {
        const p = base + d
        if (p >= 0) expect(plaintextSize(ciphertextSize(p))).toBe(p)
      }
  })

  it('plaintextSize refuses every size no file has, and exactly those', () => {
    const valid = new Set<number>()
    for (let p = 0; p <= 3 * R; p++) valid.add(ciphertextSize(p))
    const wrong: number[] = [] // checked without an expect per size: 200k expects take seconds
    for (let c = 0; c <= ciphertextSize(3 * R); c++) {
      let ok: boolean
      try {
        ok = ciphertextSize(plaintextSize(c)) === c
      } catch (err) {
        ok = err instanceof E2EFormatError && !valid.has(c)
      }
      if (!ok) wrong.push(c)
    }
    expect(wrong).toEqual([])
  })

  it('refuses negative, fractional and unsafe sizes', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => ciphertextSize(bad)).toThrow(RangeError)
      expect(() => plaintextSize(bad)).toThrow(RangeError)
    }
  })

  it('recordCount and recordOffset', () => {
    expect([0, 1, R, R + 1, 2 * R].map(recordCount)).toEqual([1, 1, 1, 2, 2])
    expect([0, 1, 2].map(recordOffset)).toEqual([40, 40 + S, 40 + 2 * S])
  })
})

describe('resumePoint', () => {
  it('inside the header: record 0 with the header, skipping the offset', () => {
    expect(resumePoint(0)).toEqual({ record: 0, plaintextOffset: 0, skip: 0 })
    expect(resumePoint(39)).toEqual({ record: 0, plaintextOffset: 0, skip: 39 })
  })

  it('in record 0 the output still starts with the header; later records start at their offset', () => {
    expect(resumePoint(40)).toEqual({ record: 0, plaintextOffset: 0, skip: 40 })
    expect(resumePoint(40 + S - 1)).toEqual({ record: 0, plaintextOffset: 0, skip: 40 + S - 1 })
    expect(resumePoint(40 + S)).toEqual({ record: 1, plaintextOffset: R, skip: 0 })
    expect(resumePoint(40 + 7 * S + 5)).toEqual({ record: 7, plaintextOffset: 7 * R, skip: 5 })
  })
})

describe('base64url', () => {
  it('round-trips every length and matches Node', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = new Uint8Array(randomBytes(n))
      const text = base64urlEncode(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64url'))
      expect(base64urlDecode(text)).toEqual(bytes)
    }
  })

  it('is strict: no padding, no other alphabet, no stray bits, no impossible length', () => {
    for (const bad of ['AA==', 'A+B/', 'AB C', 'A', 'AB', 'AAB', 'é'])
      expect(() => base64urlDecode(bad), bad).toThrow(E2EFormatError)
  })
})

describe('keys in links', () => {
  const key = generateKey()
  const encoded = encodeKey(key)

  it('a key is 43 base64url characters and decodes back', () => {
    expect(encoded).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(decodeKey(encoded)).toEqual(key)
    expect(() => decodeKey(encoded.slice(1))).toThrow(E2EFormatError)
    expect(() => decodeKey(`${encoded}A`)).toThrow(E2EFormatError)
  })

  it('linkWithKey puts it in the fragment, replacing an old key and keeping other parameters', () => {
    expect(linkWithKey('https://h/abc', key)).toBe(`https://h/abc#k=${encoded}`)
    expect(linkWithKey(`https://h/abc#k=${encodeKey(generateKey())}&x=1`, key)).toBe(
      `https://h/abc#k=${encoded}&x=1`,
    )
    expect(keyToFragment(key)).toBe(`k=${encoded}`)
  })

  it('keyFromLink finds it in a link, a fragment or k=, and returns null without one', () => {
    expect(keyFromLink(`https://h/files/a++b?token=1.2#k=${encoded}`)).toEqual(key)
    expect(keyFromLink(`https://h/a#x=1&k=${encoded}`)).toEqual(key)
    expect(keyFromLink(`#k=${encoded}`)).toEqual(key)
    expect(keyFromLink(`k=${encoded}`)).toEqual(key)
    expect(keyFromLink('https://h/a')).toBeNull()
    expect(keyFromLink('https://h/a#x=1')).toBeNull()
    expect(() => keyFromLink('https://h/a#k=short')).toThrow(E2EFormatError)
  })

  it('linkWithoutKey is what may be sent to the server', () => {
    expect(linkWithoutKey(`https://h/files/a++b?token=1#k=${encoded}`)).toBe('https://h/files/a++b?token=1')
    expect(linkWithoutKey('https://h/a')).toBe('https://h/a')
  })
})
