/**
 * The `{sid}/{key}.json` metadata object: the file record minus its offset (always derived
 * from S3), plus the store's own state under `s3`.
 * @module
 */
import { type FileMeta, type FileRef, hasStoredFileFields } from '@psitransfer/core'
import { isIncarnation } from './keys.js'

/** Store-private state, kept in the metadata object. */
export interface S3State {
  /** Incarnation token: names this upload's segments and claims. */
  inc: string
  /** Part size of this upload (fixed at creation). */
  partSize: number
  /** Multipart upload id; absent for uploads small enough for one PutObject. */
  uploadId?: string
}

/** What the metadata object holds: everything but `offset`. */
export type StoredMeta = Omit<FileMeta, 'offset' | 'storeState'> & { s3: S3State }

const VERSION = 1

export function encodeMeta(meta: StoredMeta): string {
  return JSON.stringify({ v: VERSION, ...meta })
}

/** Public record: the stored one plus the derived offset; a deep copy, safe to hand out. */
export function toFileMeta(meta: StoredMeta, offset: number): FileMeta {
  const { s3, ...rest } = structuredClone(meta)
  return { ...rest, offset, storeState: { ...s3 } }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isStr = (v: unknown): v is string => typeof v === 'string'

function isS3State(v: unknown): v is S3State {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Partial<S3State>
  return (
    isIncarnation(s.inc) &&
    isInt(s.partSize) &&
    s.partSize > 0 &&
    (s.uploadId === undefined || (isStr(s.uploadId) && s.uploadId !== ''))
  )
}

/** Parses a metadata object; `null` for anything damaged or not belonging to `ref`. */
export function decodeMeta(text: string, ref: FileRef): StoredMeta | null {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null
  const m = raw as Record<string, unknown>
  if (m.v !== VERSION || m.sid !== ref.sid || m.key !== ref.key) return null
  if (!hasStoredFileFields(m) || !isS3State(m.s3)) return null
  const { v: _v, ...meta } = m
  return meta as unknown as StoredMeta
}
