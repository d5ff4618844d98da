/**
 * Steps both upload machines (TUS 1.0 and the IETF resumable draft) take the same way: holding
 * an upload's lock for a request and finalizing a full upload. One copy, so the two protocols
 * cannot drift apart in how long they wait for a lock or how completion hooks fail.
 * @module
 */

import { type FileRef, formatFileRef } from './ids.js'
import { type Locker, withLock } from './locker.js'
import type { FileMeta } from './meta.js'
import type { Store } from './store.js'
import type { TusHooks } from './tus/types.js'

/** How long a request waits for another request's lock on the same upload before 423. */
export const DEFAULT_LOCK_WAIT_MS = 3000

/** Runs `fn` holding `ref`'s upload lock; waiting ends with the request (`signal`). */
export function withUploadLock<T>(
  ref: FileRef,
  signal: AbortSignal | undefined,
  deps: { locker: Locker; limits?: { lockWaitMs?: number } },
  fn: () => Promise<T>,
): Promise<T> {
  const waitMs = deps.limits?.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS
  return withLock(deps.locker, formatFileRef(ref), signal ? { waitMs, signal } : { waitMs }, fn)
}

/**
 * Finalizes an upload whose bytes are all there: the store's `complete()`, then `onComplete`
 * (its errors go to `onError`: the upload is complete whatever a hook says). `known` is the
 * record the caller loaded under the lock (or just created), so its `complete` flag is current.
 */
export async function finishUpload(
  ref: FileRef,
  known: FileMeta,
  deps: { store: Store; hooks: Pick<TusHooks, 'onComplete' | 'onError'> },
): Promise<FileMeta> {
  if (known.complete) return known
  const meta = await deps.store.complete(ref)
  await completed(meta, deps.hooks)
  return meta
}

/** `onComplete` for a file that just became complete; its errors go to `onError`. */
export async function completed(
  meta: FileMeta,
  hooks: Pick<TusHooks, 'onComplete' | 'onError'>,
): Promise<void> {
  try {
    await hooks.onComplete?.(meta)
  } catch (err) {
    hooks.onError?.(err)
  }
}
