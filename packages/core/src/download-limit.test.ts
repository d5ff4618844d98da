import { describe, expect, it } from 'vitest'
import {
  claimDownloadPatch,
  clientExtra,
  completeDownloadPatch,
  DOWNLOAD_CLAIM_TTL_MS,
  DOWNLOAD_CLAIMS_KEY,
  downloadLimit,
  downloadsLeft,
  liveClaims,
  parseMaxDownloads,
  releaseDownloadPatch,
} from './download-limit.js'

const file = (extra: Record<string, string>, downloads = 0, retention: number | 'one-time' = 3600) => ({
  retention,
  extra,
  downloads,
})

describe('download limits', () => {
  it('parses maxDownloads strictly', () => {
    expect(parseMaxDownloads(undefined)).toBeNull()
    expect(parseMaxDownloads('')).toBeNull()
    expect(parseMaxDownloads(' 3 ')).toBe(3)
    for (const bad of ['0', '-1', '1.5', 'abc', '10001', '1e3']) {
      expect(() => parseMaxDownloads(bad)).toThrow(/maxDownloads/)
    }
  })

  it('one-time is the limit 1; other files go by maxDownloads', () => {
    expect(downloadLimit(file({}, 0, 'one-time'))).toBe(1)
    expect(downloadLimit(file({ maxDownloads: '5' }, 0, 'one-time'))).toBe(1)
    expect(downloadLimit(file({}))).toBeNull()
    expect(downloadLimit(file({ maxDownloads: '4' }))).toBe(4)
    // A damaged stored value never makes a file unlimited.
    expect(downloadLimit(file({ maxDownloads: 'x' }))).toBe(1)
    expect(downloadsLeft(file({ maxDownloads: '4' }, 3))).toBe(1)
    expect(downloadsLeft(file({ maxDownloads: '4' }, 9))).toBe(0)
    expect(downloadsLeft(file({}))).toBeNull()
  })

  it('client metadata cannot forge claims and keeps a normalized limit', () => {
    expect(clientExtra({ a: 'b', [DOWNLOAD_CLAIMS_KEY]: '1,2', maxDownloads: '07' })).toEqual({
      a: 'b',
      maxDownloads: '7',
    })
    expect(clientExtra({ maxDownloads: '' })).toEqual({})
    expect(() => clientExtra({ maxDownloads: '0' })).toThrow()
  })

  it('claims count until the limit, complete or are given back', () => {
    const now = 1_000_000_000
    let meta = file({ maxDownloads: '2' })
    const a = claimDownloadPatch(meta, now)
    expect(a).not.toBeNull()
    meta = { ...meta, ...(a as { extra: Record<string, string> }) }
    const b = claimDownloadPatch(meta, now + 1)
    meta = { ...meta, ...(b as { extra: Record<string, string> }) }
    expect(liveClaims(meta, now + 2)).toEqual([now, now + 1])
    expect(claimDownloadPatch(meta, now + 2)).toBeNull()
    // One fails: its slot is free again.
    meta = { ...meta, ...releaseDownloadPatch(meta, now, now + 3) } as typeof meta
    expect(liveClaims(meta, now + 3)).toEqual([now + 1])
    const done = completeDownloadPatch(meta, now + 1, now + 4)
    expect(done.exhausted).toBe(false)
    expect(done.patch).toMatchObject({ downloads: 1, lastDownload: now + 4 })
    meta = { ...meta, ...done.patch } as typeof meta
    expect(meta.extra[DOWNLOAD_CLAIMS_KEY]).toBeUndefined()
    const c = claimDownloadPatch(meta, now + 5)
    meta = { ...meta, ...(c as { extra: Record<string, string> }) }
    expect(claimDownloadPatch(meta, now + 6)).toBeNull()
    expect(completeDownloadPatch(meta, now + 5, now + 7).exhausted).toBe(true)
  })

  it('abandoned claims stop counting', () => {
    const now = 5 * DOWNLOAD_CLAIM_TTL_MS
    const meta = file({ maxDownloads: '1', [DOWNLOAD_CLAIMS_KEY]: String(now - DOWNLOAD_CLAIM_TTL_MS - 1) })
    expect(claimDownloadPatch(meta, now)).toEqual({
      extra: { maxDownloads: '1', [DOWNLOAD_CLAIMS_KEY]: String(now) },
    })
  })
})
