/**
 * SDK errors → core errors. Every SDK error is kept as `cause`; messages never carry
 * credentials or signed URLs.
 * @module
 */
import { isPsiError, NotFoundError, PsiError, StoreUnavailableError } from '@psitransfer/core'

interface SdkError {
  name?: string
  code?: string
  Code?: string
  $metadata?: { httpStatusCode?: number; attempts?: number }
  $retryable?: unknown
  message?: string
}

function sdk(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? (err as SdkError) : {}
}

/** The S3 error code (`NoSuchKey`, `SlowDown`, …) or the Node error code of a network failure. */
export function s3Code(err: unknown): string {
  const e = sdk(err)
  if (e.name && e.name !== 'Error') return e.name
  return e.Code ?? e.code ?? e.name ?? ''
}

export function httpStatus(err: unknown): number | undefined {
  return sdk(err).$metadata?.httpStatusCode
}

export function isNotFound(err: unknown): boolean {
  const code = s3Code(err)
  return (
    code === 'NoSuchKey' ||
    code === 'NotFound' ||
    (httpStatus(err) === 404 && code !== 'NoSuchBucket' && code !== 'NoSuchUpload')
  )
}

/** Conditional write refused (`If-None-Match: *` on an existing key). */
export function isPreconditionFailed(err: unknown): boolean {
  return httpStatus(err) === 412 || s3Code(err) === 'PreconditionFailed'
}

/**
 * The multipart upload no longer exists. Ceph RGW 16 answers ListParts on an aborted upload
 * with NoSuchKey instead of NoSuchUpload, so callers that list parts pass `listParts`.
 */
export function isNoSuchUpload(err: unknown, listParts = false): boolean {
  const code = s3Code(err)
  return code === 'NoSuchUpload' || (listParts && (code === 'NoSuchKey' || httpStatus(err) === 404))
}

const MISCONFIGURED = new Set([
  'AccessDenied',
  'NoSuchBucket',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidBucketName',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
  'AllAccessDisabled',
  'AccountProblem',
  'CredentialsProviderError',
  'InvalidToken',
  'ExpiredToken',
])

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'UnknownError',
])

/** Converts an SDK (or anything) error to a PsiError, with `what` describing the operation. */
export function toStoreError(err: unknown, what: string): PsiError {
  if (isPsiError(err)) return err
  const code = s3Code(err)
  const status = httpStatus(err)
  if (code === 'AbortError') return new PsiError('ABORTED', 'Request aborted', { cause: err })
  if (code === 'NoSuchUpload') {
    return new PsiError('GONE', 'The upload is gone (its multipart upload no longer exists)', { cause: err })
  }
  if (isNotFound(err)) return new NotFoundError('Not found', { cause: err })
  if (MISCONFIGURED.has(code) || status === 401 || status === 403) {
    return new PsiError(
      'STORE_MISCONFIGURED',
      `S3 refused to ${what} (${code || status}); check the bucket and credentials`,
      {
        cause: err,
      },
    )
  }
  const causeCode = s3Code((err as { cause?: unknown } | null)?.cause)
  if (
    NETWORK.has(code) ||
    NETWORK.has(causeCode) ||
    (status !== undefined && status >= 500) ||
    status === 429
  ) {
    return new StoreUnavailableError(`Storage is temporarily unavailable (${code || status}); please retry`, {
      cause: err,
    })
  }
  if (code === 'EntityTooLarge')
    return new PsiError('TOO_LARGE', 'The storage refused an object this large', { cause: err })
  return new PsiError('INTERNAL', `S3 request to ${what} failed`, { cause: err })
}

/** The error `init()` reports when S3 cannot be reached or written, naming the bucket (`where`) and why. */
export function bootError(err: unknown, what: 'reach' | 'write to', where: string): PsiError {
  const code = s3Code(err)
  const status = httpStatus(err)
  if (code === 'NoSuchBucket' || (what === 'reach' && status === 404)) {
    return new PsiError('STORE_MISCONFIGURED', `S3 ${where} does not exist; create it first`, {
      cause: err,
    })
  }
  const mapped = toStoreError(err, `${what} the bucket`)
  // HeadBucket answers without a body, so the SDK's code is often just "Unknown": say the status.
  const reason = [code && code !== 'Unknown' ? code : undefined, status ? `HTTP ${status}` : undefined]
    .filter(Boolean)
    .join(', ')
  if (mapped.code === 'STORE_UNAVAILABLE') {
    return new StoreUnavailableError(`Cannot ${what} S3 ${where}: ${reason || 'no answer'}`, {
      cause: err,
    })
  }
  const verb = status === 401 || status === 403 ? (what === 'reach' ? 'access' : what) : what
  return new PsiError(
    'STORE_MISCONFIGURED',
    `Cannot ${verb} S3 ${where}: ${reason || 'error'}; check the credentials, the bucket policy and the region`,
    { cause: err },
  )
}
