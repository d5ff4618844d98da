/**
 * The `{key}.json` sidecar. We write PsiTransfer's shape
 * (`{uploadLength, metadata: {...}, isPartial, key, size, offset}`, strings where PsiTransfer
 * writes strings) so PsiTransfer and its tools can still read our data directory, plus our own
 * fields under `psi`. Reading accepts everything PsiTransfer ever wrote: numbers as strings,
 * missing fields, `isPartial`, legacy retentions, Argon2id or plaintext passwords.
 * Shared fields are read from PsiTransfer's places, so an edit by PsiTransfer wins.
 * @module
 */
import {
  type ConcatRole,
  type FileMeta,
  type FileRef,
  parseFileName,
  parseRelativePath,
  type Retention,
  UNTIL_DELETED,
} from '@psitransfer/core'

/** Version of our `psi` block. */
export const SIDECAR_VERSION = 1

/**
 * Retention of a PsiTransfer file whose retention is neither `one-time` nor a number (custom
 * retention keys): PsiTransfer keeps those until `maxAge`, so we report "unlimited" and
 * `expiresAt: null`; the server caps by maxAge. The raw value is kept when the sidecar is rewritten.
 */
export const UNKNOWN_RETENTION = Number.MAX_SAFE_INTEGER

/** `metadata` keys PsiTransfer (or we) interpret; any other string entry is client metadata (`extra`). */
const KNOWN_METADATA_KEYS = new Set([
  'sid',
  'key',
  'name',
  'comment',
  'type',
  'retention',
  'password',
  'createdAt',
  'lastDownload',
  'buckedLocked',
  'locked',
  'uploadLength',
])

type Json = Record<string, unknown>

/** What the data file's stat contributes to the record. */
export interface DataStat {
  size: number
  mtimeMs: number
}

export type DecodeResult = { ok: true; meta: FileMeta } | { ok: false; reason: string }

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Integer from a number or a decimal string (PsiTransfer stores many numbers as strings). */
function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined
  if (typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim())) {
    const n = Number(v.trim())
    return Number.isSafeInteger(n) ? n : undefined
  }
  return undefined
}

function toNonNegInt(v: unknown): number | undefined {
  const n = toInt(v)
  return n !== undefined && n >= 0 ? n : undefined
}

function toBool(v: unknown): boolean {
  return v === true || v === 'true'
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

/** PsiTransfer's retention: `one-time`, `until-deleted`, seconds as number or string, or a custom key. */
export function parseRetention(v: unknown): Retention {
  if (v === 'one-time' || v === UNTIL_DELETED) return v
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim())
  return UNKNOWN_RETENTION
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** A safe basename from whatever an old sidecar holds (falls back to the file id). */
function safeName(v: unknown, fallback: string): string {
  if (typeof v !== 'string') return fallback
  try {
    return parseFileName(v)
  } catch {
    const base = v.split(/[/\\]/).pop() ?? ''
    let cleaned = base.replace(UNSAFE_NAME_CHARS, '').trim()
    while (new TextEncoder().encode(cleaned).byteLength > 255) cleaned = cleaned.slice(0, -1)
    try {
      return parseFileName(cleaned)
    } catch {
      return fallback
    }
  }
}

function safeRelativePath(v: unknown): string {
  if (typeof v !== 'string' || v === '') return ''
  try {
    return parseRelativePath(v)
  } catch {
    return ''
  }
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isObject(v)) return out
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val
  return out
}

function parseConcat(v: unknown): ConcatRole | undefined {
  if (!isObject(v)) return undefined
  if (v.kind === 'partial') return { kind: 'partial' }
  if (v.kind === 'final' && Array.isArray(v.parts) && v.parts.every((p) => typeof p === 'string')) {
    return { kind: 'final', parts: [...(v.parts as string[])] }
  }
  return undefined
}

/** True for sidecars we wrote: their completion follows from the data file's size alone. */
export function completionFromSize(raw: unknown): boolean {
  return isObject(raw) && isObject(raw.metadata) && isObject(raw.psi)
}

/**
 * Builds the record from a parsed sidecar and the data file's stat. Identity comes from the
 * (parsed) path, never from the JSON. Returns `ok: false` for documents that are not sidecars.
 */
export function decodeSidecar(raw: unknown, ref: FileRef, data: DataStat): DecodeResult {
  if (!isObject(raw)) return { ok: false, reason: 'sidecar is not a JSON object' }
  const md = raw.metadata
  if (!isObject(md)) return { ok: false, reason: 'sidecar has no metadata object' }
  const psi = isObject(raw.psi) ? raw.psi : undefined

  const retention = parseRetention(md.retention)
  const createdAt = toInt(md.createdAt) ?? Math.floor(data.mtimeMs)
  // Our sidecars (with `psi`): the data file is authoritative, all bytes in means complete (the
  // store hides files whose completion it has not finalized yet). PsiTransfer's: `isPartial`.
  const marked = psi ? true : !toBool(raw.isPartial)
  // PsiTransfer files that finished before uploadLength was recorded: their length is their size.
  const uploadLength =
    toNonNegInt(raw.uploadLength) ?? toNonNegInt(md.uploadLength) ?? (marked && !psi ? data.size : null)
  // A file is only complete if its bytes are all there (a truncated file is never served as whole).
  const complete = marked && uploadLength !== null && data.size === uploadLength
  const lastDownload = toNonNegInt(md.lastDownload) ?? null

  let expiresAt: number | null
  if (psi && 'expiresAt' in psi) expiresAt = toInt(psi.expiresAt) ?? null
  else if (typeof retention === 'number' && retention !== UNKNOWN_RETENTION)
    expiresAt = createdAt + retention * 1000
  else expiresAt = null

  let extra: Record<string, string>
  if (psi) extra = stringRecord(psi.extra)
  else {
    extra = stringRecord(md)
    for (const k of KNOWN_METADATA_KEYS) delete extra[k]
  }

  const meta: FileMeta = {
    sid: ref.sid,
    key: ref.key,
    name: safeName(md.name, ref.key),
    relativePath: safeRelativePath(psi?.relativePath),
    comment: str(md.comment),
    type: str(md.type),
    retention,
    uploadLength,
    offset: data.size,
    createdAt,
    expiresAt,
    lastDownload,
    downloads: toNonNegInt(psi?.downloads) ?? (lastDownload !== null ? 1 : 0),
    bucketLocked: toBool(md.buckedLocked) || toBool(md.locked),
    complete,
    extra,
  }
  // PsiTransfer treats an empty password as none.
  if (typeof md.password === 'string' && md.password !== '') meta.password = md.password
  const concat = parseConcat(psi?.concat)
  if (concat) meta.concat = concat
  if (isObject(psi?.storeState)) meta.storeState = structuredClone(psi.storeState)
  return { ok: true, meta }
}

/** Keeps `previous` (e.g. PsiTransfer's string) when it already means `value`. */
function keepRaw<T>(
  previous: unknown,
  parse: (v: unknown) => T | undefined,
  value: T,
  fresh: unknown,
): unknown {
  return previous !== undefined && parse(previous) === value ? previous : fresh
}

/**
 * Serializes a record as a sidecar. Entries of `previous` we do not own (other metadata keys
 * from PsiTransfer, unknown top-level fields) are kept, and so is the raw spelling of values
 * that did not change (`"3600"`, custom retention keys).
 */
export function encodeSidecar(meta: FileMeta, previous: unknown, size: number): Json {
  const prev = isObject(previous) ? previous : {}
  const prevMd = isObject(prev.metadata) ? prev.metadata : {}
  const md: Json = { ...prevMd }
  md.sid = meta.sid
  md.key = meta.key
  md.name = meta.name
  md.comment = meta.comment
  md.type = meta.type
  md.retention = keepRaw(prevMd.retention, parseRetention, meta.retention, String(meta.retention))
  md.createdAt = keepRaw(prevMd.createdAt, toInt, meta.createdAt, String(meta.createdAt))
  if (meta.uploadLength === null) delete md.uploadLength
  else md.uploadLength = keepRaw(prevMd.uploadLength, toInt, meta.uploadLength, String(meta.uploadLength))
  if (meta.password === undefined) delete md.password
  else md.password = meta.password
  if (meta.lastDownload === null) delete md.lastDownload
  else md.lastDownload = meta.lastDownload
  md.buckedLocked = meta.bucketLocked
  if (!meta.bucketLocked) delete md.locked

  const psi: Json = {
    version: SIDECAR_VERSION,
    expiresAt: meta.expiresAt,
    downloads: meta.downloads,
    complete: meta.complete,
    relativePath: meta.relativePath,
    extra: { ...meta.extra },
  }
  if (meta.concat) psi.concat = meta.concat
  if (meta.storeState) psi.storeState = meta.storeState

  return {
    ...prev,
    uploadLength: meta.uploadLength,
    metadata: md,
    isPartial: !meta.complete,
    key: meta.key,
    size,
    offset: size,
    psi,
  }
}
