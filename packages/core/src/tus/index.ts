export {
  DEFAULT_CHECKSUM_BUDGET,
  defaultChecksumBudget,
  defaultChecksums,
  MemoryChecksumBudget,
} from './checksum.js'
export {
  type CompleteDeps,
  type CompleteIfFullOptions,
  completeIfFull,
  handleTus,
  needsCompletion,
  TUS_EXTENSIONS,
  TUS_VERSION,
} from './handler.js'
export { encodeUploadMetadata, parseUploadMetadata } from './metadata.js'
export type * from './types.js'
