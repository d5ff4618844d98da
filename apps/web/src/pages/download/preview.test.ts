import { describe, expect, it } from 'vitest'
import { inlineUrl, pdfEmbeddable, readText } from './preview.js'

describe('inlineUrl', () => {
  it('adds inline=1 next to an existing token', () => {
    expect(inlineUrl('https://x.test/files/a++b?token=t')).toBe('https://x.test/files/a++b?token=t&inline=1')
    expect(inlineUrl('https://x.test/files/a++b')).toBe('https://x.test/files/a++b?inline=1')
  })
})

describe('readText', () => {
  const stream = (...parts: string[]) =>
    new Response(
      new ReadableStream({
        start(c) {
          for (const p of parts) c.enqueue(new TextEncoder().encode(p))
          c.close()
        },
      }),
    )

  it('reads the whole text when it fits', async () => {
    expect(await readText(stream('hello ', 'wörld'), 100)).toEqual({ text: 'hello wörld', truncated: false })
  })

  it('stops at the limit and says so', async () => {
    expect(await readText(stream('abcdef', 'ghij'), 8)).toEqual({ text: 'abcdefgh', truncated: true })
  })
})

describe('pdfEmbeddable', () => {
  const h = (entries: Record<string, string>) => new Headers(entries)

  it('embeds PDFs the server lets this origin frame', () => {
    expect(pdfEmbeddable(h({}))).toBe(true)
    expect(
      pdfEmbeddable(
        h({ 'x-frame-options': 'SAMEORIGIN', 'content-security-policy': "frame-ancestors 'self'" }),
      ),
    ).toBe(true)
  })

  it('does not embed when framing is denied or the PDF is sandboxed', () => {
    expect(pdfEmbeddable(h({ 'x-frame-options': 'DENY' }))).toBe(false)
    expect(
      pdfEmbeddable(h({ 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" })),
    ).toBe(false)
    expect(pdfEmbeddable(h({ 'content-security-policy': "sandbox; default-src 'none'" }))).toBe(false)
  })
})
