// An independent implementation of PSIE2E v1 on node:crypto, written from docs/encryption.md and
// sharing no code with the library: it generates the committed test vectors (make-vectors.ts) and
// cross-checks the library in the tests. Whole-buffer, no streaming: clarity over speed.
import { createCipheriv, hkdfSync } from 'node:crypto'

const R = 65536

function derive(
  key: Buffer,
  salt: Buffer,
  kind: 'file' | 'metadata',
  what: 'key' | 'check',
  length: number,
): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, `psitransfer-e2e v1 ${kind} ${what}`, length))
}

function header(key: Buffer, salt: Buffer, kind: 'file' | 'metadata'): Buffer {
  return Buffer.concat([
    Buffer.from('PSIE2E', 'ascii'),
    Buffer.from([1, kind === 'file' ? 0x46 : 0x4d]),
    salt,
    derive(key, salt, kind, 'check', 16),
  ])
}

function nonce(i: number, last: boolean): Buffer {
  const n = Buffer.alloc(12)
  n.writeBigUInt64BE(BigInt(i), 3) // bytes 3..10: the low 64 bits of the 88-bit counter
  n[11] = last ? 1 : 0
  return n
}

function seal(aesKey: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', aesKey, iv)
  c.setAAD(aad)
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
}

export function referenceEncrypt(key: Buffer, salt: Buffer, plaintext: Buffer): Buffer {
  const h = header(key, salt, 'file')
  const aesKey = derive(key, salt, 'file', 'key', 32)
  const n = Math.max(1, Math.ceil(plaintext.length / R))
  const parts = [h]
  for (let i = 0; i < n; i++)
    parts.push(seal(aesKey, nonce(i, i === n - 1), h, plaintext.subarray(i * R, (i + 1) * R)))
  return Buffer.concat(parts)
}

export function referenceSealMetadata(key: Buffer, fileSalt: Buffer, json: string): string {
  const h = header(key, fileSalt, 'metadata')
  const aesKey = derive(key, fileSalt, 'metadata', 'key', 32)
  return Buffer.concat([h, seal(aesKey, nonce(0, true), h, Buffer.from(json, 'utf8'))]).toString('base64url')
}

/** The plaintext pattern the large vectors use: byte j is (j * 7 + 3) mod 256. */
export function patternPlaintext(length: number): Buffer {
  const b = Buffer.alloc(length)
  for (let j = 0; j < length; j++) b[j] = (j * 7 + 3) & 0xff
  return b
}
