/**
 * `Upload-Metadata` codec (TUS 1.0.0 creation extension): comma-separated `key base64value`
 * pairs; keys are ASCII without spaces or commas and unique; the value may be omitted.
 * @module
 */
import { PsiError } from '../errors.js'

const KEY = /^[\x21-\x2b\x2d-\x7e]+$/ // printable ASCII without space and comma
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

function decodeBase64Utf8(value: string): string {
  if (!BASE64.test(value)) throw new PsiError('INVALID_INPUT', 'Upload-Metadata: value is not valid base64')
  const bin = atob(value)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new PsiError('INVALID_INPUT', 'Upload-Metadata: value is not valid UTF-8')
  }
}

function encodeBase64Utf8(value: string): string {
  const bytes = new TextEncoder().encode(value)
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}

/** Decodes an `Upload-Metadata` header. Throws `INVALID_INPUT` on malformed input. */
export function parseUploadMetadata(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (header === null || header === undefined || header.trim() === '') return out
  for (const rawPair of header.split(',')) {
    const pair = rawPair.trim()
    const parts = pair.split(' ')
    const key = parts[0] ?? ''
    if (parts.length > 2 || !KEY.test(key)) {
      throw new PsiError('INVALID_INPUT', 'Upload-Metadata: malformed key/value pair')
    }
    if (Object.hasOwn(out, key))
      throw new PsiError('INVALID_INPUT', `Upload-Metadata: duplicate key "${key}"`)
    out[key] = parts.length === 2 ? decodeBase64Utf8(parts[1] ?? '') : ''
  }
  return { ...out }
}

/** Encodes metadata for an `Upload-Metadata` header (keys must satisfy the TUS key grammar). */
export function encodeUploadMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .filter(([k]) => KEY.test(k))
    .map(([k, v]) => (v === '' ? k : `${k} ${encodeBase64Utf8(v)}`))
    .join(',')
}
