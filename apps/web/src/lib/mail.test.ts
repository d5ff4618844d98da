import { describe, expect, it } from 'vitest'
import { buildMailto, looksLikeAddress } from './mail.js'

const url = 'https://x.test/abc?a=1&b=2'
const PSI_DEFAULT = 'mailto:?subject=File Transfer&body=You can download the files here: %%URL%%'

describe('buildMailto', () => {
  it("fills PsiTransfer's default template and appends the expiry to the body", () => {
    const href = buildMailto(PSI_DEFAULT, { url, expiry: 'Available until 1 May.' })
    expect(href).toBe(
      `mailto:?subject=File Transfer&body=You can download the files here: ${encodeURIComponent(url)}${encodeURIComponent('\n\nAvailable until 1 May.')}`,
    )
    const body = decodeURIComponent(new URL(href.replace(/ /g, '%20')).searchParams.get('body') ?? '')
    expect(body).toContain(url)
    expect(body).toContain('Available until 1 May.')
  })

  it('appends to a body that is followed by more parameters', () => {
    const href = buildMailto('mailto:?body=Link: %%URL%%&subject=Hi', { url: 'u', expiry: 'E', note: 'N' })
    expect(href).toBe(`mailto:?body=Link: u${encodeURIComponent('\n\nE N')}&subject=Hi`)
  })

  it('fills %%EXPIRY%% where the template has it', () => {
    expect(buildMailto('mailto:?body=%%URL%% (%%EXPIRY%%)', { url: 'u', expiry: 'soon' })).toBe(
      'mailto:?body=u (soon)',
    )
  })

  it('adds a body with the link when the template has none', () => {
    expect(buildMailto('mailto:?subject=Files', { url: 'u', expiry: 'E' })).toBe(
      `mailto:?subject=Files&body=u${encodeURIComponent('\n\nE')}`,
    )
  })
})

describe('looksLikeAddress', () => {
  it('takes one plain address and nothing that could be several or carry a header', () => {
    for (const ok of ['a@example.org', 'first.last+tag@mail.example.co.uk'])
      expect(looksLikeAddress(ok), ok).toBe(true)
    for (const bad of [
      '',
      'nope',
      'a@b',
      'a@example.org, b@example.org',
      'Anna <a@example.org>',
      'a@example.org\r\nBcc: e@evil.example',
      ' a@example.org',
    ])
      expect(looksLikeAddress(bad), bad).toBe(false)
  })
})
