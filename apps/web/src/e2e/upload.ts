/**
 * "Encrypt in the browser" on the upload side (docs/encryption.md): every file goes through TUS as
 * PSIE2E ciphertext, its name, type, comment and folder sealed into the `e2e` metadata blob, and a
 * reload resumes from the server's offset by recomputing the same ciphertext from the same key and salt.
 */
import {
  base64urlDecode,
  base64urlEncode,
  ciphertextSize,
  createEncryptor,
  type FileEncryptor,
  generateSalt,
  HEADER_BYTES,
  RECORD_BYTES,
  recordCount,
  recordOffset,
  SEALED_RECORD_BYTES,
  sealMetadata,
} from '@psitransfer/e2e'
import type { UploadFactory, UploadHandle, UploadRequest } from '../upload/queue.js'
import type { E2ESession } from './session.js'

/** What the server sees instead of the file's name and type. */
export const NEUTRAL_NAME = 'encrypted.bin'
export const NEUTRAL_TYPE = 'application/octet-stream'
/** The TUS metadata key of the sealed metadata blob (apps/server upload/encrypted.ts). */
export const E2E_METADATA_KEY = 'e2e'

/** What tus-js-client's file reader gets instead of the File. */
interface EncryptedInput {
  file: Blob
  encryptor: FileEncryptor
}

/**
 * Ciphertext bytes `[start, end)` of `file`, reading its plaintext once for all records they touch
 * and sealing those records concurrently (WebCrypto works off the main thread); the bytes are those
 * of `FileEncryptor.encryptRange`, which the tests check.
 */
export async function encryptSlice(
  encryptor: FileEncryptor,
  file: Blob,
  start: number,
  end: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(end - start)
  const put = (bytes: Uint8Array, at: number) => {
    const from = Math.max(start, at)
    const to = Math.min(end, at + bytes.length)
    if (from < to) out.set(bytes.subarray(from - at, to - at), from - start)
  }
  if (start < HEADER_BYTES) put(encryptor.header, 0)
  if (end <= HEADER_BYTES) return out
  const records = recordCount(file.size)
  const first = Math.max(0, Math.floor((start - HEADER_BYTES) / SEALED_RECORD_BYTES))
  const last = Math.min(records - 1, Math.floor((end - 1 - HEADER_BYTES) / SEALED_RECORD_BYTES))
  const from = first * RECORD_BYTES
  const plain = new Uint8Array(
    await file.slice(from, Math.min((last + 1) * RECORD_BYTES, file.size)).arrayBuffer(),
  )
  const sealed = []
  for (let i = first; i <= last; i++) {
    const a = i * RECORD_BYTES - from
    const record = plain.subarray(a, Math.min(a + RECORD_BYTES, plain.length))
    sealed.push(encryptor.sealRecord(i, record, i === records - 1))
  }
  const done = await Promise.all(sealed)
  for (let k = 0; k < done.length; k++) put(done[k]!, recordOffset(first + k))
  return out
}

/** tus-js-client file reader for EncryptedInput: the upload's size and chunks are ciphertext. */
export const encryptedFileReader = {
  openFile(input: EncryptedInput) {
    const size = ciphertextSize(input.file.size)
    // The next chunk is encrypted while this one is sent (tus-js-client asks for chunks in order).
    let ahead: { start: number; end: number; bytes: Promise<Uint8Array> } | null = null
    const encrypt = (start: number, end: number) => {
      const bytes = encryptSlice(input.encryptor, input.file, start, end)
      bytes.catch(() => {})
      return bytes
    }
    return Promise.resolve({
      size,
      async slice(start: number, end: number) {
        const stop = Math.min(end, size)
        const hit = ahead && ahead.start === start && ahead.end === stop ? ahead.bytes : null
        const bytes = await (hit ?? encrypt(start, stop))
        const next = Math.min(size, stop + (stop - start))
        ahead = stop < size ? { start: stop, end: next, bytes: encrypt(stop, next) } : null
        // A Blob: tus-js-client reads the chunk's length from `.size`.
        return { value: new Blob([bytes as Uint8Array<ArrayBuffer>]), done: stop >= size }
      },
      close() {
        ahead = null
      },
    })
  },
}

export interface EncryptingOptions {
  key: Uint8Array
  /** The salt of this upload: the stored one on resume, else a new one that is stored first. */
  saltFor(fingerprint: string): Uint8Array
}

/** The salt for a fingerprint from the session, creating (and letting the caller persist) a new one. */
export function saltOf(session: E2ESession, fingerprint: string, persist: () => void): Uint8Array {
  const stored = session.salts[fingerprint]
  if (stored) {
    try {
      return base64urlDecode(stored)
    } catch {
      // unreadable: a new salt, and so a new upload (its fingerprint differs)
    }
  }
  const salt = generateSalt()
  session.salts[fingerprint] = base64urlEncode(salt)
  // Saved before the upload is created: an upload whose salt was lost could never be resumed.
  persist()
  return salt
}

/** The metadata the server gets for an encrypted file: the bucket fields, neutral name/type, the blob. */
export async function encryptedMetadata(
  key: Uint8Array,
  md: Record<string, string>,
  salt: Uint8Array,
): Promise<Record<string, string>> {
  const fields: Record<string, string> = { name: md.name ?? '', type: md.type ?? '' }
  if (md.comment) fields.comment = md.comment
  if (md.relativePath) fields.relativePath = md.relativePath
  const out: Record<string, string> = { name: NEUTRAL_NAME, type: NEUTRAL_TYPE }
  for (const k of ['sid', 'retention', 'password'] as const) if (md[k] !== undefined) out[k] = md[k]
  out[E2E_METADATA_KEY] = await sealMetadata(key, fields, salt)
  return out
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/**
 * Wraps an upload factory so that files are encrypted. The key and salt are prepared before the
 * first request; the fingerprint carries the salt, so a stored upload URL is only ever resumed
 * with the salt (and so the ciphertext) it was created with.
 */
export function encryptingFactory(inner: UploadFactory, o: EncryptingOptions): UploadFactory {
  return (req, cb) => {
    const prepared: Promise<UploadHandle> = (async () => {
      const salt = o.saltFor(req.fingerprint)
      const encryptor = await createEncryptor(o.key, { salt })
      const metadata = await encryptedMetadata(o.key, req.metadata, salt)
      const wrapped: UploadRequest = {
        ...req,
        fingerprint: `${req.fingerprint}::e2e-${hex(salt)}`,
        metadata,
        source: { input: { file: req.file, encryptor }, fileReader: encryptedFileReader },
      }
      return inner(wrapped, cb)
    })()
    prepared.catch(() => {})
    return {
      start: () => {
        prepared.then(
          (h) => h.start(),
          (err: unknown) =>
            cb.onError({ status: 0, message: err instanceof Error ? err.message : String(err) }),
        )
      },
      abort: async () => {
        const h = await prepared.catch(() => null)
        await h?.abort()
      },
      resumePrevious: async () => (await prepared).resumePrevious(),
    }
  }
}
