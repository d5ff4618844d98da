/**
 * Metadata patches and the checks shared by create/update. The patch rules themselves are
 * core's ({@link applyMetaPatch}), shared by every store.
 * @module
 */
import { applyMetaPatch, type FileMeta, isUploadLength, type MetaPatch, PsiError } from '@psitransfer/core'

export function invalidInput(message: string): PsiError {
  return new PsiError('INVALID_INPUT', message)
}

export function checkLength(value: unknown): number | null {
  if (!isUploadLength(value)) throw invalidInput('Upload length must be a non-negative integer')
  return value
}

/** Applies a patch to a file whose data holds `meta.offset` bytes (see {@link applyMetaPatch}). */
export function applyPatch(meta: FileMeta, patch: MetaPatch): FileMeta {
  return applyMetaPatch(meta, patch, meta.offset)
}
