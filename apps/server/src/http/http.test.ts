import { contentDisposition } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { uniqueEntryNames } from '../archive/names.js'
import { DEFAULT_RETENTIONS } from '../config.js'
import { langMessages, pickLanguage, retentionLabel } from '../i18n.js'
import { silentLogger } from '../logger.js'
import { clientIpOf, clientKeyOf, trustedForwarded } from './client.js'
import { isInlineSafe, safeContentType } from './mime.js'
import { parseRange } from './range.js'

describe('parseRange', () => {
  it('parses single ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'range', range: { start: 0, end: 9 } })
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'range', range: { start: 90, end: 99 } })
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'range', range: { start: 90, end: 99 } })
    expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'range', range: { start: 0, end: 99 } })
    expect(parseRange('bytes=50-1000', 100)).toEqual({ kind: 'range', range: { start: 50, end: 99 } })
  })
  it('reports unsatisfiable ranges and ignores malformed or multiple ones', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange(undefined, 100)).toEqual({ kind: 'none' })
    expect(parseRange('bytes=5-1', 100)).toEqual({ kind: 'none' })
    expect(parseRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'none' })
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'none' })
  })
})

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

describe('archive entry names', () => {
  it('keeps folders and makes duplicates unique, case-insensitively', () => {
    expect(
      uniqueEntryNames([
        { name: 'a.txt', relativePath: '' },
        { name: 'A.txt', relativePath: '' },
        { name: 'a.txt', relativePath: '' },
        { name: 'a.txt', relativePath: 'docs/2024' },
        { name: '.bashrc', relativePath: '' },
        { name: '.bashrc', relativePath: '' },
        { name: 'archive.tar.gz', relativePath: '' },
        { name: 'archive.tar.gz', relativePath: '' },
        { name: 'docs', relativePath: '' },
      ]),
    ).toEqual([
      'a.txt',
      'A (2).txt',
      'a (3).txt',
      'docs/2024/a.txt',
      '.bashrc',
      '.bashrc (2)',
      'archive.tar.gz',
      'archive.tar (2).gz',
      'docs (2)',
    ])
  })
})

describe('languages', () => {
  it('picks ?lang, then Accept-Language by quality, then the default', () => {
    expect(pickLanguage('de', 'fr', 'en')).toBe('de')
    expect(pickLanguage(undefined, 'xx, fr;q=0.5, it;q=0.9', 'en')).toBe('it')
    expect(pickLanguage(undefined, 'zh-TW,zh;q=0.9', 'en')).toBe('zh-tw')
    expect(pickLanguage(undefined, 'zh-Hant-HK', 'en')).toBe('zh-tw')
    expect(pickLanguage(undefined, 'de-AT', 'en')).toBe('de')
    expect(pickLanguage('xx', 'xx', 'fr')).toBe('fr')
    expect(pickLanguage(undefined, undefined, 'nonsense')).toBe('en')
  })
  it('translates default retention labels and keeps custom ones', () => {
    expect(retentionLabel('3600', '1 Hour', 'de')).toBe('1 Stunde')
    expect(retentionLabel('1209600', '2 Weeks', 'ru')).toBe('2 недели')
    expect(retentionLabel('one-time', 'one time download', 'fr')).toBe('Téléchargement unique')
    expect(retentionLabel('3600', 'Eine Stunde!', 'de')).toBe('Eine Stunde!')
    expect(retentionLabel('3600', '1 Hour', 'en')).toBe('1 Hour')
    expect(Object.keys(langMessages(DEFAULT_RETENTIONS, 'ja'))[0]).toBe('retention.one-time')
  })
})

describe('client address behind trusted proxies', () => {
  const facts = (xff: string | undefined, remoteAddress = '10.0.0.2') => ({
    header: (name: string) => (name === 'x-forwarded-for' ? xff : undefined),
    remoteAddress,
    log: silentLogger,
  })

  it('takes the entry the outermost trusted proxy wrote, never the client-written leftmost', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; our one proxy appended the address it saw.
    expect(clientIpOf(facts('6.6.6.6, 198.51.100.7'), 1)).toBe('198.51.100.7')
    expect(clientIpOf(facts('6.6.6.6, 198.51.100.7, 10.0.0.9'), 2)).toBe('198.51.100.7')
    // Fewer entries than trusted hops: all of them came through trusted proxies.
    expect(clientIpOf(facts('198.51.100.7'), 3)).toBe('198.51.100.7')
    // Not trusted: the peer address, whatever the header says.
    expect(clientIpOf(facts('6.6.6.6, 198.51.100.7'), 0)).toBe('10.0.0.2')
    expect(clientIpOf(facts(undefined), 1)).toBe('10.0.0.2')
    expect(clientIpOf(facts(' , '), 1)).toBe('10.0.0.2')
    expect(trustedForwarded('http, https', 1)).toBe('https')
    expect(trustedForwarded('evil.example,files.example', 1)).toBe('files.example')
  })

  it('counts IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientKeyOf(facts(undefined, '2001:db8:0:1:aaaa::1'), 0)).toBe('2001:db8:0:1::/64')
    expect(clientKeyOf(facts(undefined, '2001:0DB8:0000:0001:ffff:1:2:3'), 0)).toBe('2001:db8:0:1::/64')
    expect(clientKeyOf(facts(undefined, '2001:db8::7'), 0)).toBe('2001:db8:0:0::/64')
    expect(clientKeyOf(facts(undefined, '::1'), 0)).toBe('0:0:0:0::/64')
    expect(clientKeyOf(facts(undefined, '::ffff:192.0.2.1'), 0)).toBe('192.0.2.1')
    expect(clientKeyOf(facts('192.0.2.9'), 1)).toBe('192.0.2.9')
  })
})
