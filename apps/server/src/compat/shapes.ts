/**
 * PsiTransfer's JSON shapes, mapped from our file records (issue #18, items 2 and 4).
 *
 * PsiTransfer answers `GET {sid}.json` and `GET admin/data.json` with its stored records:
 * `{ key, uploadLength, size, offset, isPartial?, metadata: { sid, key, name, comment, type,
 * retention, createdAt, uploadLength, lastDownload?, buckedLocked? } }` (numbers it got from
 * headers or `Date.now().toString()` kept as strings, `buckedLocked` spelled as it does).
 * We build that shape, never with a password hash, and put our own listing fields beside it
 * (additive) so our web app and PsiTransfer's client read the same body.
 *
 * Deliberate differences: client metadata we do not interpret (`extra`) is not echoed (it may
 * hold server bookkeeping); listings hold only complete files; protected files' URLs carry
 * `?token=`.
 * @module
 */
import { type FileMeta, formatFileRef, isOneTime } from '@psitransfer/core'
import { byCreation, fileSize, passwordHashes } from '../bucket.js'

/** `metadata` of a PsiTransfer record. */
export interface PsiMetadata {
  sid: string
  /** Absent in admin records of protected files (PsiTransfer removes it there). */
  key?: string
  name: string
  comment: string
  type: string
  /** `"one-time"` or seconds, as a string (what PsiTransfer's client sent). */
  retention: string
  /** Folder path inside the upload, `''` for none. */
  relativePath: string
  /** Milliseconds since the epoch, as a decimal string. */
  createdAt: string
  /** Declared length as a decimal string; absent while deferred. */
  uploadLength?: string
  /** Milliseconds since the epoch of the last complete download. */
  lastDownload?: number
  /** PsiTransfer's spelling. */
  buckedLocked?: boolean
  /** Admin records only: the file has a download password (never the hash). */
  _password?: true
}

/** A PsiTransfer stored record. */
export interface PsiRecord {
  /** Absent in admin records of protected files. */
  key?: string
  /** `null` while deferred (TUS creation-defer-length). */
  uploadLength: number | null
  size: number
  offset: number
  /** Only while the upload is unfinished. */
  isPartial?: true
  metadata: PsiMetadata
}

function metadataOf(f: FileMeta): PsiMetadata {
  const md: PsiMetadata = {
    sid: f.sid,
    key: f.key,
    name: f.name,
    comment: f.comment,
    type: f.type,
    retention: String(f.retention),
    relativePath: f.relativePath,
    createdAt: String(f.createdAt),
  }
  if (f.uploadLength !== null) md.uploadLength = String(f.uploadLength)
  if (f.lastDownload !== null) md.lastDownload = f.lastDownload
  if (f.bucketLocked) md.buckedLocked = true
  return md
}

/** PsiTransfer's stored record of a file, without any password. */
export function psiRecord(f: FileMeta): PsiRecord {
  const r: PsiRecord = {
    key: f.key,
    uploadLength: f.uploadLength,
    // PsiTransfer's size is the bytes on disk: the received bytes while an upload runs.
    size: f.complete ? fileSize(f) : f.offset,
    offset: f.offset,
    metadata: metadataOf(f),
  }
  if (!f.complete) r.isPartial = true
  return r
}

/** One item of `GET {sid}.json`: PsiTransfer's record plus our own fields. */
export type ListingItem = PsiRecord & {
  key: string
  url: string
  name: string
  relativePath: string
  comment: string
  type: string
  createdAt: number
  expiresAt: number | null
  oneTime: boolean
  downloaded: boolean
  /** End-to-end encrypted: the sealed name/comment/type the browser opens (upload/encrypted.ts). */
  encrypted?: true
  e2e?: string
  /** Complete downloads left of a limited file (one-time: 1); `null` when unlimited. */
  downloadsLeft?: number | null
}

export interface ListingBody {
  items: ListingItem[]
  archiveToken: string
  config: { maxPreviewSize: number }
  sid: string
  zipUrl: string
  tarGzUrl: string
  protected: boolean
  /** Some file is end-to-end encrypted (no server archives). */
  encrypted?: true
}

/**
 * The body of `GET {B}{sid}.json` for the bucket's servable files (after the password check).
 * `downloadToken` is the `?token=` every URL of a protected bucket carries; `archiveToken`
 * comes from {@link import('./archive-token.js').listingArchiveToken}.
 */
export function listingBody(args: {
  sid: string
  files: readonly FileMeta[]
  baseUrl: string
  archiveToken: string
  downloadToken: string | undefined
  maxPreviewSize: number
  /** Our fields an item gets from rules this layer does not know (encryption, download limits). */
  itemFields?: (f: FileMeta) => Pick<ListingItem, 'encrypted' | 'e2e' | 'downloadsLeft'>
}): ListingBody {
  const { sid, baseUrl: base, archiveToken } = args
  const query = args.downloadToken ? `?token=${args.downloadToken}` : ''
  const items = [...args.files].sort(byCreation).map(
    (f): ListingItem => ({
      ...psiRecord(f),
      key: f.key,
      url: `${base}files/${formatFileRef(f)}${query}`,
      name: f.name,
      relativePath: f.relativePath,
      comment: f.comment,
      type: f.type,
      createdAt: f.createdAt,
      expiresAt: f.expiresAt,
      oneTime: isOneTime(f),
      downloaded: f.downloads > 0,
      ...args.itemFields?.(f),
    }),
  )
  return {
    items,
    archiveToken,
    config: { maxPreviewSize: args.maxPreviewSize },
    sid,
    zipUrl: `${base}files/${sid}++${archiveToken}.zip${query}`,
    tarGzUrl: `${base}files/${sid}++${archiveToken}.tar.gz${query}`,
    protected: passwordHashes(args.files).length > 0,
    ...(items.some((i) => i.encrypted) ? { encrypted: true as const } : {}),
  }
}

/**
 * PsiTransfer's admin record: a protected file gets `metadata._password: true` and, as in
 * PsiTransfer, loses its key (and URL) so the admin list hands out nothing to download it with.
 */
export function psiAdminRecord(f: FileMeta): PsiRecord {
  const r = psiRecord(f)
  if (!f.password) return r
  const { key: _k, ...metadata } = r.metadata
  const { key: _key, ...rest } = r
  return { ...rest, metadata: { ...metadata, _password: true } }
}

/**
 * The body of `GET {B}admin/data.json` in PsiTransfer's shape: `{ <sid>: [records] }`, files by
 * creation, buckets newest first (JSON puts integer-like keys first; PsiTransfer's page does
 * not care about the order). Every top-level key is a bucket id (its admin page iterates
 * them), so nothing of ours can sit beside it: our web app reads its own admin shape elsewhere.
 */
export function adminBody(files: Iterable<FileMeta>): Record<string, PsiRecord[]> {
  const bySid = new Map<string, FileMeta[]>()
  for (const f of files) {
    const list = bySid.get(f.sid)
    if (list) list.push(f)
    else bySid.set(f.sid, [f])
  }
  const buckets = [...bySid.entries()].map(([sid, list]) => ({
    sid,
    list: list.sort(byCreation),
    created: Math.min(...list.map((f) => f.createdAt)),
  }))
  buckets.sort((a, b) => b.created - a.created || (a.sid < b.sid ? -1 : 1))
  // Bucket ids never start with `_`, so `__proto__` cannot be one; a plain object is safe.
  const out: Record<string, PsiRecord[]> = {}
  for (const b of buckets) out[b.sid] = b.list.map(psiAdminRecord)
  return out
}
