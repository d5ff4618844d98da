/**
 * The header fields of the resumable-upload draft, which are Structured Fields (RFC 9651):
 * strict parsing of the Items the machine reads, serialization of `Upload-Limit`, the
 * `filename` of a `Content-Disposition` (RFC 6266), and problem documents (RFC 9457).
 * @module
 */

/**
 * The bare item of an sf-item, without its parameters, or `undefined` when the field is
 * absent. Parameters (`;key=value`) are allowed by RFC 9651 and carry nothing for us.
 */
function bareItem(raw: string | null): string | undefined {
  if (raw === null) return undefined
  return (raw.split(';')[0] ?? '').trim()
}

/**
 * A non-negative sf-integer (at most 15 digits), or `undefined` when absent or invalid: the
 * draft says a field of another value "MUST cause the entire header field to be ignored".
 */
export function parseSfNonNegativeInteger(raw: string | null): number | undefined {
  const item = bareItem(raw)
  if (item === undefined || !/^\d{1,15}$/.test(item)) return undefined
  return Number(item)
}

/** An sf-boolean (`?0`/`?1`), or `undefined` when absent or invalid (ignored, as above). */
export function parseSfBoolean(raw: string | null): boolean | undefined {
  const item = bareItem(raw)
  if (item === '?1') return true
  if (item === '?0') return false
  return undefined
}

export function sfBoolean(value: boolean): string {
  return value ? '?1' : '?0'
}

/** `Upload-Limit` keys the machine announces (the draft's; `min-*` are never imposed here). */
export interface UploadLimit {
  'max-size'?: number
  'max-append-size'?: number
  'max-age'?: number
}

/** Serializes an `Upload-Limit` Dictionary; `undefined` when no limit applies. */
export function serializeUploadLimit(limit: UploadLimit): string | undefined {
  const members = Object.entries(limit)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([k, v]) => `${k}=${v}`)
  return members.length > 0 ? members.join(', ') : undefined
}

/**
 * The file name of a `Content-Disposition` field: `filename*` (RFC 8187, UTF-8 only) when
 * present and decodable, else `filename` (token or quoted-string). `undefined` when there is
 * none; whether the name is acceptable is the `onCreate` hook's business.
 */
export function contentDispositionFilename(raw: string | null): string | undefined {
  if (raw === null) return undefined
  const params = new Map<string, string>()
  // disposition-type, then `; name=value` pairs whose values are tokens or quoted-strings.
  const param = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g
  for (const m of raw.matchAll(param)) {
    const name = (m[1] ?? '').toLowerCase()
    let value = m[2] ?? ''
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1')
    if (!params.has(name)) params.set(name, value)
  }
  const extended = params.get('filename*')
  if (extended !== undefined) {
    const m = /^utf-8'[^']*'(.*)$/i.exec(extended)
    if (m) {
      try {
        return decodeURIComponent(m[1] ?? '')
      } catch {
        // Malformed percent-encoding: fall back to the plain parameter.
      }
    }
  }
  return params.get('filename')
}

/** Problem types of the draft (IANA "HTTP Problem Types" registry). */
export const PROBLEM_TYPES = {
  mismatchingOffset: 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset',
  completedUpload: 'https://iana.org/assignments/http-problem-types#completed-upload',
  inconsistentLength: 'https://iana.org/assignments/http-problem-types#inconsistent-upload-length',
} as const

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** An RFC 9457 problem document; `type` defaults to `about:blank` (the status says it all). */
export function problemBody(
  status: number,
  title: string,
  extra: { type?: string; detail?: string; [member: string]: unknown } = {},
): string {
  const { type = 'about:blank', ...rest } = extra
  return JSON.stringify({ type, title, status, ...rest })
}
