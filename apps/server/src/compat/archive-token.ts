/**
 * The `archiveToken` of a bucket listing as a short-lived proof (issue #18, item 3).
 *
 * PsiTransfer's client builds archive links as `files/{sid}++{archiveToken}.zip` from the
 * listing and appends nothing, so a protected bucket's archive link must carry its proof in
 * the token itself. For protected buckets the listing's `archiveToken` is therefore the
 * download token that {@link DownloadTokens} issues after the password check (same key, same
 * TTL, same binding to the bucket id), re-encoded to fit the archive route's
 * `[A-Za-z0-9]{1,64}`, followed by a tag of the file set so "the bucket changed since the
 * page was loaded" is still detected. Public buckets keep the plain key hash of `bucket.ts`.
 *
 * Token layout (protected): `{expiry digits}{MAC, 43 base62 chars}{tag, 10 hex chars}`, 63
 * characters until the year 2286. The MAC is DownloadTokens' HMAC; the tag is no secret.
 * @module
 */
import { createHash } from 'node:crypto'
import type { FileMeta } from '@psitransfer/core'
import { archiveToken, legacyArchiveToken, passwordHashes } from '../bucket.js'

/** What {@link import('../security/tokens.js').DownloadTokens} offers. */
export interface BucketProofs {
  issue(sid: string, now: number): string
  verify(sid: string, token: string | undefined | null, now: number): boolean
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const MAC_BYTES = 32
/** 62^43 > 2^256: the shortest fixed width that holds a SHA-256 MAC. */
const MAC_CHARS = 43
const TAG_CHARS = 10
const PROOF = /^(\d{1,12})([0-9A-Za-z]{43})([0-9a-f]{10})$/

function toBase62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`)
  let out = ''
  while (n > 0n) {
    out = B62[Number(n % 62n)] + out
    n /= 62n
  }
  return out.padStart(MAC_CHARS, '0')
}

function fromBase62(s: string): Buffer | undefined {
  let n = 0n
  for (const ch of s) n = n * 62n + BigInt(B62.indexOf(ch))
  if (n >= 1n << BigInt(MAC_BYTES * 8)) return undefined
  return Buffer.from(n.toString(16).padStart(MAC_BYTES * 2, '0'), 'hex')
}

/** Binds a proof to the files the listing showed (their keys, in listing order). */
export function fileSetTag(files: readonly FileMeta[]): string {
  return createHash('sha256')
    .update(files.map((f) => f.key).join(','))
    .digest('hex')
    .slice(0, TAG_CHARS)
}

/** An archive proof for `sid` and these files, valid as long as a download token issued now. */
export function issueArchiveProof(
  proofs: BucketProofs,
  sid: string,
  files: readonly FileMeta[],
  now: number,
): string {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(proofs.issue(sid, now))
  if (!m) throw new Error('unexpected download token format')
  return `${m[1]}${toBase62(Buffer.from(m[2] as string, 'base64url'))}${fileSetTag(files)}`
}

/** The download token and file-set tag inside an archive proof, or `undefined` if it is none. */
export function parseArchiveProof(token: string): { downloadToken: string; tag: string } | undefined {
  const m = PROOF.exec(token)
  if (!m) return undefined
  const mac = fromBase62(m[2] as string)
  if (!mac) return undefined
  return { downloadToken: `${m[1]}.${mac.toString('base64url')}`, tag: m[3] as string }
}

/** The `archiveToken` a (password-checked) listing of these servable files sends. */
export function listingArchiveToken(
  proofs: BucketProofs,
  sid: string,
  files: readonly FileMeta[],
  now: number,
): string {
  return passwordHashes(files).length > 0 ? issueArchiveProof(proofs, sid, files, now) : archiveToken(files)
}

export type ArchiveAccess =
  | { ok: true }
  /** The token is a key hash of another file set (or garbage): 404, reload the page. */
  | { ok: false; code: 'NOT_FOUND'; reason: 'changed' }
  /** Protected bucket without a valid proof: 401 (`expired` when the path held a proof that no longer verifies). */
  | { ok: false; code: 'UNAUTHORIZED'; reason: 'password' | 'expired' }

/**
 * Whether `files/{sid}++{token}.{zip|tar.gz}` may be served, for the bucket's current servable
 * files. Accepts a proof from {@link listingArchiveToken}, or (as today) the key hash (sha256
 * or PsiTransfer's md5) plus, for protected buckets, a valid `?token=`.
 */
export function checkArchiveAccess(args: {
  proofs: BucketProofs
  sid: string
  files: readonly FileMeta[]
  /** The `{token}` part of the path. */
  token: string
  /** `?token=` of the request. */
  queryToken: string | undefined
  now: number
}): ArchiveAccess {
  const { proofs, sid, files, token, queryToken, now } = args
  const proof = parseArchiveProof(token)
  if (proof) {
    // MAC first: an unauthenticated caller learns nothing about the file set.
    if (!proofs.verify(sid, proof.downloadToken, now))
      return { ok: false, code: 'UNAUTHORIZED', reason: 'expired' }
    if (proof.tag !== fileSetTag(files)) return { ok: false, code: 'NOT_FOUND', reason: 'changed' }
    return { ok: true }
  }
  if (token !== archiveToken(files) && token !== legacyArchiveToken(files)) {
    return { ok: false, code: 'NOT_FOUND', reason: 'changed' }
  }
  if (passwordHashes(files).length > 0 && !proofs.verify(sid, queryToken, now)) {
    return { ok: false, code: 'UNAUTHORIZED', reason: 'password' }
  }
  return { ok: true }
}
