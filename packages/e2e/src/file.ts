// Encrypted files (kind F): sealing and opening records, streaming in both directions, and random
// access for resumable uploads. docs/encryption.md is the specification.
import { ByteQueue, type ByteSource } from './bytes.js'
import { E2EFormatError, E2EMismatchError, E2EModifiedError, E2ETruncatedError } from './errors.js'
import {
  buildHeader,
  ciphertextSize,
  HEADER_BYTES,
  isMagicPrefix,
  KIND_FILE,
  parseHeader,
  RECORD_BYTES,
  recordCount,
  recordNonce,
  recordOffset,
  SEALED_RECORD_BYTES,
  TAG_BYTES,
} from './format.js'
import { buf, checkSalt, deriveObjectKeys, generateSalt, verifyCheck } from './keys.js'

/**
 * Records sealed or opened concurrently, so WebCrypto (Node's thread pool, the browser's crypto
 * threads) can use more than one core; output stays in order and memory bounded (WINDOW records).
 */
const WINDOW = 4

/** A FIFO of record operations, taken in order. */
class InFlight {
  private readonly queue: Promise<Uint8Array>[] = []
  add(op: Promise<Uint8Array>): void {
    // Marked handled: when iteration stops at an earlier record, a later failure is not "unhandled".
    op.catch(() => {})
    this.queue.push(op)
  }
  full(): boolean {
    return this.queue.length >= WINDOW
  }
  size(): number {
    return this.queue.length
  }
  next(): Promise<Uint8Array> {
    return this.queue.shift()!
  }
}

export interface EncryptOptions {
  /** First record to produce (resume): the source then starts at plaintext offset `startRecord * 65536`
   * and the header is not emitted. Default 0. */
  startRecord?: number
}

export class FileEncryptor {
  private constructor(
    private readonly aes: CryptoKey,
    /** The 40-byte header: the first bytes of the encrypted file, and the records' associated data. */
    readonly header: Uint8Array,
    /** The file's random salt: keep it (with the key) to resume an upload. */
    readonly salt: Uint8Array,
  ) {}

  /** An encryptor for one file. Pass the salt of an earlier attempt to resume it; omit it for a new file. */
  static async create(key: Uint8Array, options: { salt?: Uint8Array } = {}): Promise<FileEncryptor> {
    const salt = options.salt ? new Uint8Array(options.salt) : generateSalt()
    checkSalt(salt)
    const { aes, check } = await deriveObjectKeys(key, salt, KIND_FILE)
    return new FileEncryptor(aes, buildHeader(KIND_FILE, salt, check), salt)
  }

  /** Seals record `index` (at most 65536 bytes; all but the last exactly 65536). */
  async sealRecord(index: number, plaintext: Uint8Array, last: boolean): Promise<Uint8Array> {
    if (plaintext.length > RECORD_BYTES || (!last && plaintext.length !== RECORD_BYTES))
      throw new RangeError('a record holds 65536 bytes, only the last one may hold fewer')
    if (last && plaintext.length === 0 && index > 0)
      throw new RangeError('only an empty file has an empty last record')
    const sealed = await globalThis.crypto.subtle.encrypt(
      {
        name: 'AES-GCM',
        iv: buf(recordNonce(index, last)),
        additionalData: buf(this.header),
        tagLength: 128,
      },
      this.aes,
      buf(plaintext),
    )
    return new Uint8Array(sealed)
  }

  /**
   * Encrypts a plaintext stream: the header (when starting at record 0), then one sealed record per
   * 64 KiB. Memory: WINDOW records in flight plus one source chunk.
   */
  async *encrypt(source: ByteSource, options: EncryptOptions = {}): AsyncGenerator<Uint8Array> {
    const start = options.startRecord ?? 0
    if (!Number.isSafeInteger(start) || start < 0)
      throw new RangeError('startRecord must be a non-negative integer')
    const queue = new ByteQueue(source)
    const inFlight = new InFlight()
    try {
      if (start === 0) yield this.header.slice()
      for (let i = start; ; i++) {
        // One byte beyond the record tells whether it is the last one.
        const more = await queue.fill(RECORD_BYTES + 1)
        const plaintext = queue.take(RECORD_BYTES)
        if (!more && plaintext.length === 0 && i > 0) {
          if (i === start)
            throw new RangeError(`the plaintext ends before record ${start}: nothing to resume`)
          // Unreachable: a full record followed by no byte was already sealed as last.
          throw new Error('internal: empty last record')
        }
        inFlight.add(this.sealRecord(i, plaintext, !more))
        if (more && !inFlight.full()) continue
        while (inFlight.size() > (more ? WINDOW - 1 : 0)) yield await inFlight.next()
        if (!more) return
      }
    } finally {
      await queue.close()
    }
  }

  /**
   * Bytes `[start, end)` of the encrypted file, reading only the plaintext it needs through
   * `read(from, to)` (e.g. `(a, b) => blob.slice(a, b).arrayBuffer()`): a chunked TUS reader. The
   * plaintext must be the same on every call (see "Resuming an upload" in docs/encryption.md).
   */
  async encryptRange(
    read: (from: number, to: number) => Promise<Uint8Array | ArrayBuffer>,
    plaintextSize: number,
    start: number,
    end: number,
  ): Promise<Uint8Array> {
    const total = ciphertextSize(plaintextSize)
    if (
      !(
        Number.isSafeInteger(start) &&
        Number.isSafeInteger(end) &&
        0 <= start &&
        start <= end &&
        end <= total
      )
    )
      throw new RangeError(`range [${start}, ${end}) is outside the encrypted file of ${total} bytes`)
    const out = new Uint8Array(end - start)
    const n = recordCount(plaintextSize)
    const put = (bytes: Uint8Array, at: number) => {
      const from = Math.max(start, at)
      const to = Math.min(end, at + bytes.length)
      if (from < to) out.set(bytes.subarray(from - at, to - at), from - start)
    }
    if (start < HEADER_BYTES) put(this.header, 0)
    const first = Math.max(0, Math.floor((start - HEADER_BYTES) / SEALED_RECORD_BYTES))
    for (let i = first; i < n && recordOffset(i) < end; i++) {
      const from = i * RECORD_BYTES
      const to = Math.min(from + RECORD_BYTES, plaintextSize)
      const got = await read(from, to)
      const plaintext = got instanceof Uint8Array ? got : new Uint8Array(got)
      if (plaintext.length !== to - from)
        throw new RangeError(`read(${from}, ${to}) returned ${plaintext.length} bytes, expected ${to - from}`)
      put(await this.sealRecord(i, plaintext, i === n - 1), recordOffset(i))
    }
    return out
  }
}

export interface DecryptorOptions {
  /** The salt the file must have (from its metadata blob): E2EMismatchError otherwise. */
  expectedSalt?: Uint8Array
}

export class FileDecryptor {
  private constructor(
    private readonly aes: CryptoKey,
    readonly header: Uint8Array,
    readonly salt: Uint8Array,
  ) {}

  /**
   * Checks a file's 40-byte header against `key`: E2EFormatError (not PSIE2E v1), E2EWrongKeyError,
   * E2EMismatchError (not the expected file).
   */
  static async create(
    key: Uint8Array,
    header: Uint8Array,
    options: DecryptorOptions = {},
  ): Promise<FileDecryptor> {
    const parsed = parseHeader(header, KIND_FILE)
    const { aes, check } = await deriveObjectKeys(key, parsed.salt, KIND_FILE)
    verifyCheck(check, parsed.check)
    if (options.expectedSalt) {
      checkSalt(options.expectedSalt)
      if (!parsed.salt.every((b, i) => b === options.expectedSalt![i])) throw new E2EMismatchError()
    }
    return new FileDecryptor(aes, header.slice(0, HEADER_BYTES), parsed.salt)
  }

  private async tryOpen(index: number, sealed: Uint8Array, last: boolean): Promise<Uint8Array | null> {
    try {
      const plain = await globalThis.crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: buf(recordNonce(index, last)),
          additionalData: buf(this.header),
          tagLength: 128,
        },
        this.aes,
        buf(sealed),
      )
      return new Uint8Array(plain)
    } catch {
      return null
    }
  }

  /**
   * Opens sealed record `index` (`last`: whether the file ends with it). On failure tells what
   * happened: the same record with the other last flag opens → truncated at a record boundary (it was
   * not the last) or data after the last record; else modified.
   */
  async openRecord(index: number, sealed: Uint8Array, last: boolean): Promise<Uint8Array> {
    if (
      sealed.length < TAG_BYTES ||
      sealed.length > SEALED_RECORD_BYTES ||
      (!last && sealed.length !== SEALED_RECORD_BYTES)
    )
      throw new E2ETruncatedError(`record ${index} is incomplete (${sealed.length} bytes)`)
    const plain = await this.tryOpen(index, sealed, last)
    if (plain) {
      if (last && plain.length === 0 && index > 0)
        throw new E2EModifiedError(
          index,
          `record ${index} is an empty last record, which no encryptor writes`,
        )
      return plain
    }
    if (await this.tryOpen(index, sealed, !last)) {
      if (last)
        throw new E2ETruncatedError(`the file ends after record ${index}, which is not its last record`)
      throw new E2EModifiedError(index, `data follows the last record (${index}): the file was extended`)
    }
    const hint = last ? ' (or the file was cut short inside it)' : ''
    throw new E2EModifiedError(
      index,
      `record ${index} cannot be authenticated: it was modified or moved${hint}`,
    )
  }
}

export interface DecryptOptions extends DecryptorOptions {
  /** First record in the source (a download resumed at `recordOffset(startRecord)`); needs `header`. */
  startRecord?: number
  /** The file's header, when the source does not start with it (startRecord > 0). */
  header?: Uint8Array
  /** The encrypted file's full size when known (Content-Length): an early end is then reported as truncated. */
  expectedSize?: number
}

async function readHeader(queue: ByteQueue): Promise<Uint8Array> {
  const full = await queue.fill(HEADER_BYTES)
  const bytes = queue.take(HEADER_BYTES)
  if (!full) {
    if (bytes.length === 0)
      throw new E2ETruncatedError('the file is empty (an encrypted file has at least 56 bytes)')
    if (!isMagicPrefix(bytes))
      throw new E2EFormatError('not an encrypted PsiTransfer file (no PSIE2E header)')
    throw new E2ETruncatedError(`the file ends inside its header (${bytes.length} of 40 bytes)`)
  }
  return bytes.slice()
}

/** Why data ending with `length` bytes of record `index` (at `offset`) is cut short; null if it may not be. */
function endError(
  index: number,
  length: number,
  offset: number,
  expectedSize?: number,
): E2ETruncatedError | null {
  if (expectedSize !== undefined && offset < expectedSize)
    return new E2ETruncatedError(`the file ends at byte ${offset} of ${expectedSize}`)
  if (length === 0) {
    if (index === 0) return new E2ETruncatedError('the file ends after its header')
    return new E2ETruncatedError(`the file ends after record ${index - 1}, which is not its last record`)
  }
  if (length < TAG_BYTES) return new E2ETruncatedError(`the file ends inside record ${index}`)
  return null
}

/**
 * Decrypts an encrypted file as a stream, yielding each record's plaintext once authenticated.
 * Throws (from the iteration) E2EFormatError, E2EWrongKeyError, E2EMismatchError, E2ETruncatedError
 * or E2EModifiedError; the plaintext yielded before an error is authentic but incomplete.
 */
export async function* decrypt(
  key: Uint8Array,
  source: ByteSource,
  options: DecryptOptions = {},
): AsyncGenerator<Uint8Array> {
  const start = options.startRecord ?? 0
  if (!Number.isSafeInteger(start) || start < 0)
    throw new RangeError('startRecord must be a non-negative integer')
  if (start > 0 && !options.header)
    throw new TypeError('startRecord > 0 needs the file header (options.header)')
  const queue = new ByteQueue(source)
  try {
    const header = start === 0 ? await readHeader(queue) : options.header!
    const decryptor = await FileDecryptor.create(key, header, options)
    let offset = start === 0 ? HEADER_BYTES : recordOffset(start)
    const inFlight = new InFlight()
    for (let i = start; ; i++) {
      // A record followed by at least one more byte is not the last.
      const more = await queue.fill(SEALED_RECORD_BYTES + 1)
      const sealed = queue.take(SEALED_RECORD_BYTES)
      offset += sealed.length
      const early = more ? null : endError(i, sealed.length, offset, options.expectedSize)
      if (early) {
        // The records before are authentic: release them first, as when a record fails.
        while (inFlight.size() > 0) yield await inFlight.next()
        throw early
      }
      inFlight.add(decryptor.openRecord(i, sealed, !more))
      if (more && !inFlight.full()) continue
      // In order: a failing record throws before anything after it is released.
      while (inFlight.size() > (more ? WINDOW - 1 : 0)) yield await inFlight.next()
      if (!more) return
    }
  } finally {
    await queue.close()
  }
}

/** Encrypts a plaintext stream with a new random salt; `encryptor.header`/`salt` identify the file. */
export async function createEncryptor(
  key: Uint8Array,
  options: { salt?: Uint8Array } = {},
): Promise<FileEncryptor> {
  return FileEncryptor.create(key, options)
}
