/** The registry entry for `storage.type: azure`. @module */
import { defineStore, type Locker, type Store } from '@psitransfer/core'
import { AzureStore } from './azure-store.js'
import { type AzureStoreConfig, azureStoreConfigSchema, parseAzureStoreConfig } from './config.js'
import { AzureLocker } from './locker.js'

const definition = defineStore<AzureStoreConfig>({
  type: 'azure',
  // `parse` names the key and value in its errors; `schema` is the zod object it checks with.
  configSchema: { parse: parseAzureStoreConfig, schema: azureStoreConfigSchema } as {
    parse: typeof parseAzureStoreConfig
  },
  create(config, context) {
    return new AzureStore(config, context.logger ? { logger: context.logger } : {})
  },
})

/** Register with the server's `StoreRegistry` to enable `storage.type: azure`. */
export const azureStoreDefinition = {
  ...definition,
  /** The lock to use with this store when several instances share the container. */
  createLocker(store: Store): Locker {
    return new AzureLocker(store as AzureStore)
  },
}
