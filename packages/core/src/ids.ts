/**
 * Ids and names. Every id that reaches a store went through a parser here, so no adapter
 * can be handed `../`, an absolute path, a separator or a control character. Store keys and
 * paths are built from parsed ids only (see {@link storageKey}).
 * @module
 */
import { PsiError } from './errors.js'

declare const brand: unique symbol
type Brand<T, B extends string> = T & { readonly [brand]: B }

/** Bucket id (PsiTransfer's `sid`): one share link, holding one or more files. */
export type BucketId = Brand<string, 'BucketId'>
/** File id (PsiTransfer's `key`/`uuid`), unique within the whole store. */
export type FileId = Brand<string, 'FileId'>

/** Reference to one stored file. */
export interface FileRef {
  readonly sid: BucketId
  readonly key: FileId
}

/**
 * Allowed id alphabet: ASCII letters, digits, `_` and `-`; 1–64 characters, and the first
 * is a letter or digit. This covers PsiTransfer's 12-hex-char sids and uuid-v4 keys, and our
 * own base64url ids. `.`, `/`, `\`, `+` and whitespace can never occur, so `sid++key` splits
 * unambiguously and `{sid}/{key}.json` cannot escape its directory.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** Separator between bucket and file id in URLs and TUS upload ids (PsiTransfer's format). */
export const ID_SEPARATOR = '++'

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value)
}

export function parseBucketId(value: unknown): BucketId {
  if (!isValidId(value)) throw new PsiError('INVALID_ID', 'Invalid bucket id')
  return value as BucketId
}

export function parseFileId(value: unknown): FileId {
  if (!isValidId(value)) throw new PsiError('INVALID_ID', 'Invalid file id')
  return value as FileId
}

/** Parses `sid++key` (TUS upload ids and download URLs). */
export function parseFileRef(value: unknown): FileRef {
  if (typeof value !== 'string') throw new PsiError('INVALID_ID', 'Invalid upload id')
  const at = value.indexOf(ID_SEPARATOR)
  if (at < 0) throw new PsiError('INVALID_ID', 'Invalid upload id')
  return { sid: parseBucketId(value.slice(0, at)), key: parseFileId(value.slice(at + ID_SEPARATOR.length)) }
}

export function formatFileRef(ref: FileRef): string {
  return `${ref.sid}${ID_SEPARATOR}${ref.key}`
}

/** The relative storage key `{sid}/{key}` plus an optional suffix such as `.json`. */
export function storageKey(ref: FileRef, suffix = ''): string {
  return `${ref.sid}/${ref.key}${suffix}`
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Random base64url string with `bytes * 8` bits of entropy (Web Crypto). Starts with an alphanumeric. */
function randomId(bytes: number): string {
  const buf = new Uint8Array(bytes)
  crypto.getRandomValues(buf)
  let out = ''
  let acc = 0
  let bits = 0
  for (const b of buf) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 6) {
      bits -= 6
      out += BASE64URL[(acc >> bits) & 63]
    }
  }
  if (bits > 0) out += BASE64URL[(acc << (6 - bits)) & 63]
  // The id grammar wants an alphanumeric first char; prefixing one keeps all random bits.
  return /^[A-Za-z0-9]/.test(out) ? out : `x${out}`
}

/** New bucket id with 128 bits of randomness. */
export function newBucketId(): BucketId {
  return randomId(16) as BucketId
}

/** New file id with 128 bits of randomness. */
export function newFileId(): FileId {
  return randomId(16) as FileId
}

const MAX_NAME_BYTES = 255
// C0 and C1 control characters, DEL, and Unicode line/paragraph separators and bidi overrides
// (names are shown in UIs and headers; an RLO can disguise `exe.txt` as `txt.exe`).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
const FORBIDDEN_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069/\\]/

/**
 * Validates a file name as a safe basename: not empty, no `/` or `\`, no control
 * characters, not `.` or `..`, at most 255 bytes of UTF-8 and without surrounding
 * whitespace. Returns the name unchanged or throws `INVALID_NAME`.
 */
export function parseFileName(value: unknown): string {
  if (typeof value !== 'string') throw new PsiError('INVALID_NAME', 'Invalid file name')
  if (value.length === 0 || value.trim() !== value) throw new PsiError('INVALID_NAME', 'Invalid file name')
  if (value === '.' || value === '..') throw new PsiError('INVALID_NAME', 'Invalid file name')
  if (FORBIDDEN_NAME_CHARS.test(value)) throw new PsiError('INVALID_NAME', 'Invalid file name')
  if (new TextEncoder().encode(value).byteLength > MAX_NAME_BYTES) {
    throw new PsiError('INVALID_NAME', 'File name is longer than 255 bytes')
  }
  return value
}

/**
 * Validates a relative path made of safe basenames joined by `/` (folder uploads keep
 * their structure: `photos/2024/a.jpg`). Each segment must pass {@link parseFileName}.
 */
export function parseRelativePath(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw new PsiError('INVALID_NAME', 'Invalid file path')
  }
  for (const seg of value.split('/')) parseFileName(seg)
  return value
}
