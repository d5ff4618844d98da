/** The definition of `storage.type: s3`, which the server loads from this package. @module */
import { defineStore } from '@psitransfer/core'
import { parseS3StoreConfig, S3_CONFIG_FIELDS, type S3StoreConfig } from './config.js'
import { S3Locker } from './locker.js'
import { S3Store } from './s3-store.js'

/**
 * `storage.type: s3`. Each option is read from `PSITRANSFER_STORAGE_<UPPER_SNAKE_KEY>`; the
 * credentials keep their short, AWS-like names (`PSITRANSFER_STORAGE_ACCESS_KEY_ID`, …).
 * Locks live in the bucket, so several server instances can share it.
 */
export const s3StoreDefinition = defineStore<S3StoreConfig>({
  type: 's3',
  configSchema: { parse: parseS3StoreConfig, fields: S3_CONFIG_FIELDS },
  envAliases: {
    'credentials.accessKeyId': 'ACCESS_KEY_ID',
    'credentials.secretAccessKey': 'SECRET_ACCESS_KEY',
    'credentials.sessionToken': 'SESSION_TOKEN',
  },
  create(config, context) {
    return new S3Store(config, context.logger ? { logger: context.logger } : {})
  },
  createLocker(store) {
    if (!(store instanceof S3Store)) throw new TypeError('S3Locker needs the S3Store it locks for')
    return new S3Locker(store)
  },
})
