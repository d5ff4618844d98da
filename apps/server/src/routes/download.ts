/**
 * `GET/HEAD {B}files/{sid}++{key}`: one file, with Range, conditional requests, RFC 5987
 * names and sandboxing headers; a 302 to a presigned URL when the store offers one.
 * Files with a download limit (one-time files: 1) are claimed race-free (`download-claims.ts`)
 * before a request that sends the file's last byte (a full GET, or a Range reaching the end:
 * `bytes=0-`, `bytes=N-`, `bytes=-N`); the claim counts once that response completed (the last
 * allowed download deletes the file) and is given back when it failed. Ranges that end earlier
 * never consume one, so a resumed download counts once and no client gets the last byte twice.
 * @module
 */
import {
  contentDisposition,
  type FileMeta,
  type FileRef,
  isExpired,
  isOneTime,
  isPsiError,
  NotFoundError,
  needsCompletion,
  PsiError,
  type Store,
} from '@psitransfer/core'
import type { Context } from 'hono'
import { fileSize, isServable, publicFile } from '../bucket.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { publicOrigin } from '../http/client.js'
import { FILE_CSP, PDF_PREVIEW_HEADERS } from '../http/headers.js'
import { isInlineSafe, safeContentType, withCharset } from '../http/mime.js'
import { parseRange } from '../http/range.js'
import { type FileSource, type StreamOutcome, sendFile, sendStream } from '../http/send.js'
import { completeUpload } from '../upload/complete.js'
import { noticeFirstDownload } from '../upload/download-notice.js'
import { claimDownload, type DownloadClaim, isLimited } from './download-claims.js'

/**
 * The file's record if it may be downloaded, else NOT_FOUND. With `complete`, an upload whose
 * bytes are all there but whose completion never ran is completed first (UPLOAD_LOCKED, 423
 * with Retry-After, while another instance's lock on it has not expired yet).
 */
export async function loadServable(
  store: Store,
  ref: FileRef,
  now: number,
  complete?: (meta: FileMeta) => Promise<FileMeta>,
): Promise<FileMeta> {
  let meta: FileMeta
  try {
    meta = await store.info(ref)
    if (complete && needsCompletion(meta) && !isExpired(meta, now)) meta = await complete(meta)
  } catch (err) {
    if (isPsiError(err) && err.code === 'NOT_FOUND') throw new NotFoundError('File not found or expired')
    throw err
  }
  if (!isServable(meta, now)) throw new NotFoundError('File not found or expired')
  return meta
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)
}

export async function downloadFile(c: Context<AppEnv>, deps: AppDeps, ref: FileRef): Promise<Response> {
  const { store, clock, tokens, metrics } = deps
  const head = c.req.method === 'HEAD'
  const now = clock.now()
  const meta = await loadServable(store, ref, now, (known) =>
    completeUpload(deps, ref, { known, signal: c.req.raw.signal }),
  )
  if (meta.password && !tokens.verify(meta.sid, c.req.query('token'), now)) {
    throw new PsiError(
      'UNAUTHORIZED',
      'This file is password protected; open its download page and enter the password',
    )
  }
  const size = fileSize(meta)
  const type = safeContentType(meta.type)
  const inline = c.req.query('inline') === '1' && isInlineSafe(type)
  const limited = isLimited(meta)
  const origin = publicOrigin(c, deps.config.trustProxy)
  const etag = `"${meta.key}-${size.toString(36)}"`
  const lastModified = new Date(meta.createdAt).toUTCString()
  const headers: Record<string, string> = {
    'Content-Type': withCharset(type),
    'Content-Disposition': contentDisposition(meta.name, inline ? 'inline' : 'attachment'),
    ETag: etag,
    'Last-Modified': lastModified,
    'Accept-Ranges': 'bytes',
    'Cache-Control': limited ? 'private, no-store, no-transform' : 'private, no-transform',
    'Content-Security-Policy': FILE_CSP,
    'X-Content-Type-Options': 'nosniff',
    ...(inline && type === 'application/pdf' ? PDF_PREVIEW_HEADERS : {}),
  }

  const inm = c.req.header('if-none-match')
  const ims = c.req.header('if-modified-since')
  const notModified =
    inm !== undefined
      ? etagMatches(inm, etag)
      : ims !== undefined && Math.floor(meta.createdAt / 1000) * 1000 <= Date.parse(ims)
  if (notModified) {
    const { 'Content-Type': _t, 'Content-Disposition': _d, ...rest } = headers
    return sendStream(c, { status: 304, headers: rest, body: null })
  }

  const ifRange = c.req.header('if-range')
  const rangeAllowed = ifRange === undefined || ifRange === etag || ifRange === lastModified
  const range = rangeAllowed ? parseRange(c.req.header('range'), size) : ({ kind: 'none' } as const)
  if (range.kind === 'unsatisfiable') {
    c.header('Content-Range', `bytes */${size}`)
    return c.json(
      { code: 'RANGE_NOT_SATISFIABLE', message: `Requested range is outside the file (${size} bytes)` },
      416,
    )
  }

  // Direct download from the storage for plain attachments (previews and limited files stay
  // with us: previews avoid cross-origin CSP/CORS trouble, limited files need the claim).
  if (store.downloadUrl && !inline && !limited) {
    const url = await store.downloadUrl(ref, {
      expiresIn: deps.config.storage.signedUrlExpiry ?? 3600,
      filename: meta.name,
      // The storage answers without our sandbox CSP and nosniff: a type a browser could run
      // (HTML, SVG, XML…) must not reach it, so only inline-safe types keep theirs.
      contentType: isInlineSafe(type) ? withCharset(type) : 'application/octet-stream',
      disposition: 'attachment',
    })
    if (!head && range.kind === 'none') void countDownload(deps, meta, origin)
    c.header('Cache-Control', 'no-store')
    return c.redirect(url, 302)
  }

  const partial = range.kind === 'range'
  const status = partial ? 206 : 200
  const length = partial ? range.range.end - range.range.start + 1 : size
  headers['Content-Length'] = String(length)
  if (partial) headers['Content-Range'] = `bytes ${range.range.start}-${range.range.end}/${size}`
  if (head) return sendStream(c, { status, headers, body: null })

  // A response that carries the file's last byte completes a download: for a limited file it
  // takes a claim like a full GET (multi-range headers are answered in full, see parseRange).
  const consumes = limited && (!partial || range.range.end === size - 1)
  let claim: DownloadClaim | null = null
  if (consumes) {
    claim = await claimDownload(deps, meta, c.req.raw.signal)
    if (!claim) {
      throw new PsiError(
        'GONE',
        isOneTime(meta)
          ? 'This one-time file has already been downloaded'
          : 'This file has reached its download limit',
      )
    }
  }
  // A store that reads into our buffers (FS) gets its bytes sent from recycled ones (sendFile).
  let source: { body: AsyncIterable<Uint8Array> } | { file: FileSource }
  try {
    if (size === 0) source = { body: emptyBody() }
    else if (store.openReader) {
      const start = partial ? range.range.start : 0
      source = { file: { reader: await store.openReader(ref), start, length } }
    } else {
      source = {
        body: await store.read(ref, { signal: c.req.raw.signal, ...(partial ? { range: range.range } : {}) }),
      }
    }
  } catch (err) {
    await claim?.finish(false)
    throw err
  }
  metrics.activeDownloads++
  const send = {
    status,
    headers,
    onDone: async ({ completed, bytes }: StreamOutcome) => {
      metrics.activeDownloads--
      metrics.inc('psitransfer_download_bytes_total', {}, bytes)
      if (partial && !consumes) return
      if (!completed) {
        await claim?.finish(false)
        return
      }
      if (claim) {
        // The last allowed download deleted the file: the bucket's totals changed.
        if (await claim.finish(true)) deps.buckets.invalidate(ref.sid)
        deps.webhooks.send(deps.config.fileDownloadedWebhook, 'fileDownloaded', {
          fid: meta.sid,
          file: publicFile(meta),
          date: deps.clock.now(),
        })
        metrics.inc('psitransfer_downloads_total', { kind: 'file' })
        await noticeFirstDownload(deps, ref.sid, [meta], origin)
        return
      }
      await countDownload(deps, meta, origin)
    },
  }
  return 'file' in source
    ? sendFile(c, { ...send, file: source.file })
    : sendStream(c, { ...send, body: source.body })
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/**
 * Records a completed download of an unlimited file (counter and last download time through
 * `deps.downloadCounts`, under the file's lock; webhook; the bucket's first-download notice);
 * `origin` is the request's public origin.
 */
export async function countDownload(deps: AppDeps, meta: FileMeta, origin: string): Promise<void> {
  const now = deps.clock.now()
  deps.metrics.inc('psitransfer_downloads_total', { kind: 'file' })
  deps.webhooks.send(deps.config.fileDownloadedWebhook, 'fileDownloaded', {
    fid: meta.sid,
    file: publicFile(meta),
    date: now,
  })
  deps.downloadCounts.add(meta, now)
  await noticeFirstDownload(deps, meta.sid, [meta], origin)
}
