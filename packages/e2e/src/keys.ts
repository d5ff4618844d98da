// The link key, the per-object keys derived from it (HKDF-SHA-256), and the key in a link's fragment.
import { base64urlDecode, base64urlEncode } from './base64url.js'
import { E2EFormatError, E2EWrongKeyError } from './errors.js'
import { CHECK_BYTES, KEY_BYTES, KIND_FILE, SALT_BYTES } from './format.js'

const subtle = () => {
  const s = globalThis.crypto?.subtle
  if (!s)
    throw new Error(
      'WebCrypto (crypto.subtle) is not available here (a secure context is needed in browsers)',
    )
  return s
}

/** WebCrypto wants ArrayBuffer-backed views; copies only when given a view of a SharedArrayBuffer. */
export function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/** A new random 32-byte link key (one per bucket). */
export function generateKey(): Uint8Array {
  return randomBytes(KEY_BYTES)
}

/** A new random 16-byte salt (one per file). */
export function generateSalt(): Uint8Array {
  return randomBytes(SALT_BYTES)
}

export function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES)
    throw new TypeError(`the key must be ${KEY_BYTES} bytes`)
}

export function checkSalt(salt: Uint8Array): void {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES)
    throw new TypeError(`the salt must be ${SALT_BYTES} bytes`)
}

const LABEL = { [KIND_FILE]: 'file', 77: 'metadata' } as Record<number, string>

/**
 * The AES-256-GCM key and the 16-byte key check of one object (file or metadata blob).
 * @internal CryptoKey is not a global in Node's types without the DOM lib; kept out of the d.ts.
 */
export interface ObjectKeys {
  aes: CryptoKey
  check: Uint8Array
}

/** @internal */
export async function deriveObjectKeys(key: Uint8Array, salt: Uint8Array, kind: number): Promise<ObjectKeys> {
  checkKey(key)
  checkSalt(salt)
  const label = LABEL[kind]
  if (!label) throw new TypeError(`unknown object kind ${kind}`)
  const s = subtle()
  const ikm = await s.importKey('raw', buf(key), 'HKDF', false, ['deriveBits', 'deriveKey'])
  const params = (what: string): HkdfParams => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: buf(salt),
    info: new TextEncoder().encode(`psitransfer-e2e v1 ${label} ${what}`),
  })
  const [aes, check] = await Promise.all([
    s.deriveKey(params('key'), ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
    s.deriveBits(params('check'), ikm, CHECK_BYTES * 8),
  ])
  return { aes, check: new Uint8Array(check) }
}

/** Throws E2EWrongKeyError unless the header's check equals the derived one (constant time). */
export function verifyCheck(expected: Uint8Array, actual: Uint8Array): void {
  let diff = expected.length ^ actual.length
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ (actual[i] ?? 0)
  if (diff !== 0) throw new E2EWrongKeyError()
}

/** `k=<base64url key>`: the fragment parameter that carries the key. */
export function keyToFragment(key: Uint8Array): string {
  checkKey(key)
  return `k=${base64urlEncode(key)}`
}

/** The key as 43 base64url characters (what follows `k=`). */
export function encodeKey(key: Uint8Array): string {
  checkKey(key)
  return base64urlEncode(key)
}

/** Parses 43 base64url characters into a key; E2EFormatError otherwise. */
export function decodeKey(text: string): Uint8Array {
  let key: Uint8Array | null = null
  try {
    key = base64urlDecode(text.trim())
  } catch {}
  if (key?.length !== KEY_BYTES)
    throw new E2EFormatError(`a key is ${KEY_BYTES} bytes (43 base64url characters)`)
  return key
}

function fragmentParams(link: string): { base: string; params: string[] } {
  const hash = link.indexOf('#')
  if (hash < 0) return { base: link, params: [] }
  const fragment = link.slice(hash + 1)
  return { base: link.slice(0, hash), params: fragment ? fragment.split('&') : [] }
}

/** `link` with the key in its fragment (`#k=…`), replacing a key already there and keeping other parameters. */
export function linkWithKey(link: string, key: Uint8Array): string {
  const { base, params } = fragmentParams(link)
  const rest = params.filter((p) => !p.startsWith('k='))
  return `${base}#${[keyToFragment(key), ...rest].join('&')}`
}

/** `link` without its fragment: what may be sent to the server. */
export function linkWithoutKey(link: string): string {
  return fragmentParams(link).base
}

/**
 * The key in a link's fragment (`#k=…`, also a bare fragment `k=…` or `#k=…`); null when there is none.
 * E2EFormatError when there is a `k=` that is not a valid key.
 */
export function keyFromLink(link: string): Uint8Array | null {
  const text = link.includes('#') ? link : link.startsWith('k=') ? `#${link}` : link
  const param = fragmentParams(text).params.find((p) => p.startsWith('k='))
  if (param === undefined) return null
  let value = param.slice(2)
  try {
    value = decodeURIComponent(value)
  } catch {
    throw new E2EFormatError('the key in the link is malformed')
  }
  return decodeKey(value)
}
