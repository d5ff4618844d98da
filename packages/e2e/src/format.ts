// PSIE2E v1 layout constants and size arithmetic (docs/encryption.md). Pure functions: the server
// knows only ciphertext sizes, the uploader only plaintext sizes.
import { E2EFormatError } from './errors.js'

/** ASCII "PSIE2E". */
export const MAGIC = Uint8Array.of(0x50, 0x53, 0x49, 0x45, 0x32, 0x45)
export const VERSION = 1
export const KIND_FILE = 0x46 // 'F'
export const KIND_METADATA = 0x4d // 'M'
export const KEY_BYTES = 32
export const SALT_BYTES = 16
export const CHECK_BYTES = 16
export const HEADER_BYTES = 40
export const TAG_BYTES = 16
/** Plaintext bytes per record (64 KiB); every record but the last is full. */
export const RECORD_BYTES = 65536
/** Bytes of a full sealed record. */
export const SEALED_RECORD_BYTES = RECORD_BYTES + TAG_BYTES

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer`)
}

/** Number of records of a plaintext of `plaintextSize` bytes (an empty file is one empty record). */
export function recordCount(plaintextSize: number): number {
  checkSize(plaintextSize, 'plaintextSize')
  return Math.max(1, Math.ceil(plaintextSize / RECORD_BYTES))
}

/** Exact size of the encrypted file: header + plaintext + one tag per record. */
export function ciphertextSize(plaintextSize: number): number {
  return HEADER_BYTES + plaintextSize + TAG_BYTES * recordCount(plaintextSize)
}

/** Exact plaintext size of an encrypted file of `ciphertextSize` bytes; E2EFormatError if no file has it. */
export function plaintextSize(ciphertextSize: number): number {
  checkSize(ciphertextSize, 'ciphertextSize')
  const body = ciphertextSize - HEADER_BYTES
  const records = Math.ceil(body / SEALED_RECORD_BYTES)
  const last = body - (records - 1) * SEALED_RECORD_BYTES
  if (body < TAG_BYTES || last < TAG_BYTES || (records > 1 && last === TAG_BYTES))
    throw new E2EFormatError(`${ciphertextSize} bytes is not the size of a PSIE2E v1 file`)
  return body - TAG_BYTES * records
}

/** Ciphertext offset where record `index` starts. */
export function recordOffset(index: number): number {
  checkSize(index, 'record index')
  return HEADER_BYTES + index * SEALED_RECORD_BYTES
}

/** Where to restart encrypting to produce the ciphertext from `offset` on (a TUS Upload-Offset). */
export interface ResumePoint {
  /** First record to encrypt (0 includes the header). */
  record: number
  /** Plaintext offset to read from: `record * RECORD_BYTES`. */
  plaintextOffset: number
  /** Bytes to drop from the start of the encrypted output (header included when record is 0). */
  skip: number
}

export function resumePoint(offset: number): ResumePoint {
  checkSize(offset, 'offset')
  if (offset < HEADER_BYTES) return { record: 0, plaintextOffset: 0, skip: offset }
  const record = Math.floor((offset - HEADER_BYTES) / SEALED_RECORD_BYTES)
  const skip = offset - recordOffset(record) + (record === 0 ? HEADER_BYTES : 0)
  return { record, plaintextOffset: record * RECORD_BYTES, skip }
}

/** The 12-byte AES-GCM nonce of record `index`: 88-bit big-endian counter, then the last flag. */
export function recordNonce(index: number, last: boolean): Uint8Array {
  checkSize(index, 'record index')
  const nonce = new Uint8Array(12)
  let n = index
  for (let i = 10; i >= 0 && n > 0; i--) {
    nonce[i] = n % 256
    n = Math.floor(n / 256)
  }
  nonce[11] = last ? 1 : 0
  return nonce
}

export function buildHeader(kind: number, salt: Uint8Array, check: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES)
  header.set(MAGIC, 0)
  header[6] = VERSION
  header[7] = kind
  header.set(salt, 8)
  header.set(check, 24)
  return header
}

export interface ParsedHeader {
  kind: number
  salt: Uint8Array
  check: Uint8Array
}

/** Checks magic, version and kind; the key check is the caller's (it needs the key). */
export function parseHeader(header: Uint8Array, expectedKind: number): ParsedHeader {
  if (header.length < HEADER_BYTES) throw new E2EFormatError('header too short')
  for (let i = 0; i < MAGIC.length; i++)
    if (header[i] !== MAGIC[i])
      throw new E2EFormatError('not an encrypted PsiTransfer file (no PSIE2E header)')
  if (header[6] !== VERSION)
    throw new E2EFormatError(`unsupported PSIE2E version ${header[6]} (this reads 1)`)
  const kind = header[7]!
  if (kind !== expectedKind) {
    const name = (k: number) =>
      k === KIND_FILE
        ? 'an encrypted file'
        : k === KIND_METADATA
          ? 'a metadata blob'
          : `kind 0x${k.toString(16)}`
    throw new E2EFormatError(`this is ${name(kind)}, not ${name(expectedKind)}`)
  }
  return { kind, salt: header.slice(8, 24), check: header.slice(24, 40) }
}

/** True when `bytes` could be the start of a header (a prefix of the magic): decides truncated vs not ours. */
export function isMagicPrefix(bytes: Uint8Array): boolean {
  for (let i = 0; i < Math.min(bytes.length, MAGIC.length); i++) if (bytes[i] !== MAGIC[i]) return false
  return true
}
