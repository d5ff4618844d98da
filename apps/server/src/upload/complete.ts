/**
 * Upload completion in one place. {@link uploadCompleted} is what happens once a file has all
 * its bytes, however it arrived (the TUS endpoint's `onComplete` hook, a curl-style PUT): the
 * retention expiry, the counter and the "file uploaded" webhook (and for a file sent through an
 * upload request, the requester's notices).
 *
 * And finishing uploads whose bytes are all there but whose completion never ran (the process
 * that wrote the last byte died first). Every place that touches such a file (download,
 * listings, admin, archive, the sweeper) completes it through core's {@link completeIfFull},
 * with the same step as the TUS endpoint, so the webhook, the retention expiry and the clean-up
 * of concatenated parts happen exactly once, whichever instance gets there first.
 * @module
 */
import {
  completeIfFull,
  type FileMeta,
  type FileRef,
  formatFileRef,
  needsCompletion,
  PsiError,
  type TusHooks,
} from '@psitransfer/core'
import { publicFile } from '../bucket.js'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { UploadDeps } from './deps.js'
import { collectRequestNotice } from './request-notices.js'
import { notifyRequester, REQUEST_FILE_KEY } from './requests.js'
import { initialExpiry, retentionExpiry } from './rules.js'

/** A listing waits this long for the lock of such a file, then leaves it out for now. */
export const LISTING_COMPLETE_WAIT_MS = 2000

/**
 * A file just got all its bytes (the store completed it): unfinished uploads got a shorter
 * expiry, now the retention applies; it is counted and the "file uploaded" webhook goes out.
 * Parts of a parallel upload are building blocks: nothing happens for them (core deletes them
 * once the final upload is complete). Returns the record with its new expiry.
 */
export async function uploadCompleted(deps: UploadDeps, meta: FileMeta): Promise<FileMeta> {
  if (meta.concat?.kind === 'partial') return meta
  const { config } = deps
  deps.metrics.inc('psitransfer_uploads_completed_total')
  const expiresAt = retentionExpiry(meta.createdAt, meta.retention, config)
  const final = expiresAt === meta.expiresAt ? meta : await deps.store.update(meta, { expiresAt })
  // PsiTransfer's webhook shape: the metadata, with the password replaced by a flag.
  const metadata: Record<string, unknown> = { ...publicFile(final) }
  if (final.password) metadata._password = true
  delete metadata.protected
  deps.webhooks.send(config.fileUploadedWebhook, 'fileUploaded', { metadata, date: deps.clock.now() })
  // Arrived through an upload request: its requester hears of it (webhook, e-mail).
  if (final.extra[REQUEST_FILE_KEY]) {
    await notifyRequester(deps, final)
    await collectRequestNotice(deps, final)
  }
  return final
}

/**
 * The hooks for {@link completeIfFull}, which runs only `onComplete` (the completion step) and
 * `onError` (a log line if it fails). Core's hook type also wants `onCreate`; completing never
 * creates a file, so it refuses.
 */
function completionHooks(deps: UploadDeps, log: Logger): TusHooks {
  return {
    onCreate: () => {
      throw new PsiError('INTERNAL', 'Completing an upload creates no file')
    },
    onComplete: async (meta) => {
      await uploadCompleted(deps, meta)
    },
    onError: (err) => log.error({ err }, 'upload error'),
  }
}

/**
 * Completes `ref` if it is full but not complete (see {@link completeIfFull}); returns the
 * record. Throws UPLOAD_LOCKED (423, Retry-After) when its lock stays taken for `waitMs`.
 */
export function completeUpload(
  deps: UploadDeps,
  ref: FileRef,
  options: { known?: FileMeta; waitMs?: number; signal?: AbortSignal; log?: Logger } = {},
): Promise<FileMeta> {
  const { log = deps.logger, ...rest } = options
  return completeIfFull(
    ref,
    {
      store: deps.store,
      locker: deps.locker,
      hooks: completionHooks(deps, log),
      limits: { maxSize: deps.config.maxFileSize },
    },
    rest,
  )
}

/**
 * For listings: the record, completed first when it needs it. A file that cannot be completed
 * now (its lock is still held by a crashed instance, the store failed) is returned as it is,
 * i.e. still incomplete, so the listing leaves it out until a later request completes it.
 */
export async function completedOrAsIs(
  deps: UploadDeps,
  meta: FileMeta,
  waitMs = LISTING_COMPLETE_WAIT_MS,
): Promise<FileMeta> {
  if (!needsCompletion(meta)) return meta
  try {
    return await completeUpload(deps, meta, { known: meta, waitMs })
  } catch (err) {
    deps.logger.warn({ err, sid: meta.sid, key: meta.key }, 'could not complete a finished upload yet')
    return meta
  }
}

/**
 * A complete file whose completion hooks (retention expiry, webhook) never ran. A store that
 * tells completeness from the size (the filesystem store, for PsiTransfer's data directories)
 * reports a file complete once its last byte is written, so a crash between that byte and the
 * completion skips the hooks: the file keeps the shorter expiry of unfinished uploads
 * (`uploadExpiry`) and would be deleted before its retention. That expiry, where it differs from
 * the retention one, is how such a file is recognised (the hooks replace it, nothing else sets it).
 */
export function missedCompletionHooks(meta: FileMeta, config: Config): boolean {
  if (!meta.complete || meta.concat?.kind === 'partial') return false
  const unfinished = initialExpiry(meta.createdAt, meta.retention, config)
  return (
    meta.expiresAt === unfinished && unfinished !== retentionExpiry(meta.createdAt, meta.retention, config)
  )
}

/**
 * Runs the completion hooks of such a file once, under its upload lock (a PATCH completing it
 * right now holds that lock and runs them itself; then this waits for the next sweep).
 */
export async function runMissedCompletionHooks(deps: UploadDeps, meta: FileMeta): Promise<FileMeta> {
  const lock = await deps.locker.lock(formatFileRef(meta), { waitMs: 0 })
  try {
    const current = await deps.store.info(meta)
    if (!missedCompletionHooks(current, deps.config)) return current
    await uploadCompleted(deps, current)
    return await deps.store.info(meta)
  } finally {
    await lock.release()
  }
}
