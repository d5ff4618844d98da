import { describe, expect, it } from 'vitest'
import { isPsiError } from './errors.js'
import {
  formatFileRef,
  isValidId,
  newBucketId,
  newFileId,
  parseBucketId,
  parseFileId,
  parseFileName,
  parseFileRef,
  parseRelativePath,
  storageKey,
} from './ids.js'
import { HOSTILE_IDS } from './testing/suites/ids.js'

function codeOf(fn: () => unknown): string {
  try {
    fn()
    return 'accepted'
  } catch (err) {
    return isPsiError(err) ? err.code : `non-PsiError: ${String(err)}`
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Decodes one of our ids back to its random bytes (dropping the alphanumeric prefix if any). */
function idBytes(id: string): Uint8Array {
  const body = id.length === 23 ? id.slice(1) : id
  expect(body).toHaveLength(22)
  let acc = 0n
  for (const c of body) acc = (acc << 6n) | BigInt(BASE64URL.indexOf(c))
  // 22 chars carry 132 bits; the last 4 are padding and must be zero.
  expect(acc & 0xfn).toBe(0n)
  acc >>= 4n
  const out = new Uint8Array(16)
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(acc & 0xffn)
    acc >>= 8n
  }
  return out
}

describe('id parsers', () => {
  it.each(['a', 'Z9', '0123456789ab', 'b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c', 'x_-y', 'a'.repeat(64)])(
    'accept %j',
    (id) => {
      expect(parseBucketId(id)).toBe(id)
      expect(parseFileId(id)).toBe(id)
      expect(isValidId(id)).toBe(true)
    },
  )

  it.each([...HOSTILE_IDS, '\u00e9', 'a b', 'a\tb', 'a+b', 'a:b', 'a*', '🙂'])(
    'reject %j with INVALID_ID',
    (id) => {
      expect(codeOf(() => parseBucketId(id))).toBe('INVALID_ID')
      expect(codeOf(() => parseFileId(id))).toBe('INVALID_ID')
      expect(codeOf(() => parseFileRef(`${id}++abc`))).toBe('INVALID_ID')
      expect(codeOf(() => parseFileRef(`abc++${id}`))).toBe('INVALID_ID')
    },
  )

  it.each([undefined, null, 7, {}, ['a'], new String('a')])('reject non-string %j', (value) => {
    expect(codeOf(() => parseBucketId(value))).toBe('INVALID_ID')
    expect(codeOf(() => parseFileId(value))).toBe('INVALID_ID')
    expect(codeOf(() => parseFileRef(value))).toBe('INVALID_ID')
  })

  it('parses and formats sid++key', () => {
    const ref = parseFileRef('0123456789ab++b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c')
    expect(ref).toEqual({ sid: '0123456789ab', key: 'b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c' })
    expect(formatFileRef(ref)).toBe('0123456789ab++b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c')
    expect(storageKey(ref, '.json')).toBe('0123456789ab/b7e3c1f0-8a4d-4b2e-9c1a-3f5d6e7a8b9c.json')
    for (const bad of ['abc', 'abc+def', '++abc', 'abc++', 'a++b++c', 'abc/++def', 'abc++def/..']) {
      expect(
        codeOf(() => parseFileRef(bad)),
        bad,
      ).toBe('INVALID_ID')
    }
  })
})

describe('new ids', () => {
  it('are valid, unique, and carry 128 random bits', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => (i % 2 ? newBucketId() : newFileId()))
    expect(new Set(ids).size).toBe(ids.length)
    let everSet = new Uint8Array(16)
    let everClear = new Uint8Array(16)
    for (const id of ids) {
      expect(isValidId(id)).toBe(true)
      expect(parseFileRef(formatFileRef({ sid: parseBucketId(id), key: parseFileId(id) })).key).toBe(id)
      const bytes = idBytes(id)
      everSet = everSet.map((v, i) => v | bytes[i]!)
      everClear = everClear.map((v, i) => v | (~bytes[i]! & 0xff))
    }
    // Every one of the 128 bit positions took both values: all of them are random.
    expect([...everSet]).toEqual(new Array(16).fill(0xff))
    expect([...everClear]).toEqual(new Array(16).fill(0xff))
  })
})

describe('parseFileName', () => {
  it.each([
    'a.txt',
    'Résumé 2024.pdf',
    '...',
    '.hidden',
    'a b',
    'archive.tar.gz',
    '日本語のファイル.txt',
    '😀.png',
  ])('accepts %j', (name) => {
    expect(parseFileName(name)).toBe(name)
  })

  it.each([
    ['empty', ''],
    ['dot', '.'],
    ['dot dot', '..'],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['leading space', ' a.txt'],
    ['trailing space', 'a.txt '],
    ['trailing newline', 'a.txt\n'],
    ['leading tab', '\ta'],
    ['NUL', 'a\u0000b'],
    ['newline inside', 'a\nb'],
    ['escape', 'a\u001b[31mb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['line separator', 'a\u2028b'],
    ['RLO bidi override', 'invoice\u202Etxt.exe'],
    ['LRI bidi isolate', 'a\u2066b'],
  ])('rejects %s', (_label, name) => {
    expect(codeOf(() => parseFileName(name))).toBe('INVALID_NAME')
  })

  it('rejects non-strings', () => {
    for (const v of [undefined, null, 1, {}]) expect(codeOf(() => parseFileName(v))).toBe('INVALID_NAME')
  })

  it('allows exactly 255 bytes of UTF-8, counted in bytes not characters', () => {
    expect(parseFileName('a'.repeat(255))).toHaveLength(255)
    expect(codeOf(() => parseFileName('a'.repeat(256)))).toBe('INVALID_NAME')
    // 'é' is 2 bytes: 127 of them plus one ASCII byte is 255 bytes in 128 characters.
    expect(codeOf(() => parseFileName(`${'é'.repeat(127)}a`))).toBe('accepted')
    expect(codeOf(() => parseFileName('é'.repeat(128)))).toBe('INVALID_NAME')
    // '😀' is 4 bytes (2 UTF-16 units): 63 of them + 3 bytes = 255.
    expect(codeOf(() => parseFileName(`${'😀'.repeat(63)}abc`))).toBe('accepted')
    expect(codeOf(() => parseFileName(`${'😀'.repeat(63)}abcd`))).toBe('INVALID_NAME')
    expect(codeOf(() => parseFileName('😀'.repeat(64)))).toBe('INVALID_NAME')
  })
})

describe('parseRelativePath', () => {
  it('accepts nested safe segments', () => {
    expect(parseRelativePath('photos/2024/a.jpg')).toBe('photos/2024/a.jpg')
    expect(parseRelativePath('a')).toBe('a')
  })

  it.each([
    '',
    '/a',
    'a/',
    'a//b',
    'a/../b',
    './a',
    'a/./b',
    'a\\b',
    'a/ b',
    'a/b\u0000',
    'x/'.repeat(2049) + 'x',
  ])('rejects %j', (path) => {
    expect(codeOf(() => parseRelativePath(path))).toBe('INVALID_NAME')
  })
})
