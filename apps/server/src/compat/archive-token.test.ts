import { describe, expect, it } from 'vitest'
import { archiveToken, legacyArchiveToken } from '../bucket.js'
import { DownloadTokens } from '../security/tokens.js'
import {
  checkArchiveAccess,
  fileSetTag,
  issueArchiveProof,
  listingArchiveToken,
  parseArchiveProof,
} from './archive-token.js'
import { fileMeta, T0 } from './fixtures.test-support.js'

const SID = 'a1b2c3d4e5f6'
const tokens = new DownloadTokens('compat-test-secret-0123456789', 600)
const open = [fileMeta({ key: 'k1' }), fileMeta({ key: 'k2' })]
const locked = open.map((f) => ({ ...f, password: '$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA' }))
/** The archive route's pattern for the token part (app.ts). */
const ROUTE_TOKEN = /^[A-Za-z0-9]{1,64}$/

describe('archive proof encoding', () => {
  it('fits the archive route and decodes back to the download token it was made of', () => {
    const proof = issueArchiveProof(tokens, SID, locked, T0)
    expect(proof).toMatch(ROUTE_TOKEN)
    expect(proof).toHaveLength(63)
    const parsed = parseArchiveProof(proof)
    expect(parsed?.tag).toBe(fileSetTag(locked))
    expect(parsed?.downloadToken).toBe(tokens.issue(SID, T0))
    expect(tokens.verify(SID, parsed?.downloadToken, T0)).toBe(true)
  })

  it('round-trips MACs with leading zero bytes and the largest value', () => {
    const fixed = (mac: Buffer) => ({
      issue: () => `1800000000.${mac.toString('base64url')}`,
      verify: () => true,
    })
    for (const mac of [
      Buffer.alloc(32),
      Buffer.alloc(32, 0xff),
      Buffer.from([0, 0, 1, ...Buffer.alloc(29, 7)]),
    ]) {
      const proof = issueArchiveProof(fixed(mac), SID, open, T0)
      expect(proof).toMatch(ROUTE_TOKEN)
      expect(parseArchiveProof(proof)?.downloadToken).toBe(`1800000000.${mac.toString('base64url')}`)
    }
  })

  it('key hashes and garbage are not proofs', () => {
    expect(parseArchiveProof(archiveToken(open))).toBeUndefined()
    expect(parseArchiveProof(legacyArchiveToken(open))).toBeUndefined()
    expect(parseArchiveProof('x')).toBeUndefined()
    // 43 base62 chars above 2^256 cannot be a SHA-256 MAC.
    expect(parseArchiveProof(`1800000000${'z'.repeat(43)}${'0'.repeat(10)}`)).toBeUndefined()
  })
})

describe('listingArchiveToken', () => {
  it('public bucket: the plain key hash (unchanged)', () => {
    expect(listingArchiveToken(tokens, SID, open, T0)).toBe(archiveToken(open))
  })
  it('protected bucket: a proof', () => {
    expect(parseArchiveProof(listingArchiveToken(tokens, SID, locked, T0))).toBeDefined()
  })
})

describe('checkArchiveAccess', () => {
  const check = (files: typeof open, token: string, queryToken?: string, now = T0) =>
    checkArchiveAccess({ proofs: tokens, sid: SID, files, token, queryToken, now })

  it('protected: the listing’s archiveToken alone opens the archive (PsiTransfer’s link)', () => {
    expect(check(locked, listingArchiveToken(tokens, SID, locked, T0))).toEqual({ ok: true })
  })

  it('protected: the proof expires with the download token', () => {
    const proof = listingArchiveToken(tokens, SID, locked, T0)
    expect(check(locked, proof, undefined, T0 + 11 * 60_000)).toEqual({
      ok: false,
      code: 'UNAUTHORIZED',
      reason: 'expired',
    })
  })

  it('protected: a proof for another bucket or with a forged MAC is refused', () => {
    const other = issueArchiveProof(tokens, 'zzzzzzzzzzzz', locked, T0)
    expect(check(locked, other)).toMatchObject({ ok: false, code: 'UNAUTHORIZED' })
    const forged = issueArchiveProof(new DownloadTokens('another-secret-000000000000', 600), SID, locked, T0)
    expect(check(locked, forged)).toMatchObject({ ok: false, code: 'UNAUTHORIZED' })
  })

  it('protected: a valid proof for another file set says the bucket changed', () => {
    const proof = issueArchiveProof(tokens, SID, locked.slice(0, 1), T0)
    expect(check(locked, proof)).toEqual({ ok: false, code: 'NOT_FOUND', reason: 'changed' })
  })

  it('protected: the key hash still needs ?token= (today’s rule, PsiTransfer’s md5 link included)', () => {
    expect(check(locked, archiveToken(locked))).toEqual({
      ok: false,
      code: 'UNAUTHORIZED',
      reason: 'password',
    })
    expect(check(locked, legacyArchiveToken(locked))).toMatchObject({ ok: false, code: 'UNAUTHORIZED' })
    expect(check(locked, archiveToken(locked), tokens.issue(SID, T0))).toEqual({ ok: true })
  })

  it('public: key hash (sha256 or md5) opens, another hash is a changed bucket', () => {
    expect(check(open, archiveToken(open))).toEqual({ ok: true })
    expect(check(open, legacyArchiveToken(open))).toEqual({ ok: true })
    expect(check(open, archiveToken(open.slice(1)))).toEqual({
      ok: false,
      code: 'NOT_FOUND',
      reason: 'changed',
    })
  })
})
