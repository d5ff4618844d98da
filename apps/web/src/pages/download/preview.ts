/** The URL of a file for previewing: `inline=1` asks the server for `Content-Disposition: inline` + CSP sandbox. */
export function inlineUrl(absUrl: string): string {
  const u = new URL(absUrl)
  u.searchParams.set('inline', '1')
  return u.href
}

/** Reads at most `limit` bytes of a response as UTF-8 text; `truncated` tells whether more was there. */
export async function readText(res: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) {
    const buf = new Uint8Array(await res.arrayBuffer())
    return { text: new TextDecoder().decode(buf.subarray(0, limit)), truncated: buf.length > limit }
  }
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let read = 0
  let truncated = false
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    const room = limit - read
    if (value.length > room) {
      text += decoder.decode(value.subarray(0, room), { stream: true })
      truncated = true
      await reader.cancel()
      break
    }
    read += value.length
    text += decoder.decode(value, { stream: true })
  }
  return { text: text + decoder.decode(), truncated }
}

/**
 * Whether the browser will show a PDF response inside our page: not when the server forbids framing
 * (`X-Frame-Options`, `frame-ancestors 'none'`) or sandboxes it (Chromium's PDF viewer needs scripts,
 * so a sandboxed PDF renders as a blocked page). Then the modal offers "open in a new tab" instead.
 */
export function pdfEmbeddable(headers: Pick<Headers, 'get'>): boolean {
  const xfo = (headers.get('x-frame-options') ?? '').toLowerCase()
  const csp = (headers.get('content-security-policy') ?? '').toLowerCase()
  if (xfo.includes('deny')) return false
  if (/frame-ancestors\s+'none'/.test(csp)) return false
  return !/(^|;)\s*sandbox\b/.test(csp)
}
