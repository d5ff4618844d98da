/**
 * `Content-Disposition` (RFC 6266) for downloads: an ASCII fallback `filename` and, when the name
 * is not plain ASCII, the exact UTF-8 name in an RFC 5987 `filename*`. One function for the
 * server's own downloads and the stores' signed URLs (S3 presigned, Azure SAS), so a file is
 * named alike whichever path serves it.
 * @module
 */

/** RFC 5987 `attr-char` is ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is percent-encoded. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${(c.codePointAt(0) as number).toString(16).toUpperCase()}`,
  )
}

export function contentDisposition(filename: string, type: 'attachment' | 'inline' = 'attachment'): string {
  // Outside printable ASCII, quotes and backslashes become `_` in the fallback.
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  const base = `${type}; filename="${fallback}"`
  return fallback === filename ? base : `${base}; filename*=UTF-8''${encodeRfc5987(filename)}`
}
