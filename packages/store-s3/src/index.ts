/**
 * `@psitransfer/store-s3`: PsiTransfer files in S3 or any S3-compatible server.
 * @module
 */

export { contentDisposition } from '@psitransfer/core'
export {
  type ChecksumMode,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  parseS3StoreConfig,
  partSizeFor,
  S3_CONFIG_FIELDS,
  type S3Credentials,
  type S3StoreConfig,
  type S3StoreOptions,
} from './config.js'
export { s3StoreDefinition } from './definition.js'
export type { SweepOptions, SweepResult } from './listing.js'
export { S3Locker, type S3LockerOptions } from './locker.js'
export { S3Store, type S3StoreDeps, type S3StoreStats } from './s3-store.js'
export type { UploadLockOptions } from './sessions.js'
