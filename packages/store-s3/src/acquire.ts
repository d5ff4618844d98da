/** Taking an upload's lock while its state is read in parallel. @module */
import type { FileRef } from '@psitransfer/core'
import type { S3Context } from './context.js'
import { loadFresh } from './load.js'
import type { LockHandle } from './locks.js'
import { toStoreError } from './s3-errors.js'
import type { Acquired, Loaded } from './sessions.js'

/** One lock attempt; the state is read alongside the lock write (saving a round trip per PATCH). */
export async function acquire(ctx: S3Context, ref: FileRef): Promise<Acquired> {
  let loading: Promise<Loaded> | undefined
  let handle: LockHandle | null
  try {
    handle = await ctx.locks.tryAcquire(ref, () => {
      loading = loadFresh(ctx, ref)
      loading.catch(() => {})
    })
  } catch (err) {
    throw toStoreError(err, 'lock the upload')
  }
  return handle && loading ? { handle, loading } : { handle }
}
