import { describe, expect, it } from 'vitest'
import { generatePassword, isSendablePassword, PASSWORD_ALPHABET } from './password.js'

describe('generatePassword', () => {
  it('makes 10 characters from the unambiguous alphabet by default', () => {
    const p = generatePassword()
    expect(p).toHaveLength(10)
    for (const c of p) expect(PASSWORD_ALPHABET).toContain(c)
    expect(p).not.toMatch(/[0O1lI]/)
  })

  it('rejects bytes that would bias the distribution', () => {
    const n = PASSWORD_ALPHABET.length
    const limit = 256 - (256 % n)
    // First call: only biased bytes (all rejected); second call: byte 0 → first letter.
    let call = 0
    const random = (len: number) => new Uint8Array(len).fill(call++ === 0 ? limit : 0)
    expect(generatePassword(4, random)).toBe(PASSWORD_ALPHABET[0]!.repeat(4))
  })

  it('differs between calls', () => {
    expect(generatePassword(16)).not.toBe(generatePassword(16))
  })
})

describe('isSendablePassword', () => {
  it('accepts any printable password, also with spaces and non-Latin characters', () => {
    for (const ok of [
      'a',
      'Tr0ub4dor&3',
      'correct horse battery',
      generatePassword(),
      ' lead',
      'пароль',
      '密码',
    ]) {
      expect(isSendablePassword(ok)).toBe(true)
    }
  })

  it('refuses empty passwords and control characters', () => {
    for (const bad of ['', 'tab\there', 'nl\n', 'nul\u0000']) {
      expect(isSendablePassword(bad)).toBe(false)
    }
  })
})
