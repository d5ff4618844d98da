export {
  DEFAULT_CHECKSUM_BUDGET,
  defaultChecksumBudget,
  defaultChecksums,
  MemoryChecksumBudget,
} from './checksum.js'
export { handleTus, TUS_EXTENSIONS, TUS_VERSION } from './handler.js'
export { encodeUploadMetadata, parseUploadMetadata } from './metadata.js'
export type * from './types.js'
