/**
 * The `{sid}/{key}.json` metadata blob: the file record minus its offset (always derived from
 * the data blob's block list), plus the store's own state under `azure`. Same fields and
 * version as the S3 store's metadata object.
 * @module
 */
import type { ConcatRole, FileMeta, FileRef, Retention } from '@psitransfer/core'

/** Store-private state, kept in the metadata object. */
export interface AzureState {
  /** Block size of this upload (fixed at creation, see `blockSizeFor`). */
  blockSize: number
}

/** What the metadata object holds: everything but `offset`. */
export type StoredMeta = Omit<FileMeta, 'offset' | 'storeState'> & { azure: AzureState }

const VERSION = 1

export function encodeMeta(meta: StoredMeta): string {
  return JSON.stringify({ v: VERSION, ...meta })
}

/** Public record: the stored one plus the derived offset; a deep copy, safe to hand out. */
export function toFileMeta(meta: StoredMeta, offset: number): FileMeta {
  const { azure, ...rest } = structuredClone(meta)
  return { ...rest, offset, storeState: { ...azure } }
}

const isStr = (v: unknown): v is string => typeof v === 'string'
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isIntOrNull = (v: unknown): v is number | null => v === null || isInt(v)

function isRetention(v: unknown): v is Retention {
  return v === 'one-time' || (typeof v === 'number' && Number.isFinite(v) && v >= 0)
}

function isConcat(v: unknown): v is ConcatRole {
  if (typeof v !== 'object' || v === null) return false
  const c = v as { kind?: unknown; parts?: unknown }
  if (c.kind === 'partial') return true
  return c.kind === 'final' && Array.isArray(c.parts) && c.parts.every(isStr)
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isStr)
}

function isAzureState(v: unknown): v is AzureState {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Partial<AzureState>
  return isInt(s.blockSize) && s.blockSize > 0
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
  const ok =
    isStr(m.name) &&
    isStr(m.relativePath) &&
    isStr(m.comment) &&
    isStr(m.type) &&
    isRetention(m.retention) &&
    (m.password === undefined || isStr(m.password)) &&
    isIntOrNull(m.uploadLength) &&
    isTime(m.createdAt) &&
    (m.expiresAt === null || isTime(m.expiresAt)) &&
    (m.lastDownload === null || isTime(m.lastDownload)) &&
    isInt(m.downloads) &&
    typeof m.bucketLocked === 'boolean' &&
    typeof m.complete === 'boolean' &&
    (m.concat === undefined || isConcat(m.concat)) &&
    isStringRecord(m.extra) &&
    isAzureState(m.azure)
  if (!ok) return null
  const { v: _v, ...meta } = m
  return meta as unknown as StoredMeta
}
