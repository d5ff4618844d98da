/**
 * Metadata patches and the checks shared by create/update: which fields a patch may touch and
 * how lengths are validated.
 * @module
 */
import { type FileMeta, type MetaPatch, PsiError } from '@psitransfer/core'

export function invalidInput(message: string): PsiError {
  return new PsiError('INVALID_INPUT', message)
}

export function checkLength(value: unknown): number | null {
  if (value === null) return null
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidInput('Upload length must be a non-negative integer')
  }
  return value
}

/** Fields a patch may set ({@link MetaPatch}); identity and byte state belong to the store. */
const PATCHABLE = new Set<string>([
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

/**
 * Applies a patch. `undefined` values are ignored, except `password: undefined`, which removes
 * the password. Fields outside {@link MetaPatch} are refused, never applied.
 */
export function applyPatch(meta: FileMeta, patch: MetaPatch): FileMeta {
  const next: FileMeta = { ...meta, extra: { ...meta.extra } }
  for (const [k, v] of Object.entries(patch)) {
    if (!PATCHABLE.has(k)) throw invalidInput(`Field "${k}" cannot be changed`)
    if (v === undefined) {
      if (k === 'password') delete next.password
      continue
    }
    ;(next as unknown as Record<string, unknown>)[k] =
      k === 'extra' ? { ...(v as Record<string, string>) } : v
  }
  if (patch.uploadLength !== undefined) {
    const length = checkLength(patch.uploadLength)
    if (length !== null && length < meta.offset) {
      throw invalidInput(`Upload length ${length} is smaller than the ${meta.offset} bytes already received`)
    }
    next.uploadLength = length
  }
  return next
}
