import { describe, expect, it } from 'vitest'
import { inlineUrl, readText } from './preview.js'

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
