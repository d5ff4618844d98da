/**
 * `@psitransfer/store-fs`: the filesystem store, PsiTransfer's `{uploadDir}/{sid}/{key}` layout
 * with `.json` sidecars, crash-safe resumable appends and ranged reads.
 * @module
 */
export { FS_CONFIG_FIELDS, type FsStoreConfig, fsStoreDefinition, parseFsStoreConfig } from './config.js'
export type { FsyncPolicy } from './durability.js'
export { FileStore, type FileStoreOptions } from './file-store.js'
export type { MetadataCalls } from './meta-calls.js'
export { decodeSidecar, encodeSidecar, SIDECAR_VERSION, UNKNOWN_RETENTION } from './sidecar.js'
