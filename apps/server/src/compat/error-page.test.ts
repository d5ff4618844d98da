import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LANGUAGES } from '../i18n.js'
import {
  ERROR_PAGE_CSP,
  type ErrorKind,
  errorKindFor,
  escapeHtml,
  htmlErrorAnswer,
  renderErrorPage,
  wantsHtml,
} from './error-page.js'

const KINDS: ErrorKind[] = ['notFound', 'gone', 'unauthorized', 'changed', 'error']
const CHROME_NAV =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7'
const FIREFOX_NAV = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

describe('wantsHtml (Accept negotiation)', () => {
  it('browser navigations get HTML', () => {
    expect(wantsHtml(CHROME_NAV)).toBe(true)
    expect(wantsHtml(FIREFOX_NAV)).toBe(true)
    expect(wantsHtml('text/html')).toBe(true)
  })
  it('API clients keep JSON: no header, wildcard, JSON, fetch/XHR defaults', () => {
    expect(wantsHtml(undefined)).toBe(false)
    expect(wantsHtml('')).toBe(false)
    expect(wantsHtml('*/*')).toBe(false)
    expect(wantsHtml('application/json')).toBe(false)
    expect(wantsHtml('application/json, text/plain, */*')).toBe(false)
    expect(wantsHtml('text/*')).toBe(false)
  })
  it('q-values decide when both are named', () => {
    expect(wantsHtml('application/json, text/html;q=0.5')).toBe(false)
    expect(wantsHtml('text/html;q=0.9, application/json;q=0.5')).toBe(true)
    expect(wantsHtml('text/html;q=0, */*')).toBe(false)
    expect(wantsHtml('TEXT/HTML; Q=1')).toBe(true)
    expect(wantsHtml('text/html, application/*;q=1')).toBe(true)
  })
})

describe('renderErrorPage', () => {
  it('escapes every interpolated value', () => {
    const html = renderErrorPage({
      lang: 'en',
      kind: 'notFound',
      status: 404,
      homeUrl: '/x"><script>alert(1)</script>',
      requestId: '<img src=x onerror=alert(1)>',
    })
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('href="/x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;')
  })
  it('has no script, no external asset, and its one style matches the CSP hash', () => {
    for (const lang of LANGUAGES) {
      for (const kind of KINDS) {
        const html = renderErrorPage({ lang, kind, status: 404, homeUrl: '/' })
        expect(html).not.toMatch(/<script|\son\w+=|javascript:/i)
        expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i)
        const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string)
        expect(styles).toHaveLength(1)
        const hash = createHash('sha256')
          .update(styles[0] as string)
          .digest('base64')
        expect(ERROR_PAGE_CSP).toContain(`'sha256-${hash}'`)
      }
    }
    expect(ERROR_PAGE_CSP).toContain("default-src 'none'")
    expect(ERROR_PAGE_CSP).not.toContain('unsafe-inline')
  })
  it('is written in the requested language, with a different text per kind', () => {
    const de = renderErrorPage({ lang: 'de', kind: 'gone', status: 410, homeUrl: '/' })
    expect(de).toContain('<html lang="de">')
    expect(de).toContain('Bereits heruntergeladen')
    expect(de).toContain('Dateien teilen')
    expect(renderErrorPage({ lang: 'zh-tw', kind: 'notFound', status: 404, homeUrl: '/' })).toContain(
      '<html lang="zh-TW">',
    )
    for (const lang of LANGUAGES) {
      const pages = KINDS.map((kind) => renderErrorPage({ lang, kind, status: 400, homeUrl: '/' }))
      expect(new Set(pages).size).toBe(KINDS.length)
      if (lang !== 'en') {
        const en = renderErrorPage({ lang: 'en', kind: 'notFound', status: 404, homeUrl: '/' })
        expect(renderErrorPage({ lang, kind: 'notFound', status: 404, homeUrl: '/' })).not.toBe(
          en.replace('lang="en"', `lang="${lang === 'zh-tw' ? 'zh-TW' : lang}"`),
        )
      }
    }
  })
  it('shows the status and links the upload page', () => {
    const html = renderErrorPage({ lang: 'en', kind: 'unauthorized', status: 401, homeUrl: '/psi/upload/' })
    expect(html).toContain('>401<')
    expect(html).toContain('<a href="/psi/upload/">Share files</a>')
  })
})

describe('errorKindFor', () => {
  it('maps our error codes', () => {
    expect(errorKindFor('NOT_FOUND')).toBe('notFound')
    expect(errorKindFor('INVALID_ID')).toBe('notFound')
    expect(errorKindFor('GONE')).toBe('gone')
    expect(errorKindFor('UNAUTHORIZED')).toBe('unauthorized')
    expect(errorKindFor('FORBIDDEN')).toBe('unauthorized')
    expect(errorKindFor('STORE_UNAVAILABLE')).toBe('error')
  })
})

describe('htmlErrorAnswer', () => {
  const opts = { defaultLanguage: 'en', homeUrl: '/' }
  it('JSON clients get undefined (the caller sends our JSON)', () => {
    expect(
      htmlErrorAnswer({ accept: '*/*', acceptLanguage: 'de' }, { status: 404, code: 'NOT_FOUND' }, opts),
    ).toBeUndefined()
  })
  it('language: ?lang= first, then Accept-Language by q, then the default', () => {
    const lang = (acceptLanguage: string | undefined, langQuery?: string) =>
      htmlErrorAnswer(
        { accept: FIREFOX_NAV, acceptLanguage, langQuery },
        { status: 404, code: 'NOT_FOUND' },
        opts,
      )?.headers['Content-Language']
    expect(lang('fr-CH, de;q=0.5')).toBe('fr')
    expect(lang('xx, de;q=0.5')).toBe('de')
    expect(lang('zh-Hant-TW')).toBe('zh-tw')
    expect(lang('de', 'ja')).toBe('ja')
    expect(lang(undefined)).toBe('en')
    expect(
      htmlErrorAnswer(
        { accept: FIREFOX_NAV, acceptLanguage: 'xx' },
        { status: 404, code: 'NOT_FOUND' },
        { ...opts, defaultLanguage: 'sv' },
      )?.headers['Content-Language'],
    ).toBe('sv')
  })
  it('keeps the status, sends the page CSP, never cached, varies on Accept', () => {
    const a = htmlErrorAnswer(
      { accept: CHROME_NAV, acceptLanguage: 'en' },
      { status: 410, code: 'GONE' },
      { ...opts, requestId: 'req-1' },
    )
    expect(a?.status).toBe(410)
    expect(a?.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': ERROR_PAGE_CSP,
      'Cache-Control': 'no-store',
      Vary: 'Accept, Accept-Language',
    })
    expect(a?.body).toContain('Already downloaded')
    expect(a?.body).toContain('req-1')
  })
  it('an explicit kind wins over the code (archive: the bucket changed)', () => {
    const a = htmlErrorAnswer(
      { accept: CHROME_NAV, acceptLanguage: 'en' },
      { status: 404, code: 'NOT_FOUND', kind: 'changed' },
      opts,
    )
    expect(a?.body).toContain('Files changed')
  })
})
