/**
 * Race-free claims of limited downloads, for single files and archives alike (see core's
 * `download-limit.ts` for the rules). One-time files keep the store's own atomic claim (as
 * PsiTransfer stores them); a file allowing N downloads records its claims in its metadata
 * under the file's lock from `deps.locker`, which holds across instances on stores that share
 * one (S3, Azure), so 20 parallel requests over several instances get exactly N claims.
 * @module
 */
import {
  claimDownloadPatch,
  completeDownloadPatch,
  downloadLimit,
  type FileMeta,
  formatFileRef,
  isOneTime,
  isPsiError,
  releaseDownloadPatch,
  withLock,
} from '@psitransfer/core'
import type { AppDeps } from '../deps.js'

/** How long a download waits for the file's lock (other claims hold it for a few store calls). */
const CLAIM_WAIT_MS = 20_000

/** A download slot held for one response. */
export interface DownloadClaim {
  /**
   * Ends the claim: a complete download counts (and deletes the file when it was its last
   * allowed one, resolving `true`), an incomplete one gives the slot back. Never throws.
   */
  finish(completed: boolean): Promise<boolean>
}

/** True when downloads of this file are counted against a limit. */
export function isLimited(meta: FileMeta): boolean {
  return downloadLimit(meta) !== null
}

/** Runs `fn` under the file's lock (the upload lock id `sid++key`, shared across instances). */
export function withFileLock<T>(
  deps: AppDeps,
  meta: FileMeta,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return withLock(
    deps.locker,
    formatFileRef(meta),
    { waitMs: CLAIM_WAIT_MS, ...(signal ? { signal } : {}) },
    fn,
  )
}

/**
 * Claims one download of a limited file, or resolves `null` when none is left. Unlimited
 * files need no claim (callers count them with `countDownload`).
 */
export async function claimDownload(
  deps: AppDeps,
  meta: FileMeta,
  signal?: AbortSignal,
): Promise<DownloadClaim | null> {
  const { store, logger } = deps
  if (isOneTime(meta)) {
    if (!(await store.claim(meta))) return null
    return {
      async finish(completed) {
        if (!completed) {
          await store.releaseClaim(meta).catch((err) => logger.warn({ err }, 'releaseClaim failed'))
          return false
        }
        await store
          .delete(meta)
          .catch((err) => logger.warn({ err }, 'deleting a downloaded one-time file failed'))
        return true
      },
    }
  }
  const at = await withFileLock(
    deps,
    meta,
    async () => {
      const current = await store.info(meta)
      // The claim's timestamp is its id: the one written is the one given back.
      const at = deps.clock.now()
      const patch = claimDownloadPatch(current, at)
      if (patch === null) return null
      await store.update(meta, patch)
      return at
    },
    signal,
  )
  if (at === null) return null
  return {
    finish: (completed) =>
      withFileLock(deps, meta, async () => {
        const current = await store.info(meta)
        const now = deps.clock.now()
        if (!completed) {
          await store.update(meta, releaseDownloadPatch(current, at, now))
          return false
        }
        const { patch, exhausted } = completeDownloadPatch(current, at, now)
        if (exhausted) await store.delete(meta)
        else await store.update(meta, patch)
        return exhausted
      }).catch((err: unknown) => {
        if (!(isPsiError(err) && err.code === 'NOT_FOUND'))
          logger.warn({ err, sid: meta.sid, key: meta.key }, 'could not record a limited download')
        return false
      }),
  }
}
