/**
 * Maps node:fs errors to core errors. Messages are for clients and never contain paths; the
 * original error (with its path) stays in `cause` for the operator's log.
 * @module
 */
import {
  isPsiError,
  NotFoundError,
  PsiError,
  StorageFullError,
  StoreUnavailableError,
  toPsiError,
} from '@psitransfer/core'

/** The `code` of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = errnoCode(err)
  return code !== undefined && codes.includes(code)
}

/** Codes that mean "the path is not a plain entry we created" (a planted symlink, a file where a dir should be). */
export const UNSAFE_ENTRY_CODES = ['ELOOP', 'ENOTDIR', 'EISDIR'] as const

/**
 * Converts an fs error into a {@link PsiError}. `details` (e.g. `{ offset }`) is attached to
 * storage-full errors so callers can tell the client where to resume.
 */
export function fsError(err: unknown, details?: Record<string, unknown>): PsiError {
  if (isPsiError(err)) return err
  switch (errnoCode(err)) {
    case 'ENOENT':
    case 'ELOOP':
    case 'ENOTDIR':
    case 'EISDIR':
      return new NotFoundError('Not found', { cause: err })
    case 'ENOSPC':
    case 'EDQUOT':
      return new StorageFullError(undefined, details ? { cause: err, details } : { cause: err })
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new PsiError(
        'STORE_MISCONFIGURED',
        'The storage is not writable (permission denied or read-only file system)',
        { cause: err },
      )
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EIO':
      return new StoreUnavailableError(undefined, { cause: err })
    default:
      return toPsiError(err)
  }
}
