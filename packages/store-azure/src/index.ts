/**
 * `@psitransfer/store-azure`: PsiTransfer files in Azure Blob Storage (or Azurite).
 * @module
 */

export { contentDisposition } from '@psitransfer/core'
export { AzureStore, type AzureStoreDeps, type SweepOptions, type SweepResult } from './azure-store.js'
export { blockId, durableBlocks, parseBlockId } from './blocks.js'
export {
  type AzureStoreConfig,
  type AzureStoreOptions,
  azureStoreConfigSchema,
  blockSizeFor,
  MAX_BLOCK_SIZE,
  MAX_COMMITTED_BLOCKS,
  maxUploadFor,
  parseAzureStoreConfig,
} from './config.js'
export { azureStoreDefinition } from './definition.js'
export { AzureLocker } from './locker.js'
