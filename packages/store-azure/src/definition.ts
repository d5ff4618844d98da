/** The definition of `storage.type: azure`, which the server loads from this package. @module */
import { defineStore } from '@psitransfer/core'
import { AzureStore } from './azure-store.js'
import { type AzureStoreConfig, azureStoreConfigSchema, parseAzureStoreConfig } from './config.js'
import { AzureLocker } from './locker.js'

/**
 * `storage.type: azure`. Each option is read from `PSITRANSFER_STORAGE_<UPPER_SNAKE_KEY>`
 * (`connectionString` → `PSITRANSFER_STORAGE_CONNECTION_STRING`), derived from the zod schema;
 * `parseAzureStoreConfig` validates with that schema and adds the credential rules it cannot
 * express. Locks are blob leases, so several server instances can share the container.
 *
 * Whether the store signs download URLs depends on the credential (a SAS-token connection string
 * cannot sign SAS URLs): the created store has `downloadUrl` only when it can.
 */
export const azureStoreDefinition = defineStore<AzureStoreConfig>({
  type: 'azure',
  configSchema: { parse: parseAzureStoreConfig, '~standard': azureStoreConfigSchema['~standard'] },
  create(config, context) {
    return new AzureStore(config, context.logger ? { logger: context.logger } : {})
  },
  createLocker(store) {
    if (!(store instanceof AzureStore)) throw new TypeError('AzureLocker needs the AzureStore it locks for')
    return new AzureLocker(store)
  },
})
