// Metadata blobs (kind M): a file's name, type, comment… sealed under the file's salt, as base64url
// short enough for TUS Upload-Metadata.
import { base64urlDecode, base64urlEncode } from './base64url.js'
import { E2EFormatError, E2EModifiedError, E2ETruncatedError } from './errors.js'
import {
  buildHeader,
  HEADER_BYTES,
  isMagicPrefix,
  KIND_METADATA,
  parseHeader,
  RECORD_BYTES,
  recordNonce,
  TAG_BYTES,
} from './format.js'
import { buf, checkSalt, deriveObjectKeys, verifyCheck } from './keys.js'

/** String fields; the web app uses name, type, comment and relativePath. */
export type Metadata = Record<string, string>

/** Seals `fields` for the file with salt `fileSalt` (its `FileEncryptor.salt`); returns base64url. */
export async function sealMetadata(key: Uint8Array, fields: Metadata, fileSalt: Uint8Array): Promise<string> {
  checkSalt(fileSalt)
  for (const [k, v] of Object.entries(fields))
    if (typeof v !== 'string') throw new TypeError(`metadata field ${k} must be a string`)
  const json = new TextEncoder().encode(JSON.stringify(fields))
  if (json.length > RECORD_BYTES) throw new RangeError('metadata is limited to 65536 bytes of JSON')
  const { aes, check } = await deriveObjectKeys(key, fileSalt, KIND_METADATA)
  const header = buildHeader(KIND_METADATA, fileSalt, check)
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: buf(recordNonce(0, true)), additionalData: buf(header), tagLength: 128 },
    aes,
    json,
  )
  const blob = new Uint8Array(HEADER_BYTES + sealed.byteLength)
  blob.set(header)
  blob.set(new Uint8Array(sealed), HEADER_BYTES)
  return base64urlEncode(blob)
}

export interface OpenedMetadata {
  fields: Metadata
  /** The salt of the file this metadata belongs to: pass it as `expectedSalt` when decrypting the file. */
  fileSalt: Uint8Array
}

/** Opens a blob from sealMetadata: E2EFormatError, E2EWrongKeyError, E2ETruncatedError or E2EModifiedError. */
export async function openMetadata(key: Uint8Array, blob: string): Promise<OpenedMetadata> {
  const bytes = base64urlDecode(blob)
  if (bytes.length < HEADER_BYTES + TAG_BYTES) {
    if (bytes.length >= HEADER_BYTES) parseHeader(bytes, KIND_METADATA)
    else if (!isMagicPrefix(bytes))
      throw new E2EFormatError('not a PsiTransfer metadata blob (no PSIE2E header)')
    throw new E2ETruncatedError('the metadata blob is too short')
  }
  const header = bytes.subarray(0, HEADER_BYTES)
  const parsed = parseHeader(header, KIND_METADATA)
  const { aes, check } = await deriveObjectKeys(key, parsed.salt, KIND_METADATA)
  verifyCheck(check, parsed.check)
  let plain: ArrayBuffer
  try {
    plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(recordNonce(0, true)), additionalData: buf(header.slice()), tagLength: 128 },
      aes,
      buf(bytes.slice(HEADER_BYTES)),
    )
  } catch {
    throw new E2EModifiedError(0, 'the metadata blob cannot be authenticated: it was modified or cut short')
  }
  let fields: unknown
  try {
    fields = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain))
  } catch {
    throw new E2EFormatError('the metadata is not UTF-8 JSON')
  }
  if (
    !fields ||
    typeof fields !== 'object' ||
    Array.isArray(fields) ||
    Object.values(fields).some((v) => typeof v !== 'string')
  )
    throw new E2EFormatError('the metadata is not an object of strings')
  return { fields: fields as Metadata, fileSalt: parsed.salt }
}
