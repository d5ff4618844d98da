/**
 * Content types of served files. The client-declared type is only trusted when it is a
 * well-formed MIME type; whether a file may be shown inline is decided by an allowlist of
 * types a browser renders without running code (no HTML, no SVG, no XML).
 * @module
 */

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i

/** The stored type when it is a valid MIME type (parameters dropped), else octet-stream. */
export function safeContentType(type: string): string {
  const base = type.split(';')[0]?.trim().toLowerCase() ?? ''
  return MIME.test(base) ? base : 'application/octet-stream'
}

const INLINE_EXACT = new Set([
  'application/pdf',
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
])

/** Types that may be sent with `Content-Disposition: inline` (previews). */
export function isInlineSafe(contentType: string): boolean {
  if (INLINE_EXACT.has(contentType)) return true
  return contentType.startsWith('video/') || contentType.startsWith('audio/')
}

/** Text types get an explicit charset so browsers do not sniff one. */
export function withCharset(contentType: string): string {
  return contentType.startsWith('text/') || contentType === 'application/json'
    ? `${contentType}; charset=utf-8`
    : contentType
}
