/**
 * `Content-Disposition` for SAS downloads (RFC 6266 with an RFC 5987 `filename*`), the same
 * header the S3 store puts in its presigned URLs (kept here so this package needs no S3 code).
 * @module
 */

/** RFC 5987 `attr-char` encoding: percent-encodes everything but `A-Za-z0-9!#$&+-.^_`|~`. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export function contentDisposition(
  filename: string,
  disposition: 'attachment' | 'inline' = 'attachment',
): string {
  // ASCII fallback for old clients: anything outside printable ASCII, quotes and backslashes become `_`.
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(filename)}`
}
