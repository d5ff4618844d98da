import { describe, expect, it } from 'vitest'
import { hashPassword, isPasswordHash, PasswordVerifier, safeEqual, verifyPassword } from './passwords.js'

describe('passwords', () => {
  it('hashes with argon2id and verifies', async () => {
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(isPasswordHash(hash)).toBe(true)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('wrong', hash)).toBe(false)
    expect(await hashPassword('correct horse')).not.toBe(hash) // random salt
  })

  it("verifies PsiTransfer's argon2id hashes (m=8 MiB, t=3)", async () => {
    // Made by PsiTransfer's settings for the password "secret".
    const legacy =
      '$argon2id$v=19$m=8192,t=3,p=1$96Qc4tFqHtUoHC/KEkRdvA$FI/jCrs6yUY3TO3TegizUZcnlhFM3htvnjdVovz4IXM'
    expect(await verifyPassword('secret', legacy)).toBe(true)
    expect(await verifyPassword('Secret', legacy)).toBe(false)
  })

  it('compares legacy plaintext exactly, and malformed hashes never match', async () => {
    expect(await verifyPassword('plain', 'plain')).toBe(true)
    expect(await verifyPassword('plain', 'plain2')).toBe(false)
    expect(await verifyPassword('x', '$argon2id$garbage')).toBe(false)
    expect(safeEqual('a', 'a')).toBe(true)
    expect(safeEqual('a', 'ab')).toBe(false)
  })

  it('verifyAll needs every distinct hash to match', async () => {
    const v = new PasswordVerifier()
    const a = await hashPassword('pw')
    const b = await hashPassword('pw')
    expect(await v.verifyAll('pw', [a, b, a], 0)).toBe(true)
    expect(await v.verifyAll('pw', [a, 'other'], 0)).toBe(false)
    expect(await v.verifyAll('nope', [a], 0)).toBe(false)
  })
})

/** A job that finishes when told to, recording the order jobs started in. */
