/**
 * `GET/HEAD {B}files/{sid}++{token}.zip|.tar.gz`: every servable file of a bucket, streamed.
 * Files with a download limit (one-time files: 1) are included only when this request wins one
 * of their claims (`download-claims.ts`), and count once per archive as soon as their entry was
 * sent whole, even when the archive breaks off later (the client has the file); the claims of
 * entries that were not sent whole are given back.
 * @module
 */
import { contentDisposition, type FileMeta, NotFoundError, PsiError, parseBucketId } from '@psitransfer/core'
import type { Context } from 'hono'
import { type ArchiveFormat, createArchive } from '../archive/stream.js'
import { publicFile, servableFiles } from '../bucket.js'
import { checkArchiveAccess } from '../compat/archive-token.js'
import { ERROR_PAGE_DETAIL } from '../compat/error-page.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { publicOrigin } from '../http/client.js'
import { FILE_CSP } from '../http/headers.js'
import { sendBuffers, sendStream } from '../http/send.js'
import { completedOrAsIs } from '../upload/complete.js'
import { noticeFirstDownload } from '../upload/download-notice.js'
import { refuseEncryptedArchive } from '../upload/encrypted.js'
import { claimDownload, type DownloadClaim, isLimited } from './download-claims.js'

export async function downloadArchive(
  c: Context<AppEnv>,
  deps: AppDeps,
  rawSid: string,
  token: string,
  format: ArchiveFormat,
): Promise<Response> {
  const { store, clock, metrics, logger } = deps
  const sid = parseBucketId(rawSid)
  const now = clock.now()
  const all = await servableFiles(store, sid, now, (m) => completedOrAsIs(deps, m))
  if (all.length === 0) throw new NotFoundError('Bucket not found or expired')
  refuseEncryptedArchive(all)
  // A listing's proof, or the key hash (plus ?token= for a protected bucket).
  const access = checkArchiveAccess({
    proofs: deps.tokens,
    sid,
    files: all,
    token,
    queryToken: c.req.query('token'),
    now,
  })
  if (!access.ok && access.code === 'NOT_FOUND') {
    throw new NotFoundError('The bucket changed since the download page was loaded; reload it', {
      details: { [ERROR_PAGE_DETAIL]: 'changed' },
    })
  }
  if (!access.ok) {
    throw new PsiError(
      'UNAUTHORIZED',
      access.reason === 'expired'
        ? 'This archive link has expired; open the download page again'
        : 'This bucket is password protected; open its download page and enter the password',
    )
  }
  const headers: Record<string, string> = {
    'Content-Type': format === 'zip' ? 'application/zip' : 'application/gzip',
    'Content-Disposition': contentDisposition(`${sid}.${format}`),
    'Cache-Control': 'private, no-store, no-transform',
    'Content-Security-Policy': FILE_CSP,
    'X-Content-Type-Options': 'nosniff',
  }
  if (c.req.method === 'HEAD') return sendStream(c, { status: 200, headers, body: null })
  const origin = publicOrigin(c, deps.config.trustProxy)

  const files: FileMeta[] = []
  const claimed = new Map<FileMeta, DownloadClaim>()
  try {
    for (const f of all) {
      const claim = isLimited(f) ? await claimDownload(deps, f, c.req.raw.signal) : undefined
      if (claim === null) continue
      if (claim) claimed.set(f, claim)
      files.push(f)
    }
  } catch (err) {
    await releaseAll([...claimed.values()])
    throw err
  }
  if (files.length === 0) throw new PsiError('GONE', 'Every file of this bucket has already been downloaded')

  // File bytes go into the response's recycled buffers: a tar.gz's always (it frames them
  // there), a zip's where the store can read into them.
  const buffers = format === 'tar.gz' || store.openReader ? sendBuffers() : undefined
  const job = createArchive(store, files, format, logger, buffers)
  if (job.size !== undefined) headers['Content-Length'] = String(job.size)
  const onAbort = () => job.abort()
  c.req.raw.signal.addEventListener('abort', onAbort, { once: true })
  metrics.activeDownloads++
  return sendStream(c, {
    status: 200,
    headers,
    body: job.body,
    pulled: true,
    buffers,
    onDone: async ({ completed, bytes }) => {
      c.req.raw.signal.removeEventListener('abort', onAbort)
      metrics.activeDownloads--
      metrics.inc('psitransfer_download_bytes_total', {}, bytes)
      const ok =
        completed &&
        (await job.done.then(
          () => true,
          () => false,
        ))
      if (!ok) {
        job.abort()
        let deleted = false
        for (const [f, claim] of claimed) {
          if (await claim.finish(job.sentWhole(files.indexOf(f), bytes))) deleted = true
        }
        if (deleted) deps.buckets.invalidate(sid)
        return
      }
      metrics.inc('psitransfer_downloads_total', { kind: format })
      deps.webhooks.send(deps.config.fileDownloadedWebhook, 'archiveDownloaded', {
        fid: sid,
        archive: format,
        files: files.map(publicFile),
        date: clock.now(),
      })
      const when = clock.now()
      let deleted = false
      for (const f of files) {
        const claim = claimed.get(f)
        if (claim) {
          if (await claim.finish(true)) deleted = true
          continue
        }
        deps.downloadCounts.add(f, when)
      }
      if (deleted) deps.buckets.invalidate(sid)
      await noticeFirstDownload(deps, sid, files, origin)
    },
  })
}

async function releaseAll(claims: DownloadClaim[]): Promise<void> {
  for (const claim of claims) await claim.finish(false)
}
