/**
 * The `{sid}/{key}.json` metadata blob: the file record minus its offset (always derived from
 * the data blob's block list), plus the store's own state under `azure`. Same fields and
 * version as the S3 store's metadata object.
 * @module
 */
import { type FileMeta, type FileRef, hasStoredFileFields } from '@psitransfer/core'

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

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

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
  if (!hasStoredFileFields(m) || !isAzureState(m.azure)) return null
  const { v: _v, ...meta } = m
  return meta as unknown as StoredMeta
}
