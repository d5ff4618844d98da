// @psitransfer/e2e: PsiTransfer's end-to-end encryption format PSIE2E v1 (docs/encryption.md),
// WebCrypto only: runs in browsers and in Node.js >= 20.19.
export { base64urlDecode, base64urlEncode } from './base64url.js'
export { type ByteSource, toReadableStream } from './bytes.js'
export {
  E2EError,
  type E2EErrorCode,
  E2EFormatError,
  E2EMismatchError,
  E2EModifiedError,
  E2ETruncatedError,
  E2EWrongKeyError,
} from './errors.js'
export {
  createEncryptor,
  type DecryptOptions,
  type DecryptorOptions,
  decrypt,
  type EncryptOptions,
  FileDecryptor,
  FileEncryptor,
} from './file.js'
export {
  CHECK_BYTES,
  ciphertextSize,
  HEADER_BYTES,
  KEY_BYTES,
  plaintextSize,
  RECORD_BYTES,
  type ResumePoint,
  recordCount,
  recordOffset,
  resumePoint,
  SALT_BYTES,
  SEALED_RECORD_BYTES,
  TAG_BYTES,
} from './format.js'
export {
  decodeKey,
  encodeKey,
  generateKey,
  generateSalt,
  keyFromLink,
  keyToFragment,
  linkWithKey,
  linkWithoutKey,
} from './keys.js'
export { type Metadata, type OpenedMetadata, openMetadata, sealMetadata } from './metadata.js'
