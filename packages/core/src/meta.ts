/**
 * The file record: what PsiTransfer keeps per uploaded file, plus TUS state and room for
 * store-specific data. Stores persist it (the FS store as a `{key}.json` sidecar, S3 as a
 * `{sid}/{key}.json` object) and the TUS state machine and server read it.
 * @module
 */
import { PsiError } from './errors.js'
import type { BucketId, FileId, FileRef } from './ids.js'

/**
 * PsiTransfer retention: seconds until expiry, `one-time` (deleted after one complete download),
 * or `until-deleted` (no expiry of its own: kept until someone deletes it, or `maxAge`).
 */
export type Retention = number | 'one-time' | 'until-deleted'

/** The retention of files kept until deleted (servers offer it only without `maxAge`). */
export const UNTIL_DELETED = 'until-deleted'

/** TUS concatenation role of an upload. */
export type ConcatRole =
  | { readonly kind: 'partial' }
  | { readonly kind: 'final'; readonly parts: readonly string[] }

export interface FileMeta extends FileRef {
  readonly sid: BucketId
  readonly key: FileId
  /** Safe basename shown to users and used in Content-Disposition. */
  name: string
  /** Folder path inside the upload (`photos/2024`), for folder uploads; `''` for none. */
  relativePath: string
  comment: string
  /** MIME type as sent by the client (`''` when unknown). */
  type: string
  retention: Retention
  /**
   * Password hash (PHC string such as `$argon2id$…` or `$scrypt$…`). Legacy PsiTransfer data
   * may hold plaintext, which the server compares in constant time. Never sent to clients.
   */
  password?: string
  /** Total length in bytes, or `null` while deferred (TUS creation-defer-length). */
  uploadLength: number | null
  /**
   * Durable bytes. Stores derive this from the backing storage (file size, S3 parts + tail),
   * never from a counter that can drift.
   */
  offset: number
  /** Creation time (ms since epoch). */
  createdAt: number
  /** Expiry time (ms since epoch); nothing is served or resumed after it. `null` = never. */
  expiresAt: number | null
  /** Last completed download (ms), `null` if never downloaded. */
  lastDownload: number | null
  /** Completed downloads. */
  downloads: number
  /** The bucket was locked by its uploader: no new files may be added to it. */
  bucketLocked: boolean
  /** All bytes received and storage finalized (e.g. S3 multipart completed). */
  complete: boolean
  /** TUS concatenation role, if any. */
  concat?: ConcatRole
  /** Other `Upload-Metadata` pairs the client sent (not interpreted). */
  extra: Record<string, string>
  /** Store-private state (S3 UploadId, …). Opaque to everyone but the store that wrote it. */
  storeState?: Record<string, unknown>
}

/** Fields given to {@link Store.create}; `offset`, `complete` and counters start at zero. */
export type NewFile = Omit<FileMeta, 'offset' | 'complete' | 'downloads' | 'lastDownload' | 'storeState'> & {
  lastDownload?: number | null
  downloads?: number
}

/** Fields {@link Store.update} may change. Identity and byte state are owned by the store. */
export type MetaPatch = Partial<
  Pick<
    FileMeta,
    | 'name'
    | 'relativePath'
    | 'comment'
    | 'type'
    | 'retention'
    | 'password'
    | 'uploadLength'
    | 'expiresAt'
    | 'lastDownload'
    | 'downloads'
    | 'bucketLocked'
    | 'extra'
  >
>

/** True if the upload is one-time (deleted after its first complete download). */
export function isOneTime(meta: Pick<FileMeta, 'retention'>): boolean {
  return meta.retention === 'one-time'
}

/** True when the file's expiry time has passed at `now`. */
export function isExpired(meta: Pick<FileMeta, 'expiresAt'>, now: number): boolean {
  return meta.expiresAt !== null && now >= meta.expiresAt
}

/**
 * Expiry as PsiTransfer computes it: `createdAt + retention` for numeric retentions, never
 * later than `createdAt + maxAge`. One-time files live until downloaded, and `until-deleted`
 * ones until deleted, both capped by maxAge (`null`: no expiry at all).
 */
export function computeExpiry(
  createdAt: number,
  retention: Retention,
  maxAgeMs: number | null,
): number | null {
  // Rounded to the ms: a chosen date's retention is fractional (ms / 1000) and must land on it.
  const byRetention = typeof retention === 'number' ? createdAt + Math.round(retention * 1000) : null
  const byMaxAge = maxAgeMs === null ? null : createdAt + maxAgeMs
  if (byRetention === null) return byMaxAge
  if (byMaxAge === null) return byRetention
  return Math.min(byRetention, byMaxAge)
}

/** The fields {@link Store.update} may change: exactly the keys of {@link MetaPatch}. */
export const PATCHABLE_FIELDS: ReadonlySet<string> = new Set<keyof MetaPatch>([
  'name',
  'relativePath',
  'comment',
  'type',
  'retention',
  'password',
  'uploadLength',
  'expiresAt',
  'lastDownload',
  'downloads',
  'bucketLocked',
  'extra',
])

/** True for a valid `uploadLength`: a non-negative safe integer, or `null` (deferred). */
export function isUploadLength(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
}

/**
 * The one rule set every store applies in {@link Store.update}: returns a patched deep copy.
 * - fields outside {@link MetaPatch} (identity, offset, completion, store state) are refused;
 * - `undefined` values are ignored, except `password: undefined`, which removes the password;
 * - `uploadLength` follows TUS: it may be set once while deferred, to no less than the
 *   `storedBytes` already received, and never changed afterwards.
 */
export function applyMetaPatch<M extends Pick<FileMeta, 'uploadLength'> & { password?: string }>(
  meta: M,
  patch: MetaPatch,
  storedBytes: number,
): M {
  const next = structuredClone(meta)
  for (const [key, value] of Object.entries(patch)) {
    if (!PATCHABLE_FIELDS.has(key)) throw new PsiError('INVALID_INPUT', `Field "${key}" cannot be changed`)
    if (value === undefined) {
      if (key === 'password') delete next.password
    } else if (key !== 'uploadLength') {
      ;(next as Record<string, unknown>)[key] = structuredClone(value)
    }
  }
  const length = patch.uploadLength
  if (length !== undefined && length !== meta.uploadLength) {
    if (!isUploadLength(length) || length === null) {
      throw new PsiError('INVALID_INPUT', 'Upload length must be a non-negative integer')
    }
    if (meta.uploadLength !== null)
      throw new PsiError('INVALID_INPUT', 'The upload length cannot be changed once set')
    if (length < storedBytes) {
      throw new PsiError(
        'INVALID_INPUT',
        `Upload length ${length} is smaller than the ${storedBytes} bytes already received`,
      )
    }
    next.uploadLength = length
  }
  return next
}

const isStr = (v: unknown): v is string => typeof v === 'string'
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function isRetentionValue(v: unknown): v is Retention {
  return v === 'one-time' || v === UNTIL_DELETED || (typeof v === 'number' && Number.isFinite(v) && v >= 0)
}

function isConcatRole(v: unknown): v is ConcatRole {
  if (typeof v !== 'object' || v === null) return false
  const c = v as { kind?: unknown; parts?: unknown }
  if (c.kind === 'partial') return true
  return c.kind === 'final' && Array.isArray(c.parts) && c.parts.every(isStr)
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isStr)
}

/**
 * Whether a parsed JSON record holds every stored field of a {@link FileMeta} with the right
 * types (all but `offset` and `storeState`, which stores derive or keep their own way). For
 * stores that keep the record as JSON beside the data (S3, Azure): one check of what a damaged
 * or foreign record may lack, so every such store skips the same garbage.
 */
export function hasStoredFileFields(m: Record<string, unknown>): boolean {
  return (
    isStr(m.sid) &&
    isStr(m.key) &&
    isStr(m.name) &&
    isStr(m.relativePath) &&
    isStr(m.comment) &&
    isStr(m.type) &&
    isRetentionValue(m.retention) &&
    (m.password === undefined || isStr(m.password)) &&
    (m.uploadLength === null || isCount(m.uploadLength)) &&
    isTime(m.createdAt) &&
    (m.expiresAt === null || isTime(m.expiresAt)) &&
    (m.lastDownload === null || isTime(m.lastDownload)) &&
    isCount(m.downloads) &&
    typeof m.bucketLocked === 'boolean' &&
    typeof m.complete === 'boolean' &&
    (m.concat === undefined || isConcatRole(m.concat)) &&
    isStringRecord(m.extra)
  )
}
