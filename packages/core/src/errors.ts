/**
 * One error hierarchy for the whole system. Every error has a stable `code`; the HTTP
 * adapter maps codes to statuses with {@link httpStatusFor} and never looks at messages.
 * Messages are written for the person at the other end: they never contain file system
 * paths, stack traces or credentials (adapters keep those in `cause`).
 *
 * One way to throw: `new PsiError(code, message, { details, cause })`, except for the codes in
 * {@link SUBCLASSED_CODES}, which are thrown only through their subclass, because it is what
 * guarantees the data and wording that code promises (`OFFSET_MISMATCH` always carries
 * `details.offset`, the others a stock message fit for the client). Catch by `code` (with
 * {@link isPsiError}), never with `instanceof` a subclass: it fails across duplicated module
 * instances.
 * @module
 */

/** Stable machine-readable error codes. Adding one means adding its HTTP status below. */
export const ERROR_STATUS = {
  /** Request is malformed (bad header, bad metadata). */
  INVALID_INPUT: 400,
  /** An id failed the strict id parser. */
  INVALID_ID: 400,
  /** A file name is not a safe basename. */
  INVALID_NAME: 400,
  /** Credentials missing. */
  UNAUTHORIZED: 401,
  /** Credentials wrong. */
  FORBIDDEN: 403,
  /** File, bucket or upload does not exist (or is not visible to the caller). */
  NOT_FOUND: 404,
  /** Method not allowed on this resource. */
  METHOD_NOT_ALLOWED: 405,
  /** `Upload-Offset` does not match the durable offset. */
  OFFSET_MISMATCH: 409,
  /** Upload expired or was terminated. */
  GONE: 410,
  /** Missing Content-Length where one is required. */
  LENGTH_REQUIRED: 411,
  /** `Tus-Resumable` missing or unsupported. */
  UNSUPPORTED_VERSION: 412,
  /** The request body arrived too slowly (e.g. a checksummed chunk holding shared memory). */
  TIMEOUT: 408,
  /** Upload or bucket exceeds a configured size. */
  TOO_LARGE: 413,
  /** PATCH without `application/offset+octet-stream`. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Byte range outside the file. */
  RANGE_NOT_SATISFIABLE: 416,
  /** Another request holds the upload's write lock. */
  UPLOAD_LOCKED: 423,
  /** Bucket has been locked (finished) and accepts no more files. */
  BUCKET_LOCKED: 400,
  /** Too many failed attempts; retry later. */
  RATE_LIMITED: 429,
  /** `Upload-Checksum` did not match the received chunk (TUS checksum extension). */
  CHECKSUM_MISMATCH: 460,
  /** The request body ended or was aborted before it was complete. */
  ABORTED: 400,
  /** Unexpected failure. */
  INTERNAL: 500,
  /** The backing storage cannot be reached or keeps failing. */
  STORE_UNAVAILABLE: 503,
  /** A shared server resource (e.g. the checksum buffer budget) is full; retry after a moment. */
  BUSY: 503,
  /** The backing storage is full (ENOSPC, quota). Uploads stay resumable. */
  STORAGE_FULL: 507,
  /** The store is misconfigured (permissions, missing bucket). */
  STORE_MISCONFIGURED: 500,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

/** HTTP status for an error code. */
export function httpStatusFor(code: ErrorCode): number {
  return ERROR_STATUS[code]
}

export interface PsiErrorOptions {
  cause?: unknown
  /** Extra data safe to show to clients (e.g. `{ offset: 123 }`). */
  details?: Record<string, unknown>
}

/** Base class of every error this system throws on purpose. */
export class PsiError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: PsiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PsiError'
    this.code = code
    this.details = options.details
  }

  get status(): number {
    return httpStatusFor(this.code)
  }
}

/** True for any {@link PsiError}, also across duplicated module instances (checks the shape). */
export function isPsiError(err: unknown): err is PsiError {
  if (err instanceof PsiError) return true
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'PsiError' &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code in ERROR_STATUS
  )
}

export class NotFoundError extends PsiError {
  constructor(message = 'Not found', options?: PsiErrorOptions) {
    super('NOT_FOUND', message, options)
  }
}

export class OffsetMismatchError extends PsiError {
  constructor(
    readonly expected: number,
    readonly actual: number,
    options?: PsiErrorOptions,
  ) {
    super('OFFSET_MISMATCH', `Upload-Offset ${actual} does not match the current offset ${expected}`, {
      ...options,
      details: { offset: expected },
    })
  }
}

export class UploadLockedError extends PsiError {
  constructor(
    message = 'Another request is writing to this upload; retry shortly',
    options?: PsiErrorOptions,
  ) {
    super('UPLOAD_LOCKED', message, options)
  }
}

export class StorageFullError extends PsiError {
  constructor(
    message = 'Storage is full; the upload can be resumed when space is available',
    options?: PsiErrorOptions,
  ) {
    super('STORAGE_FULL', message, options)
  }
}

export class StoreUnavailableError extends PsiError {
  constructor(message = 'Storage is temporarily unavailable; please retry', options?: PsiErrorOptions) {
    super('STORE_UNAVAILABLE', message, options)
  }
}

/** Codes thrown only through their subclass (see the module comment). */
export const SUBCLASSED_CODES = {
  NOT_FOUND: NotFoundError,
  OFFSET_MISMATCH: OffsetMismatchError,
  UPLOAD_LOCKED: UploadLockedError,
  STORAGE_FULL: StorageFullError,
  STORE_UNAVAILABLE: StoreUnavailableError,
} as const satisfies Partial<Record<ErrorCode, new (...args: never[]) => PsiError>>

/** Converts anything thrown into a PsiError, keeping the original as `cause`. */
export function toPsiError(err: unknown): PsiError {
  if (isPsiError(err)) return err
  return new PsiError('INTERNAL', 'Internal error', { cause: err })
}
