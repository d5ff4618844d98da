import {
  base64urlDecode,
  ciphertextSize,
  createEncryptor,
  decrypt,
  generateKey,
  openMetadata,
} from '@psitransfer/e2e'
import { describe, expect, it } from 'vitest'
import type { UploadCallbacks, UploadFactory, UploadRequest } from '../upload/queue.js'
import { linkKey, openItems } from './download.js'
import { newE2ESession, parseE2ESession } from './session.js'
import {
  E2E_METADATA_KEY,
  encryptedFileReader,
  encryptedMetadata,
  encryptingFactory,
  encryptSlice,
  NEUTRAL_NAME,
  saltOf,
} from './upload.js'

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 9)) & 0xff)
const collect = async (it: AsyncIterable<Uint8Array>) => {
  const out: Uint8Array[] = []
  for await (const c of it) out.push(c)
  return out
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

describe('encrypted uploads', () => {
  it('cuts the ciphertext into chunks that join to the streamed encryption, from any offset', async () => {
    const key = generateKey()
    const plain = bytes(3 * 65536 + 1234)
    const file = new Blob([plain])
    const enc = await createEncryptor(key)
    const whole = concat(await collect(enc.encrypt([plain])))
    expect(whole.length).toBe(ciphertextSize(plain.length))
    // Chunk boundaries inside the header, inside records and on record edges, as a resumed TUS upload sends them.
    for (const cuts of [
      [0, 7, 40, 65592, 100_000, whole.length],
      [0, 1_000_000_000],
      [131_184, 131_185, whole.length],
    ]) {
      const parts: Uint8Array[] = []
      for (let i = 0; i + 1 < cuts.length; i++) {
        const from = cuts[i]!
        const to = Math.min(cuts[i + 1]!, whole.length)
        if (from < whole.length) parts.push(await encryptSlice(enc, file, from, to))
      }
      const start = cuts[0]!
      // The same bytes as the library's own random access.
      const end = Math.min(cuts.at(-1)!, whole.length)
      const ranged = await enc.encryptRange(
        (a, b) => Promise.resolve(plain.slice(a, b)),
        plain.length,
        start,
        end,
      )
      expect(Buffer.from(ranged).equals(whole.subarray(start, end))).toBe(true)
      expect(Buffer.from(concat(parts)).equals(whole.subarray(start))).toBe(true)
    }
  })

  it('gives tus-js-client ciphertext chunks as Blobs with the ciphertext size', async () => {
    const key = generateKey()
    const plain = bytes(70_000)
    const enc = await createEncryptor(key)
    const source = await encryptedFileReader.openFile({ file: new Blob([plain]), encryptor: enc })
    expect(source.size).toBe(ciphertextSize(plain.length))
    const a = await source.slice(0, 50_000)
    const b = await source.slice(50_000, 1e9)
    expect([a.done, b.done]).toEqual([false, true])
    expect([a.value.size, b.value.size]).toEqual([50_000, source.size - 50_000])
    const joined = concat([
      new Uint8Array(await a.value.arrayBuffer()),
      new Uint8Array(await b.value.arrayBuffer()),
    ])
    const out = concat(await collect(decrypt(key, [joined])))
    expect(Buffer.from(out).equals(plain)).toBe(true)
  })

  it('sends a neutral name and type and seals the real ones under the file salt', async () => {
    const key = generateKey()
    const enc = await createEncryptor(key)
    const md = await encryptedMetadata(
      key,
      {
        sid: 'abc',
        retention: '3600',
        name: 'secret.pdf',
        type: 'application/pdf',
        comment: 'c',
        relativePath: 'p/q',
      },
      enc.salt,
    )
    expect(md).toMatchObject({
      sid: 'abc',
      retention: '3600',
      name: NEUTRAL_NAME,
      type: 'application/octet-stream',
    })
    expect(JSON.stringify(md)).not.toMatch(/secret|pdf|p\/q/)
    const opened = await openMetadata(key, md[E2E_METADATA_KEY]!)
    expect(opened.fields).toEqual({
      name: 'secret.pdf',
      type: 'application/pdf',
      comment: 'c',
      relativePath: 'p/q',
    })
    expect(opened.fileSalt).toEqual(enc.salt)
  })

  it('keeps one salt per upload, saved before it is used', () => {
    const session = newE2ESession()
    let saved = 0
    const a = saltOf(session, 'fp-a', () => saved++)
    expect(saved).toBe(1)
    expect(saltOf(session, 'fp-a', () => saved++)).toEqual(a)
    expect(saved).toBe(1)
    expect(saltOf(session, 'fp-b', () => saved++)).not.toEqual(a)
    const restored = parseE2ESession(JSON.parse(JSON.stringify(session)))
    expect(restored && base64urlDecode(restored.salts['fp-a']!)).toEqual(a)
    expect(parseE2ESession({ key: 'short', salts: {} })).toBeUndefined()
    expect(parseE2ESession(undefined)).toBeUndefined()
  })

  it('wraps the upload factory: encrypted source, metadata and a fingerprint bound to the salt', async () => {
    const key = generateKey()
    const session = newE2ESession()
    let seen: UploadRequest | undefined
    const inner: UploadFactory = (req) => {
      seen = req
      return { start() {}, abort: async () => {}, resumePrevious: async () => false }
    }
    const factory = encryptingFactory(inner, { key, saltFor: (fp) => saltOf(session, fp, () => {}) })
    const file = new File([bytes(10)], 'x.txt')
    const handle = factory(
      {
        file,
        fingerprint: 'psi::sid::/x.txt',
        metadata: { sid: 's', name: 'x.txt', type: 'text/plain' },
        bucketToken: () => undefined,
      },
      {} as UploadCallbacks,
    )
    expect(await handle.resumePrevious()).toBe(false)
    expect(seen!.fingerprint).toMatch(/^psi::sid::\/x\.txt::e2e-[0-9a-f]{32}$/)
    expect(seen!.metadata.name).toBe(NEUTRAL_NAME)
    expect(seen!.source?.input).toMatchObject({ file })
  })
})

describe('encrypted downloads', () => {
  it('reads the key from the fragment: missing, malformed, present', () => {
    const key = generateKey()
    expect(linkKey('https://h/sid')).toEqual({ kind: 'missing' })
    expect(linkKey('https://h/sid#k=abc')).toEqual({ kind: 'malformed' })
    expect(linkKey(`https://h/sid#k=${Buffer.from(key).toString('base64url')}`)).toEqual({ kind: 'ok', key })
  })

  it('opens sealed names, and reports a wrong key', async () => {
    const key = generateKey()
    const enc = await createEncryptor(key)
    const md = await encryptedMetadata(key, { name: 'real.txt', type: 'text/plain' }, enc.salt)
    const item = {
      key: 'k',
      name: NEUTRAL_NAME,
      relativePath: '',
      comment: '',
      type: 'application/octet-stream',
      size: ciphertextSize(100),
      createdAt: 0,
      expiresAt: null,
      downloadsLeft: null,
      oneTime: false,
      downloaded: false,
      url: '/files/s++k',
      encrypted: true as const,
      e2e: md[E2E_METADATA_KEY]!,
    }
    const ok = await openItems(key, [item])
    expect(ok.ok && ok.items[0]).toMatchObject({ name: 'real.txt', type: 'text/plain', size: 100 })
    expect(await openItems(generateKey(), [item])).toEqual({ ok: false, failure: 'wrong-key' })
  })
})
