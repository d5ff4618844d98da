// The committed test vectors (made by the node:crypto reference implementation) against the library,
// in both directions, plus the library against the reference on random inputs.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  ciphertextSize,
  createEncryptor,
  decrypt,
  openMetadata,
  plaintextSize,
  recordCount,
  recordOffset,
  resumePoint,
  sealMetadata,
  toReadableStream,
} from './index.js'
import { referenceEncrypt, referenceSealMetadata } from './test-support/reference.js'
import { chunked, collect, diff, fileVectors, metadataVectors } from './test-support/vectors.js'

describe.each(fileVectors)('file vector "$name"', (v) => {
  it('encrypts to the expected ciphertext', async () => {
    const enc = await createEncryptor(v.key, { salt: v.salt })
    expect(Buffer.from(await collect(enc.encrypt(chunked(v.plaintext)))).toString('hex')).toBe(
      Buffer.from(v.ciphertext).toString('hex'),
    )
    expect(enc.header).toEqual(v.ciphertext.subarray(0, 40))
  })

  it('decrypts the expected ciphertext (iterable and ReadableStream sources)', async () => {
    expect(diff(await collect(decrypt(v.key, chunked(v.ciphertext, [7, 65552, 100_000]))), v.plaintext)).toBe(
      'equal',
    )
    const stream = toReadableStream(
      (async function* () {
        yield* chunked(v.ciphertext, [40, 65553])
      })(),
    )
    expect(diff(await collect(decrypt(v.key, stream, { expectedSalt: v.salt })), v.plaintext)).toBe('equal')
  })

  it('has the sizes the size functions give', () => {
    expect(ciphertextSize(v.plaintext.length)).toBe(v.ciphertext.length)
    expect(plaintextSize(v.ciphertext.length)).toBe(v.plaintext.length)
  })

  it('resumes from every record and every offset class to the same bytes', async () => {
    const enc = await createEncryptor(v.key, { salt: v.salt })
    const n = recordCount(v.plaintext.length)
    for (let k = 0; k < n; k++) {
      const tail = await collect(enc.encrypt(chunked(v.plaintext.subarray(k * 65536)), { startRecord: k }))
      expect(diff(tail, v.ciphertext.subarray(k === 0 ? 0 : recordOffset(k)))).toBe('equal')
    }
    const size = v.ciphertext.length
    for (const offset of new Set(
      [0, 1, 39, 40, 41, 65591, 65592, 65593, size - 17, size - 1].filter((o) => o >= 0 && o < size),
    )) {
      const p = resumePoint(offset)
      const out = await collect(
        enc.encrypt(chunked(v.plaintext.subarray(p.plaintextOffset)), { startRecord: p.record }),
      )
      expect(diff(out.subarray(p.skip), v.ciphertext.subarray(offset))).toBe('equal')
    }
  })

  it('serves any byte range through encryptRange', async () => {
    const enc = await createEncryptor(v.key, { salt: v.salt })
    const read = async (a: number, b: number) => v.plaintext.slice(a, b)
    const size = v.ciphertext.length
    const cuts = [0, 1, 40, 56, 1000, 65592, 65600, 131144, size - 1, size].filter((c) => c <= size)
    for (const a of cuts)
      for (const b of cuts)
        if (a <= b)
          expect(
            diff(await enc.encryptRange(read, v.plaintext.length, a, b), v.ciphertext.subarray(a, b)),
            `[${a}, ${b})`,
          ).toBe('equal')
  })
})

describe.each(metadataVectors)('metadata vector "$name"', (v) => {
  it('seals to the expected blob and opens it', async () => {
    expect(JSON.stringify(v.fields)).toBe(v.json)
    expect(await sealMetadata(v.key, v.fields, v.fileSalt)).toBe(v.blob)
    const opened = await openMetadata(v.key, v.blob)
    expect(opened.fields).toEqual(v.fields)
    expect(opened.fileSalt).toEqual(v.fileSalt)
  })
})

describe('library against the reference implementation, random inputs', () => {
  it.each([0, 1, 15, 16, 17, 65535, 65536, 65537, 131072, 200_000])('%i bytes', async (size) => {
    const key = randomBytes(32)
    const salt = randomBytes(16)
    const plaintext = randomBytes(size)
    const expected = referenceEncrypt(key, salt, plaintext)
    const enc = await createEncryptor(key, { salt })
    expect(Buffer.from(await collect(enc.encrypt([plaintext]))).equals(expected)).toBe(true)
    expect(Buffer.from(await collect(decrypt(key, [expected]))).equals(plaintext)).toBe(true)
    const fields = { name: randomBytes(8).toString('hex'), comment: 'x'.repeat(size % 300) }
    const blob = referenceSealMetadata(key, salt, JSON.stringify(fields))
    expect(await sealMetadata(key, fields, salt)).toBe(blob)
  })
})
