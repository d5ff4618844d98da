import { describe, expect, it } from 'vitest'
import { contentDisposition } from './content-disposition.js'

describe('contentDisposition (RFC 6266 / RFC 5987)', () => {
  it('sends a plain ASCII name as a quoted filename only', () => {
    expect(contentDisposition('report.pdf')).toBe('attachment; filename="report.pdf"')
    expect(contentDisposition('a b;c=d.txt', 'inline')).toBe('inline; filename="a b;c=d.txt"')
  })

  it('adds the exact UTF-8 name as filename* when the fallback had to change it', () => {
    expect(contentDisposition('Übersicht (1).txt', 'inline')).toBe(
      `inline; filename="_bersicht (1).txt"; filename*=UTF-8''%C3%9Cbersicht%20%281%29.txt`,
    )
    expect(contentDisposition('日本.txt')).toBe(
      `attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`,
    )
    // Astral characters are one code point but two UTF-16 units: two `_`, four UTF-8 bytes.
    expect(contentDisposition('😀')).toBe(`attachment; filename="__"; filename*=UTF-8''%F0%9F%98%80`)
  })

  it('never lets a quote or backslash end the quoted fallback', () => {
    expect(contentDisposition('a"b\\c.txt')).toBe(
      `attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`,
    )
  })

  it('percent-encodes everything outside RFC 5987 attr-char', () => {
    const header = contentDisposition("it's (*).txt ü")
    const ext = header.split("filename*=UTF-8''")[1] as string
    expect(ext).toMatch(/^[A-Za-z0-9!#$&+\-.^_`|~%]+$/)
    expect(decodeURIComponent(ext)).toBe("it's (*).txt ü")
  })

  it('cannot inject header lines or parameters', () => {
    for (const name of ['a\r\nSet-Cookie: x=1', 'a\nb', 'a\u0000b', 'a\u007fb', '"; filename="evil.exe']) {
      const header = contentDisposition(name)
      expect(header).toMatch(/^[\x20-\x7e]+$/)
      // Exactly one quoted fallback, then at most the extended parameter.
      expect(header).toMatch(
        /^attachment; filename="[^"\\]*"(; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+)?$/,
      )
    }
  })
})
