/**
 * `GET {B}{sid}.json`: the bucket listing, in PsiTransfer's shape (`{ items, archiveToken,
 * config }`, items as its records) with our own fields beside it (`compat/shapes.ts`). Only
 * completed, unexpired files; never password hashes or store internals. Protected buckets need
 * `x-download-pass` and get a short-lived download token that file URLs carry; their
 * `archiveToken` is such a proof itself (`compat/archive-token.ts`).
 * @module
 */
import { downloadsLeft, NotFoundError, parseBucketId } from '@psitransfer/core'
import type { Context } from 'hono'
import { passwordHashes, servableFiles } from '../bucket.js'
import { listingArchiveToken } from '../compat/archive-token.js'
import { listingBody } from '../compat/shapes.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { requireBucketPassword } from '../security/auth.js'
import { completedOrAsIs } from '../upload/complete.js'
import { encryptedItemFields } from '../upload/encrypted.js'

export async function bucketListing(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = parseBucketId(rawSid)
  const now = deps.clock.now()
  const files = await servableFiles(deps.store, sid, now, (m) => completedOrAsIs(deps, m))
  if (files.length === 0) throw new NotFoundError('Bucket not found or expired')
  const hashes = passwordHashes(files)
  await requireBucketPassword(c, deps, sid, hashes)
  c.header('Cache-Control', 'private, no-store')
  return c.json(
    listingBody({
      sid,
      files,
      baseUrl: deps.config.baseUrl,
      archiveToken: listingArchiveToken(deps.tokens, sid, files, now),
      downloadToken: hashes.length > 0 ? deps.tokens.issue(sid, now) : undefined,
      maxPreviewSize: deps.config.maxPreviewSize,
      // Ours beside PsiTransfer's: encryption, and downloads left (`null` when unlimited).
      itemFields: (f) => ({ ...encryptedItemFields(f), downloadsLeft: downloadsLeft(f) }),
    }),
  )
}
