/**
 * RFC 6266 / RFC 5987 `Content-Disposition` with an ASCII fallback `filename` and the exact
 * UTF-8 name in `filename*`.
 * @module
 */

/** RFC 5987 `attr-char` is ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is percent-encoded. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${(c.codePointAt(0) as number).toString(16).toUpperCase()}`,
  )
}

/** ASCII-only fallback: non-ASCII and quote/backslash become `_`. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_')
}

export function contentDisposition(filename: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = asciiFallback(filename)
  const base = `${type}; filename="${fallback}"`
  return fallback === filename ? base : `${base}; filename*=UTF-8''${encodeRfc5987(filename)}`
}
