export {
  isResumableUpload,
  RESUMABLE_PROTOCOL,
  UPLOAD_PROTOCOL_KEY,
  uploadProtocolOf,
} from '../upload-protocol.js'
export {
  contentDispositionFilename,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  parseSfBoolean,
  parseSfNonNegativeInteger,
  serializeUploadLimit,
  type UploadLimit,
} from './fields.js'
export {
  handleResumable,
  PARTIAL_UPLOAD_CONTENT_TYPE,
  RESUMABLE_INTEROP_VERSIONS,
} from './handler.js'
export type * from './types.js'
