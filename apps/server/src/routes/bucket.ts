/**
 * `GET {B}{sid}.json`: the bucket listing for the download page. Only completed, unexpired
 * files; never password hashes or store internals. Protected buckets need `x-download-pass`
 * and get a short-lived download token that file and archive URLs carry.
 * @module
 */
import { downloadsLeft, formatFileRef, isOneTime, NotFoundError, parseBucketId } from '@psitransfer/core'
import type { Context } from 'hono'
import { archiveToken, fileSize, passwordHashes, servableFiles } from '../bucket.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { requireBucketPassword } from '../security/auth.js'
import { completedOrAsIs } from '../upload/complete.js'

export async function bucketListing(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = parseBucketId(rawSid)
  const now = deps.clock.now()
  const files = await servableFiles(deps.store, sid, now, (m) => completedOrAsIs(deps, m))
  if (files.length === 0) throw new NotFoundError('Bucket not found or expired')
  const hashes = passwordHashes(files)
  await requireBucketPassword(c, deps, sid, hashes)
  const token = hashes.length > 0 ? deps.tokens.issue(sid, now) : undefined
  const query = token ? `?token=${token}` : ''
  const base = deps.config.baseUrl
  const archive = archiveToken(files)
  c.header('Cache-Control', 'private, no-store')
  return c.json({
    sid,
    items: files.map((f) => ({
      key: f.key,
      name: f.name,
      relativePath: f.relativePath,
      comment: f.comment,
      type: f.type,
      size: fileSize(f),
      createdAt: f.createdAt,
      expiresAt: f.expiresAt,
      oneTime: isOneTime(f),
      downloaded: f.downloads > 0,
      // Complete downloads left for a limited file (one-time: 1), `null` when unlimited.
      downloadsLeft: downloadsLeft(f),
      url: `${base}files/${formatFileRef(f)}${query}`,
    })),
    archiveToken: archive,
    zipUrl: `${base}files/${sid}++${archive}.zip${query}`,
    tarGzUrl: `${base}files/${sid}++${archive}.tar.gz${query}`,
    protected: hashes.length > 0,
    config: { maxPreviewSize: deps.config.maxPreviewSize },
  })
}
