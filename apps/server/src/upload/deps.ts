/**
 * What the upload modules need (the TUS endpoint, its hooks, the upload rules, completion): the
 * password gates' needs plus the store, its locks, the bucket model and the services uploads
 * report to. Routes get all of it in `AppDeps` (`deps.ts`), which extends this.
 * @module
 */
import type { ChecksumBudget, Locker, Store } from '@psitransfer/core'
import type { Config } from '../config.js'
import type { Mailer } from '../mail/mailer.js'
import type { Metrics } from '../metrics.js'
import type { AuthDeps } from '../security/auth.js'
import type { WebhookSender } from '../webhooks.js'
import type { BucketIds } from './bucket-ids.js'
import type { BucketStates } from './bucket-state.js'

export interface UploadDeps extends AuthDeps {
  config: Config
  /** The store without the marks of used bucket ids (see `bucket-ids.ts`). */
  store: Store
  /** Upload locks (`sid++key`): the store's own locker when it has one (S3), else in-process. */
  locker: Locker
  /**
   * Locks on buckets (`bucketLockId`): `locker` itself when that holds across instances, else
   * in-process.
   */
  bucketLocker: Locker
  metrics: Metrics
  webhooks: WebhookSender
  /** Per-bucket facts for upload admission (cached, or the shared ledgers in the store). */
  buckets: BucketStates
  /** Used bucket ids and their upload tokens (the only user of the raw store besides the sweeper). */
  bucketIds: BucketIds
  /** Memory all checksummed TUS chunks may hold at once (Hono route and fast path share it). */
  checksumBudget: ChecksumBudget
  /** Outgoing mail, present only when `smtpUrl` is configured (upload request notices). */
  mailer?: Mailer
}
