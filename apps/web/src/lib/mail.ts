/**
 * PsiTransfer's `mailTemplate` is a `mailto:` URL with `%%URL%%` where the share link goes. We also fill
 * `%%EXPIRY%%` when present; otherwise the expiry sentence (and a password hint) is appended to the body.
 */
export interface MailParts {
  url: string
  /** Sentence telling until when the files are available, already translated. */
  expiry: string
  /** Optional extra sentence, e.g. that a password is needed. */
  note?: string
}

export function buildMailto(template: string, parts: MailParts): string {
  const enc = encodeURIComponent
  const extra = [parts.expiry, parts.note].filter(Boolean).join(' ')
  let href = template.replaceAll('%%URL%%', enc(parts.url))
  if (href.includes('%%EXPIRY%%')) return href.replaceAll('%%EXPIRY%%', enc(extra))
  if (!extra) return href
  const addition = enc(`\n\n${extra}`)
  const bodyAt = href.search(/[?&]body=/i)
  if (bodyAt >= 0) {
    // Append to the end of the body parameter (it runs until the next `&` or the end).
    const start = href.indexOf('=', bodyAt) + 1
    const next = href.indexOf('&', start)
    const end = next < 0 ? href.length : next
    return href.slice(0, end) + addition + href.slice(end)
  }
  href += href.includes('?') ? '&' : '?'
  return `${href}body=${enc(parts.url)}${addition}`
}

/**
 * Whether `text` looks like one plain `name@example.com` address: a quick check before asking
 * the server, which decides (it refuses display names, lists and line breaks as well).
 */
export function looksLikeAddress(text: string): boolean {
  return text.length <= 254 && /^[^\s@,;<>()"]+@[^\s@,;<>()"]+\.[A-Za-z]{2,63}$/.test(text)
}
