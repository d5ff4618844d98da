// What a reader reports when the data is not intact: truncation, reordering, bit flips, appended
// data, wrong key, wrong file, not our format; for files and metadata blobs.
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createEncryptor,
  decrypt,
  E2EError,
  type E2EErrorCode,
  E2EFormatError,
  E2EModifiedError,
  E2ETruncatedError,
  E2EWrongKeyError,
  FileDecryptor,
  generateKey,
  openMetadata,
  recordOffset,
  SEALED_RECORD_BYTES,
  sealMetadata,
} from './index.js'
import { collect, diff } from './test-support/vectors.js'

const key = generateKey()
const plaintext = new Uint8Array(randomBytes(3 * 65536 + 5000)) // 4 records, the last one short
let ciphertext: Uint8Array
let salt: Uint8Array

beforeAll(async () => {
  const enc = await createEncryptor(key)
  salt = enc.salt
  ciphertext = await collect(enc.encrypt([plaintext]))
})

/** Decrypts and returns the error (or null), with how many plaintext bytes came out before it. */
async function attempt(
  bytes: Uint8Array,
  options: Parameters<typeof decrypt>[2] = {},
  k: Uint8Array = key,
): Promise<{ error: E2EError | null; released: number }> {
  let released = 0
  try {
    for await (const chunk of decrypt(k, [bytes], options)) released += chunk.length
    return { error: null, released }
  } catch (err) {
    if (!(err instanceof E2EError)) throw err
    return { error: err, released }
  }
}

async function expectError(bytes: Uint8Array, code: E2EErrorCode, options = {}, k = key) {
  const { error, released } = await attempt(bytes, options, k)
  expect(error?.code, error?.message).toBe(code)
  return { error: error!, released }
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts))
const record = (i: number) => ciphertext.subarray(recordOffset(i), recordOffset(i + 1))

describe('truncation', () => {
  it('at every record boundary: truncated, after releasing only the records before it', async () => {
    for (let i = 1; i < 4; i++) {
      const { error, released } = await expectError(ciphertext.subarray(0, recordOffset(i)), 'truncated')
      expect(error).toBeInstanceOf(E2ETruncatedError)
      expect(released).toBe((i - 1) * 65536)
    }
  })

  it('right after the header, inside the header, and to nothing: truncated', async () => {
    await expectError(ciphertext.subarray(0, 40), 'truncated')
    await expectError(ciphertext.subarray(0, 20), 'truncated')
    await expectError(new Uint8Array(0), 'truncated')
  })

  it('inside a record: modified without a size, truncated with the expected size', async () => {
    const cut = ciphertext.subarray(0, recordOffset(2) + 1000)
    const { error } = await expectError(cut, 'modified')
    expect((error as E2EModifiedError).record).toBe(2)
    expect(error.message).toMatch(/cut short/)
    const sized = await expectError(cut, 'truncated', { expectedSize: ciphertext.length })
    expect(sized.released).toBe(2 * 65536) // the whole records before the cut
    await expectError(ciphertext.subarray(0, recordOffset(2) + 10), 'truncated') // less than a tag
  })

  it('of the last record only: modified (with a size: truncated)', async () => {
    await expectError(ciphertext.subarray(0, ciphertext.length - 1), 'modified')
    await expectError(ciphertext.subarray(0, ciphertext.length - 1), 'truncated', {
      expectedSize: ciphertext.length,
    })
  })
})

describe('reordering, duplication, extension', () => {
  it('two records swapped: modified at the first moved one', async () => {
    const swapped = cat(ciphertext.subarray(0, 40), record(0), record(2), record(1), record(3))
    const { error, released } = await expectError(swapped, 'modified')
    expect((error as E2EModifiedError).record).toBe(1)
    expect(released).toBe(65536)
  })

  it('a record repeated or dropped: modified', async () => {
    await expectError(
      cat(ciphertext.subarray(0, 40), record(0), record(0), record(1), record(2), record(3)),
      'modified',
    )
    await expectError(cat(ciphertext.subarray(0, 40), record(0), record(2), record(3)), 'modified')
  })

  it('bytes appended after a full last record: modified ("extended")', async () => {
    const full = await collect((await createEncryptor(key)).encrypt([plaintext.subarray(0, 2 * 65536)]))
    const { error } = await expectError(cat(full, new Uint8Array(20)), 'modified')
    expect((error as E2EModifiedError).record).toBe(1)
    expect(error.message).toMatch(/extended/)
  })

  it('bytes appended to a short last record: modified at that record', async () => {
    const { error } = await expectError(cat(ciphertext, new Uint8Array(1)), 'modified')
    expect((error as E2EModifiedError).record).toBe(3)
  })

  it('a whole file spliced from two files with the same key: the second header breaks it', async () => {
    const other = await collect((await createEncryptor(key)).encrypt([plaintext]))
    await expectError(
      cat(ciphertext.subarray(0, recordOffset(2)), other.subarray(recordOffset(2))),
      'modified',
    )
  })
})

describe('bit flips', () => {
  const flipped = (at: number, bit = 1) => {
    const copy = ciphertext.slice()
    copy[at]! ^= bit
    return copy
  }

  it('in the magic or version: not our format', async () => {
    await expectError(flipped(0), 'format')
    await expectError(flipped(6), 'format')
    await expectError(flipped(7), 'format')
  })

  it('in the salt or the key check: wrong key', async () => {
    await expectError(flipped(8), 'wrong-key')
    await expectError(flipped(39, 0x80), 'wrong-key')
  })

  it('in every record, in data and in tag: modified at that record, nothing of it released', async () => {
    for (let i = 0; i < 4; i++) {
      for (const at of [
        recordOffset(i),
        recordOffset(i) + 777,
        Math.min(recordOffset(i + 1), ciphertext.length) - 1,
      ]) {
        const { error, released } = await expectError(flipped(at, 0x10), 'modified')
        expect((error as E2EModifiedError).record).toBe(i)
        expect(released).toBe(i * 65536)
      }
    }
  })

  it('a sealed record of full size that is not the last but claims to be: not accepted', async () => {
    // The last record re-encrypted under index 3 as non-final cannot be forged without the key;
    // what an attacker can do is drop the real last record: that is truncation at a boundary.
    await expectError(ciphertext.subarray(0, recordOffset(3)), 'truncated')
    expect(SEALED_RECORD_BYTES).toBe(65552)
  })
})

describe('keys and files', () => {
  it('a wrong key is reported before any record is read', async () => {
    const { error, released } = await expectError(ciphertext, 'wrong-key', {}, generateKey())
    expect(error).toBeInstanceOf(E2EWrongKeyError)
    expect(error.message).toMatch(/wrong key/)
    expect(released).toBe(0)
  })

  it('expectedSalt: the right file passes, another file with the same key is a mismatch', async () => {
    expect((await attempt(ciphertext, { expectedSalt: salt })).error).toBeNull()
    await expectError(ciphertext, 'mismatch', { expectedSalt: new Uint8Array(16) })
  })

  it('data that is not ours: format error naming what it is not', async () => {
    const { error } = await expectError(
      new TextEncoder().encode('%PDF-1.7 a plain file, not encrypted at all'),
      'format',
    )
    expect(error).toBeInstanceOf(E2EFormatError)
    expect(error.message).toMatch(/not an encrypted PsiTransfer file/)
  })

  it('a metadata blob given as a file: format error', async () => {
    const blob = Buffer.from(await sealMetadata(key, { name: 'a' }, salt), 'base64url')
    const { error } = await expectError(new Uint8Array(blob), 'format')
    expect(error.message).toMatch(/metadata blob/)
  })

  it('a stream decrypted from a record with the header given separately', async () => {
    const tail = await collect(
      decrypt(key, [ciphertext.subarray(recordOffset(2))], {
        startRecord: 2,
        header: ciphertext.subarray(0, 40),
      }),
    )
    expect(diff(tail, plaintext.subarray(2 * 65536))).toBe('equal')
    await expect(collect(decrypt(key, [ciphertext], { startRecord: 1 }))).rejects.toThrow(/header/)
  })

  it('FileDecryptor.openRecord: a record moved to another index fails', async () => {
    const dec = await FileDecryptor.create(key, ciphertext.subarray(0, 40))
    expect(diff(await dec.openRecord(1, record(1), false), plaintext.subarray(65536, 131072))).toBe('equal')
    await expect(dec.openRecord(2, record(1), false)).rejects.toBeInstanceOf(E2EModifiedError)
  })
})

describe('metadata blobs', () => {
  const fields = { name: 'secret plan.pdf', type: 'application/pdf', comment: 'read me' }

  it('open with the key, and carry the salt of their file', async () => {
    const blob = await sealMetadata(key, fields, salt)
    expect(blob).toMatch(/^[A-Za-z0-9_-]+$/)
    const opened = await openMetadata(key, blob)
    expect(opened.fields).toEqual(fields)
    expect(diff(opened.fileSalt, salt)).toBe('equal')
    expect(blob).not.toContain('secret')
  })

  it('wrong key, modified, truncated, malformed, not ours', async () => {
    const blob = await sealMetadata(key, fields, salt)
    await expect(openMetadata(generateKey(), blob)).rejects.toBeInstanceOf(E2EWrongKeyError)
    const bytes = Buffer.from(blob, 'base64url')
    bytes[bytes.length - 1]! ^= 1
    await expect(openMetadata(key, bytes.toString('base64url'))).rejects.toBeInstanceOf(E2EModifiedError)
    await expect(openMetadata(key, blob.slice(0, 60))).rejects.toBeInstanceOf(E2ETruncatedError)
    await expect(openMetadata(key, blob.slice(0, 4))).rejects.toBeInstanceOf(E2ETruncatedError)
    await expect(openMetadata(key, `${blob}=`)).rejects.toBeInstanceOf(E2EFormatError)
    await expect(openMetadata(key, 'bm90IG91cnM')).rejects.toBeInstanceOf(E2EFormatError)
    const file = Buffer.from(ciphertext.subarray(0, 100)).toString('base64url')
    await expect(openMetadata(key, file)).rejects.toThrow(/encrypted file, not a metadata blob/)
  })

  it('refuses non-string fields and more than one record of JSON', async () => {
    await expect(sealMetadata(key, { size: 3 } as never, salt)).rejects.toThrow(TypeError)
    await expect(sealMetadata(key, { name: 'x'.repeat(70_000) }, salt)).rejects.toThrow(RangeError)
  })
})
