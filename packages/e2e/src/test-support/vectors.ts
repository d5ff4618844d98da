// The committed test vectors (src/fixtures/vectors-v1.json), decoded.
import { readFileSync } from 'node:fs'
import { patternPlaintext } from './reference.js'

export interface FileVector {
  name: string
  key: Uint8Array
  salt: Uint8Array
  plaintext: Uint8Array
  ciphertext: Uint8Array
}

export interface MetadataVector {
  name: string
  key: Uint8Array
  fileSalt: Uint8Array
  fields: Record<string, string>
  json: string
  blob: string
}

export const VECTORS_PATH = new URL('../fixtures/vectors-v1.json', import.meta.url)

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
const raw = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'))

export const fileVectors: FileVector[] = raw.files.map(
  (v: {
    name: string
    key: string
    salt: string
    plaintext?: string
    plaintextPattern?: number
    ciphertext: string
  }) => ({
    name: v.name,
    key: hex(v.key),
    salt: hex(v.salt),
    plaintext:
      v.plaintext !== undefined ? hex(v.plaintext) : new Uint8Array(patternPlaintext(v.plaintextPattern!)),
    ciphertext: hex(v.ciphertext),
  }),
)

export const metadataVectors: MetadataVector[] = raw.metadata.map(
  (v: {
    name: string
    key: string
    fileSalt: string
    fields: Record<string, string>
    json: string
    blob: string
  }) => ({
    ...v,
    key: hex(v.key),
    fileSalt: hex(v.fileSalt),
  }),
)

/** Collects an async iterable of chunks into one array. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return new Uint8Array(Buffer.concat(parts))
}

/** `bytes` as chunks of the given sizes, cycled (odd sizes exercise the record reassembly). */
export function* chunked(
  bytes: Uint8Array,
  sizes: number[] = [1000, 70000, 3, 65536],
): Generator<Uint8Array> {
  let at = 0
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!
    yield bytes.subarray(at, at + n)
    at += n
  }
}

/** Where two byte arrays first differ ('equal' if they don't): fast where toEqual walks elements. */
export function diff(actual: Uint8Array, expected: Uint8Array): string {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) return 'equal'
  let i = 0
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++
  return `differ at byte ${i} (lengths ${actual.length} and ${expected.length})`
}
