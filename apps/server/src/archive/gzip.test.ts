import { randomBytes } from 'node:crypto'
import { gunzipSync, inflateRawSync, constants as zlibConstants } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { looksCompressible, storedBlocks, storedCapacity, storedOffset } from './gzip.js'

describe('stored deflate blocks laid out in place', () => {
  it.each([0, 1, 65_534, 65_535, 65_536, 3 * 65_535 + 17, storedCapacity(256 * 1024)])(
    '%i bytes inflate back to themselves',
    (length) => {
      const data = new Uint8Array(randomBytes(length))
      const buf = new Uint8Array(storedOffset(length) + length + 3)
      buf.set(data, storedOffset(length))
      const framed = storedBlocks(buf, length)
      expect(framed.byteLength).toBe(length + 5 * Math.max(1, Math.ceil(length / 65_535)))
      const back = inflateRawSync(framed, { finishFlush: zlibConstants.Z_SYNC_FLUSH })
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
    },
  )

  it('fills a buffer exactly at its capacity', () => {
    for (const size of [65_540, 65_541, 65_546, 131_080, 256 * 1024, 1024 * 1024]) {
      const cap = storedCapacity(size)
      expect(storedOffset(cap) + cap, String(size)).toBeLessThanOrEqual(size)
      expect(storedOffset(cap + 1) + cap + 1, String(size)).toBeGreaterThan(size)
    }
  })

  it('joins with zlib-compressed runs into one gzip member a standard gunzip reads', async () => {
    const { deflateRawSync, crc32 } = await import('node:zlib')
    const { GZIP_HEADER, gzipTrailer } = await import('./gzip.js')
    const noise = new Uint8Array(randomBytes(100_000))
    const text = new TextEncoder().encode('stored, then compressed, then stored again. '.repeat(3000))
    const parts: Uint8Array[] = [GZIP_HEADER]
    for (const piece of [noise, text, noise]) {
      if (piece === text) parts.push(deflateRawSync(piece, { finishFlush: zlibConstants.Z_SYNC_FLUSH }))
      else {
        const buf = new Uint8Array(storedOffset(piece.byteLength) + piece.byteLength)
        buf.set(piece, storedOffset(piece.byteLength))
        parts.push(storedBlocks(buf, piece.byteLength))
      }
    }
    parts.push(deflateRawSync(new Uint8Array(0)))
    const all = Buffer.concat([noise, text, noise])
    parts.push(gzipTrailer(crc32(all), all.byteLength))
    expect(gunzipSync(Buffer.concat(parts)).equals(all)).toBe(true)
  })
})

describe('looksCompressible', () => {
  const encode = (s: string) => new TextEncoder().encode(s)
  it('stores noise (also behind a tar header) and compresses text, base64 and zeros', () => {
    const noise = new Uint8Array(randomBytes(256 * 1024))
    expect(looksCompressible(noise)).toBe(false)
    expect(looksCompressible(noise.subarray(0, 1024))).toBe(false)
    expect(looksCompressible(Buffer.concat([new Uint8Array(512), noise.subarray(0, 16 * 1024)]))).toBe(false)
    expect(looksCompressible(encode('lorem ipsum dolor sit amet '.repeat(5000)))).toBe(true)
    expect(looksCompressible(encode(Buffer.from(noise).toString('base64')))).toBe(true)
    expect(looksCompressible(new Uint8Array(8192))).toBe(true)
  })

  it('draws the line where Huffman coding alone would save about 6 %', () => {
    const bits = (mask: number) => new Uint8Array(randomBytes(8192)).map((b) => b & mask)
    expect(looksCompressible(bits(0x7f))).toBe(true)
    // 254 of 256 values: entropy 7.99, deflate saves nothing.
    expect(looksCompressible(bits(0xff).map((b) => Math.max(b, 2)))).toBe(false)
  })
})
