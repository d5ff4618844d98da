/**
 * Download limits: a file may allow N complete downloads. `retention: one-time` (PsiTransfer's
 * metadata) is the limit 1; any other file may carry `maxDownloads` in its `extra` (the TUS
 * metadata pair of that name, kept as the client sent it once validated), so every store keeps
 * it without a schema change.
 *
 * A limited file (other than one-time, which keeps the store's own claim) counts downloads in
 * flight as claims: timestamps under {@link DOWNLOAD_CLAIMS_KEY} in `extra`, written by the
 * server under the file's lock. A download may start while completed downloads plus live
 * claims stay below the limit; it completes (`downloads + 1`, claim removed) or gives its claim
 * back. A claim older than {@link DOWNLOAD_CLAIM_TTL_MS} is taken for the leftover of a crashed
 * instance and no longer counts. These are the pure rules; the locking is the server's.
 * @module
 */
import { PsiError } from './errors.js'
import type { FileMeta, MetaPatch } from './meta.js'

/** `extra` key (and TUS metadata key) of the number of complete downloads a file allows. */
export const MAX_DOWNLOADS_KEY = 'maxDownloads'
/** `extra` key of the claims of downloads in flight; the server's own, never a client's. */
export const DOWNLOAD_CLAIMS_KEY = 'psiDownloadClaims'
/** Highest limit accepted (more is "unlimited" for every practical purpose). */
export const MAX_DOWNLOADS_LIMIT = 10_000
/** After this a claim counts as abandoned (its instance died mid-download). */
export const DOWNLOAD_CLAIM_TTL_MS = 24 * 60 * 60 * 1000

type Limited = Pick<FileMeta, 'retention' | 'extra' | 'downloads'>

/** A client's `maxDownloads`: `null` when absent or empty, else an integer 1…{@link MAX_DOWNLOADS_LIMIT}. */
export function parseMaxDownloads(value: string | null | undefined): number | null {
  if (value === undefined || value === null || value.trim() === '') return null
  const v = value.trim()
  const n = /^\d{1,6}$/.test(v) ? Number(v) : Number.NaN
  if (!(n >= 1 && n <= MAX_DOWNLOADS_LIMIT)) {
    throw new PsiError('INVALID_INPUT', `maxDownloads must be an integer from 1 to ${MAX_DOWNLOADS_LIMIT}`)
  }
  return n
}

/**
 * Client metadata as stored: the server-owned claim key dropped, `maxDownloads` validated and
 * normalized (removed when empty).
 */
export function clientExtra(extra: Record<string, string>): Record<string, string> {
  const { [DOWNLOAD_CLAIMS_KEY]: _claims, [MAX_DOWNLOADS_KEY]: raw, ...rest } = extra
  const max = parseMaxDownloads(raw)
  return max === null ? rest : { ...rest, [MAX_DOWNLOADS_KEY]: String(max) }
}

/** Complete downloads the file allows: 1 for one-time files, `null` when unlimited. */
export function downloadLimit(meta: Pick<FileMeta, 'retention' | 'extra'>): number | null {
  if (meta.retention === 'one-time') return 1
  try {
    return parseMaxDownloads(meta.extra[MAX_DOWNLOADS_KEY])
  } catch {
    // A damaged value (written by hand) must not make the file unlimited.
    return 1
  }
}

/** Complete downloads left (`null`: unlimited). Downloads in flight are not subtracted. */
export function downloadsLeft(meta: Limited): number | null {
  const limit = downloadLimit(meta)
  return limit === null ? null : Math.max(0, limit - meta.downloads)
}

/** Live claims of downloads in flight (abandoned ones dropped). */
export function liveClaims(meta: Pick<FileMeta, 'extra'>, now: number): number[] {
  const raw = meta.extra[DOWNLOAD_CLAIMS_KEY]
  if (!raw) return []
  return raw
    .split(',')
    .map(Number)
    .filter((t) => Number.isSafeInteger(t) && t > now - DOWNLOAD_CLAIM_TTL_MS)
}

function withClaims(extra: Record<string, string>, claims: number[]): Record<string, string> {
  const { [DOWNLOAD_CLAIMS_KEY]: _old, ...rest } = extra
  return claims.length === 0 ? rest : { ...rest, [DOWNLOAD_CLAIMS_KEY]: claims.join(',') }
}

/**
 * Claims one download of a limited file at `now`: the patch that records it, or `null` when
 * the limit is reached (completed downloads plus those in flight).
 */
export function claimDownloadPatch(meta: Limited, now: number): MetaPatch | null {
  const limit = downloadLimit(meta)
  if (limit === null) return {}
  const claims = liveClaims(meta, now)
  if (meta.downloads + claims.length >= limit) return null
  return { extra: withClaims(meta.extra, [...claims, now]) }
}

function without(claims: number[], at: number): number[] {
  const i = claims.indexOf(at)
  return i < 0 ? claims : [...claims.slice(0, i), ...claims.slice(i + 1)]
}

/** Gives back the claim made at `at` (the download failed). */
export function releaseDownloadPatch(meta: Pick<FileMeta, 'extra'>, at: number, now: number): MetaPatch {
  return { extra: withClaims(meta.extra, without(liveClaims(meta, now), at)) }
}

/**
 * Turns the claim made at `at` into a complete download; `exhausted` when that was the last
 * one the file allows (the caller deletes it).
 */
export function completeDownloadPatch(
  meta: Limited,
  at: number,
  now: number,
): { patch: MetaPatch; exhausted: boolean } {
  const downloads = meta.downloads + 1
  const limit = downloadLimit(meta)
  return {
    patch: {
      extra: withClaims(meta.extra, without(liveClaims(meta, now), at)),
      downloads,
      lastDownload: now,
    },
    exhausted: limit !== null && downloads >= limit,
  }
}
