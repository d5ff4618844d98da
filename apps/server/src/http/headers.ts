/**
 * Security headers. App pages get a strict CSP; served files get `sandbox` so that an
 * uploaded HTML or SVG file can never run script in our origin, even when opened directly.
 * @module
 */

export const APP_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * The app page's CSP, also allowing connections to `origins` (where a store's direct uploads
 * send the browser: S3's presigned part URLs).
 */
export function appPageCsp(origins: readonly string[] = []): string {
  if (origins.length === 0) return APP_PAGE_CSP
  return APP_PAGE_CSP.replace("connect-src 'self'", `connect-src 'self' ${origins.join(' ')}`)
}

export const FILE_CSP =
  "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"

/**
 * Inline PDF previews. Browsers refuse to render a PDF inside a sandboxed document, and the web
 * app shows previews in a same-origin frame, so an inline PDF gets no `sandbox` but may only be
 * framed by our own pages. A PDF cannot run script in our origin: browsers render it in their
 * own isolated viewer (Chromium's PDF extension, Firefox's pdf.js), never as a document of ours.
 */
export const PDF_PREVIEW_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "frame-ancestors 'self'",
  'X-Frame-Options': 'SAMEORIGIN',
}

/** Sent on every response. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  // Share links are secrets: never leak them to other sites through Referer.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
}

/** Headers of the TUS endpoint for browsers on other origins. */
export const TUS_CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, HEAD, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'Authorization, Content-Type, Location, Tus-Extension, Tus-Max-Size, Tus-Resumable, Tus-Version, ' +
    'Upload-Concat, Upload-Defer-Length, Upload-Length, Upload-Metadata, Upload-Offset, Upload-Checksum, ' +
    'X-HTTP-Method-Override, X-Requested-With, X-Request-Id, X-Passwd, X-Bucket-Token, X-Request-Token',
  'Access-Control-Expose-Headers':
    'Location, Tus-Extension, Tus-Max-Size, Tus-Resumable, Tus-Version, Tus-Checksum-Algorithm, Upload-Concat, ' +
    'Upload-Defer-Length, Upload-Length, Upload-Metadata, Upload-Offset, Upload-Expires, X-Request-Id, X-Bucket-Token',
  'Access-Control-Max-Age': '86400',
}

/** Headers of the IETF resumable-upload endpoint for browsers on other origins (fetch hides 1xx). */
export const RESUMABLE_CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, PUT, HEAD, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'Content-Type, Content-Disposition, Upload-Complete, Upload-Offset, Upload-Length, Upload-Metadata, ' +
    'Upload-Draft-Interop-Version, X-Request-Id, X-Passwd, X-Bucket-Token',
  'Access-Control-Expose-Headers':
    'Location, Upload-Complete, Upload-Offset, Upload-Length, Upload-Limit, X-Request-Id, X-Bucket-Token',
  'Access-Control-Max-Age': '86400',
}
