/** The registry entry for `storage.type: s3`. @module */
import { defineStore } from '@psitransfer/core'
import { parseS3StoreConfig, type S3StoreConfig } from './config.js'
import { S3Store } from './s3-store.js'

/** Register with the server's `StoreRegistry` to enable `storage.type: s3`. */
export const s3StoreDefinition = defineStore<S3StoreConfig>({
  type: 's3',
  configSchema: { parse: parseS3StoreConfig },
  create(config, context) {
    return new S3Store(config, context.logger ? { logger: context.logger } : {})
  },
})
