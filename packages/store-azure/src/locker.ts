/**
 * `AzureLocker`: the upload lock shared by every server instance on the container. The server
 * uses it instead of core's in-process locker for `storage.type: azure`. It holds a lease on the
 * upload's data blob, so Azure itself refuses the writes of an instance that lost the lock.
 * @module
 */
import { type Lock, type Locker, type LockOptions, parseFileRef } from '@psitransfer/core'
import type { AzureStore } from './azure-store.js'

export class AzureLocker implements Locker {
  constructor(private readonly store: AzureStore) {}

  /** Locks `sid++key` (the TUS upload id). */
  lock(id: string, options: LockOptions = {}): Promise<Lock> {
    return this.store.lockUpload(id, parseFileRef(id), options)
  }
}
