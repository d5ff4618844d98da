// Writes src/fixtures/vectors-v1.json with the node:crypto reference implementation:
//   node --import ../../scripts/ts/loader.mjs src/test-support/make-vectors.ts
// Keys and salts are fixed so the file is reproducible; rerunning must give the same bytes.
import { writeFileSync } from 'node:fs'
import { patternPlaintext, referenceEncrypt, referenceSealMetadata } from './reference.js'

const R = 65536
const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex')
const key2 = Buffer.from('c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00', 'hex')
const salt = (b: number) => Buffer.alloc(16, b)

const files = [
  { name: 'empty', key, salt: salt(0xa0), plaintext: Buffer.alloc(0) },
  { name: 'short text', key, salt: salt(0xa1), plaintext: Buffer.from('Hello, PsiTransfer!\n', 'utf8') },
  { name: 'exactly one record', key, salt: salt(0xa2), pattern: R },
  { name: 'one record + 1 byte', key, salt: salt(0xa3), pattern: R + 1 },
  { name: 'three records', key: key2, salt: salt(0xa4), pattern: 2 * R + 1000 },
].map((v) => {
  const plaintext = 'pattern' in v ? patternPlaintext(v.pattern!) : v.plaintext!
  return {
    name: v.name,
    key: v.key.toString('hex'),
    salt: v.salt.toString('hex'),
    ...('pattern' in v ? { plaintextPattern: v.pattern } : { plaintext: plaintext.toString('hex') }),
    ciphertext: referenceEncrypt(v.key, v.salt, plaintext).toString('hex'),
  }
})

const metadata = [
  { name: 'name and type', key, salt: salt(0xa1), fields: { name: 'hello.txt', type: 'text/plain' } },
  {
    name: 'unicode, comment, path',
    key: key2,
    salt: salt(0xa4),
    fields: {
      name: 'Übersicht 2026 ✓.pdf',
      type: 'application/pdf',
      comment: 'für dich',
      relativePath: 'a/b',
    },
  },
  { name: 'no fields', key, salt: salt(0xa0), fields: {} },
].map((v) => {
  const json = JSON.stringify(v.fields)
  return {
    name: v.name,
    key: v.key.toString('hex'),
    fileSalt: v.salt.toString('hex'),
    fields: v.fields,
    json,
    blob: referenceSealMetadata(v.key, v.salt, json),
  }
})

const out = {
  format: 'PSIE2E v1 (docs/encryption.md)',
  note: 'hex strings; plaintextPattern N means N bytes where byte j is (j * 7 + 3) mod 256; metadata blobs are base64url of the JSON in `json`',
  files,
  metadata,
}
writeFileSync(new URL('../fixtures/vectors-v1.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
console.log(`wrote ${files.length} file vectors and ${metadata.length} metadata vectors`)
