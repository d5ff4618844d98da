/**
 * The write lock of an upload: an infinite lease on its data blob plus a heartbeat.
 *
 * Every write to the data blob (Put Block, Put Block List, delete) carries the lease id, so
 * Azure itself refuses a writer whose lease is gone: a stalled or partitioned holder cannot
 * stage a block after somebody else took over (fencing, which time-based locks lack).
 *
 * Azure's shortest finite lease is 15 s, too long to wait after a crash, so the lease is
 * infinite and the holder proves it is alive by touching the blob's metadata every
 * `staleMs / 4` (which moves its Last-Modified). A contender breaks the lease when Last-Modified
 * is older than `staleMs` by Azure's own clock (the `Date` of the same response: no clock skew)
 * and the blob's ETag stayed the same for two looks at least {@link CONFIRM_MS} apart, so a
 * holder that has just acquired the lease and not yet written its first heartbeat is never
 * broken. A crashed holder is replaced after about `staleMs` + 2 s.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { BlockBlobClient } from '@azure/storage-blob'
import { azureCode, isNotFound, statusOf, toStoreError } from './azure-errors.js'

/** Minimum time between two looks at the same stale ETag before the lease is broken. */
export const CONFIRM_MS = 1000
const HEARTBEAT_KEY = 'psiheartbeat'

export interface Lease {
  readonly leaseId: string
  /** Aborts when the lease was broken or lost (writes with it fail from then on). */
  readonly lost: AbortSignal
  /** Gives the lease up. Never throws. */
  release(): Promise<void>
}

export type Warn = (obj: unknown, msg: string) => void

/** The times of a response, for how long ago the blob was modified. */
interface Touched {
  date?: Date
  lastModified?: Date
}

interface Seen {
  etag: string
  at: number
}

export class LeaseManager {
  /** First look at a stale-looking lease, per blob: broken only if it is still the same later. */
  readonly #stale = new Map<string, Seen>()

  constructor(
    private readonly staleMs: number,
    private readonly warn: Warn = () => {},
  ) {}

  /**
   * One attempt: the lease, `null` when a live holder has it, `'missing'` when the blob does
   * not exist. With `breakStale`, a holder that stopped its heartbeat is broken first.
   */
  async tryAcquire(blob: BlockBlobClient, breakStale: boolean): Promise<Lease | null | 'missing'> {
    const leaseId = randomUUID()
    const leases = blob.getBlobLeaseClient(leaseId)
    try {
      const res = await leases.acquireLease(-1)
      this.#stale.delete(blob.name)
      return this.#held(blob, leaseId, res)
    } catch (err) {
      if (isNotFound(err)) return 'missing'
      if (azureCode(err) !== 'LeaseAlreadyPresent' && statusOf(err) !== 409)
        throw toStoreError(err, 'lock an upload')
    }
    if (!breakStale || !(await this.#isStale(blob))) return null
    let res: Touched
    try {
      await blob.getBlobLeaseClient().breakLease(0)
      res = await leases.acquireLease(-1)
    } catch (err) {
      if (isNotFound(err)) return 'missing'
      if (statusOf(err) === 409) return null // another contender was faster
      throw toStoreError(err, 'take over an upload lock')
    }
    this.#stale.delete(blob.name)
    this.warn({ blob: blob.name }, 'took over the lock of an upload whose holder stopped answering')
    return this.#held(blob, leaseId, res)
  }

  async #isStale(blob: BlockBlobClient): Promise<boolean> {
    let props: Awaited<ReturnType<BlockBlobClient['getProperties']>>
    try {
      props = await blob.getProperties()
    } catch (err) {
      if (isNotFound(err)) return false
      throw toStoreError(err, 'check an upload lock')
    }
    const etag = props.etag ?? ''
    const serverNow = props.date?.getTime() ?? Date.now()
    const touched = props.lastModified?.getTime() ?? serverNow
    if (props.leaseState !== 'leased' || serverNow - touched <= this.staleMs) {
      this.#stale.delete(blob.name)
      return false
    }
    const seen = this.#stale.get(blob.name)
    if (!seen || seen.etag !== etag) {
      this.#stale.set(blob.name, { etag, at: Date.now() })
      return false
    }
    return Date.now() - seen.at >= CONFIRM_MS
  }

  /** `acquired`: the acquire's response (when the blob was last touched, by Azure's clock). */
  #held(blob: BlockBlobClient, leaseId: string, acquired: Touched): Lease {
    const lost = new AbortController()
    let released = false
    const beat = async () => {
      try {
        await blob.setMetadata({ [HEARTBEAT_KEY]: String(Date.now()) }, { conditions: { leaseId } })
      } catch (err) {
        if (released) return
        if (statusOf(err) === 412 || statusOf(err) === 409 || isNotFound(err)) {
          // Broken by a contender, or the blob was deleted: writes with this lease fail now.
          lost.abort(new Error('the upload lock was taken over or the upload was deleted'))
          clearInterval(timer)
        } else {
          this.warn({ err }, 'could not renew an upload lock')
        }
      }
    }
    const timer = setInterval(() => void beat(), Math.max(500, Math.floor(this.staleMs / 4)))
    timer.unref()
    // A blob touched less than a beat interval ago (by the previous PATCH's commit, typically)
    // is as fresh as right after a heartbeat, and the first beat of the interval keeps it so:
    // no beat now (one request less per PATCH). Anything older is touched at once, so a
    // contender never takes a lease just acquired for stale (both times have 1 s resolution,
    // which the beat interval, at least 1 s for `staleMs` ≥ 4 s, absorbs).
    const age = (acquired.date?.getTime() ?? 0) - (acquired.lastModified?.getTime() ?? 0)
    if (!acquired.date || !acquired.lastModified || age > this.staleMs / 4) void beat()
    return {
      leaseId,
      lost: lost.signal,
      release: async () => {
        if (released) return
        released = true
        clearInterval(timer)
        if (lost.signal.aborted) return
        try {
          await blob.getBlobLeaseClient(leaseId).releaseLease()
        } catch (err) {
          // Gone with the blob, or broken: nothing to give back. Anything else: the next
          // contender breaks it once its heartbeat is stale.
          if (!isNotFound(err) && statusOf(err) !== 409 && statusOf(err) !== 412)
            this.warn({ err }, 'could not release an upload lock')
        }
      },
    }
  }
}
