import { contentDisposition } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { isInlineSafe, safeContentType } from './mime.js'

describe('contentDisposition', () => {
  it('quotes ASCII names and adds RFC 5987 for others', () => {
    expect(contentDisposition('report.pdf')).toBe('attachment; filename="report.pdf"')
    expect(contentDisposition('a"b\\c.txt')).toBe(
      `attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`,
    )
    expect(contentDisposition('Übersicht (1).txt', 'inline')).toBe(
      `inline; filename="_bersicht (1).txt"; filename*=UTF-8''%C3%9Cbersicht%20%281%29.txt`,
    )
  })
})

describe('content types', () => {
  it('trusts only well-formed MIME types', () => {
    expect(safeContentType('image/png')).toBe('image/png')
    expect(safeContentType('Text/HTML; charset=utf-8')).toBe('text/html')
    expect(safeContentType('')).toBe('application/octet-stream')
    expect(safeContentType('not a type')).toBe('application/octet-stream')
    expect(safeContentType('text/plain\r\nX-Evil: 1')).toBe('application/octet-stream')
  })
  it('allows inline only for types that cannot run script', () => {
    expect(isInlineSafe('image/png')).toBe(true)
    expect(isInlineSafe('video/mp4')).toBe(true)
    expect(isInlineSafe('text/plain')).toBe(true)
    expect(isInlineSafe('application/pdf')).toBe(true)
    expect(isInlineSafe('image/svg+xml')).toBe(false)
    expect(isInlineSafe('text/html')).toBe(false)
    expect(isInlineSafe('application/xhtml+xml')).toBe(false)
  })
})
