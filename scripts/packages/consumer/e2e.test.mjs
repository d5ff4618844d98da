// The installed @psitransfer/e2e: a round trip through the library, and its installed
// psitransfer-decrypt bin decrypting what the library encrypted.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createEncryptor, decrypt, encodeKey, generateKey } from '@psitransfer/e2e'
import { expect, it } from 'vitest'

async function collect(chunks) {
  const parts = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

it('encrypts, decrypts, and the installed bin decrypts too', async () => {
  const key = generateKey()
  const plaintext = Buffer.alloc(150_000, 7)
  const ciphertext = await collect((await createEncryptor(key)).encrypt([plaintext]))
  expect((await collect(decrypt(key, [ciphertext]))).equals(plaintext)).toBe(true)
  const dir = mkdtempSync(path.join(tmpdir(), 'psi-pack-e2e-'))
  try {
    writeFileSync(path.join(dir, 'f.enc'), ciphertext)
    const bin = path.join(process.cwd(), 'node_modules/.bin/psitransfer-decrypt')
    execFileSync(bin, [encodeKey(key), path.join(dir, 'f.enc'), '-o', path.join(dir, 'f')], { stdio: 'pipe' })
    expect(readFileSync(path.join(dir, 'f')).equals(plaintext)).toBe(true)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
