import { describe, expect, it } from 'vitest'
import { encodeUploadMetadata, parseUploadMetadata } from './metadata.js'

describe('Upload-Metadata', () => {
  it('decodes UTF-8 values and keys without values', () => {
    const header = `name ${btoa('caf\u00c3\u00a9.txt')},is_confidential,sid YWJj`
    expect(parseUploadMetadata(header)).toEqual({ name: 'café.txt', is_confidential: '', sid: 'abc' })
  })

  it('round-trips through the encoder', () => {
    const md = { name: '日本語 ファイル.pdf', comment: 'a, b c', empty: '' }
    expect(parseUploadMetadata(encodeUploadMetadata(md))).toEqual(md)
  })

  it.each([
    ['name', 'name !!!'],
    ['bad base64 length', 'name YWJ'],
    ['two spaces', 'name YWJj extra'],
    ['space in key', 'na me YWJj'],
    ['duplicate', 'a YQ==,a Yg=='],
    ['invalid utf-8', `a ${btoa('\u00ff\u00fe')}`],
    ['empty pair', 'a YQ==,,b Yg=='],
  ])('rejects %s', (_label, header) => {
    expect(() => parseUploadMetadata(header)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })

  it('treats an absent or empty header as no metadata', () => {
    expect(parseUploadMetadata(null)).toEqual({})
    expect(parseUploadMetadata('  ')).toEqual({})
  })

  it('does not let keys reach Object.prototype', () => {
    const md = parseUploadMetadata(`__proto__ ${btoa('x')}`)
    expect(Object.getPrototypeOf(md)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})
