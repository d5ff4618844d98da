/**
 * SDK errors → core errors. The SDK error stays as `cause`; messages never carry keys or SAS
 * tokens.
 * @module
 */
import {
  isPsiError,
  PsiError,
  StorageFullError,
  StoreUnavailableError,
  UploadLockedError,
} from '@psitransfer/core'

interface SdkError {
  name?: string
  code?: string
  statusCode?: number
  details?: { errorCode?: string }
}

function sdk(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? (err as SdkError) : {}
}

/** Azure's error code (`BlobNotFound`, `LeaseAlreadyPresent`, …) or a network error code. */
export function azureCode(err: unknown): string {
  const e = sdk(err)
  return e.details?.errorCode ?? e.code ?? ''
}

export function statusOf(err: unknown): number | undefined {
  return sdk(err).statusCode
}

export function isNotFound(err: unknown): boolean {
  const code = azureCode(err)
  return code === 'BlobNotFound' || (statusOf(err) === 404 && code !== 'ContainerNotFound')
}

/** A conditional write was refused: `If-None-Match: *` on an existing blob, or `If-Match` stale. */
export function isConditionFailed(err: unknown): boolean {
  const code = azureCode(err)
  return code === 'BlobAlreadyExists' || code === 'ConditionNotMet' || statusOf(err) === 412
}

/** The blob is leased by somebody else (or the lease we wrote with is gone). */
export function isLeaseConflict(err: unknown): boolean {
  return /^Lease/.test(azureCode(err))
}

const MISCONFIGURED = new Set([
  'ContainerNotFound',
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'InvalidAuthenticationInfo',
  'AccountIsDisabled',
  'InvalidResourceName',
])

/** Wraps anything the SDK threw; `what` names the operation for the log and the person reading it. */
export function toStoreError(err: unknown, what: string): PsiError {
  if (isPsiError(err)) return err
  const code = azureCode(err)
  const status = statusOf(err)
  if (MISCONFIGURED.has(code) || status === 401 || status === 403) {
    return new PsiError('STORE_MISCONFIGURED', `Azure refused to ${what} (${code || status})`, { cause: err })
  }
  if (isLeaseConflict(err)) {
    return new UploadLockedError(undefined, { cause: err })
  }
  if (code === 'InsufficientAccountPermissions' || code === 'AccountBeingCreated') {
    return new PsiError('STORE_MISCONFIGURED', `Azure refused to ${what} (${code})`, { cause: err })
  }
  if (code === 'BlockCountExceedsLimit' || code === 'RequestBodyTooLarge') {
    return new PsiError('TOO_LARGE', 'The file is larger than Azure block blobs allow', { cause: err })
  }
  if (status === 507 || code === 'AccountLimitExceeded') {
    return new StorageFullError('Storage is full; the upload can be resumed later', { cause: err })
  }
  return new StoreUnavailableError(undefined, { cause: err })
}
