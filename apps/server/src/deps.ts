/**
 * Everything a route needs, built once by {@link createApp}.
 * @module
 */
import type { ChecksumBudget, Clock, Locker, Store } from '@psitransfer/core'
import type { Config } from './config.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import type { KdfGate } from './security/kdf-gate.js'
import type { PasswordVerifier } from './security/passwords.js'
import type { FailureRateLimiter } from './security/rate-limit.js'
import type { DownloadTokens } from './security/tokens.js'
import type { BucketIds } from './upload/bucket-ids.js'
import type { BucketStates } from './upload/bucket-state.js'
import type { WebhookSender } from './webhooks.js'

export interface AppDeps {
  config: Config
  /** The store without the marks of used bucket ids (see `upload/bucket-ids.ts`). */
  store: Store
  /** Upload locks (`sid++key`): the store's own locker when it has one (S3), else in-process. */
  locker: Locker
  /**
   * Locks on buckets (`bucketLockId`): `locker` itself when that holds across instances, else
   * in-process.
   */
  bucketLocker: Locker
  clock: Clock
  logger: Logger
  metrics: Metrics
  webhooks: WebhookSender
  tokens: DownloadTokens
  limiter: FailureRateLimiter
  verifier: PasswordVerifier
  /** Admission of Argon2 jobs (hashing and checking bucket passwords) per client. */
  kdfGate: KdfGate
  /** Per-bucket facts for upload admission (cached, or the shared ledgers in the store). */
  buckets: BucketStates
  /** Used bucket ids and their upload tokens (the only user of the raw store besides the sweeper). */
  bucketIds: BucketIds
  /** Delay before answering a wrong password (slows guessing; PsiTransfer waits 200–500 ms). */
  authFailDelayMs: number
  /** Directory of the built web app, or `null` when it is not built. */
  webRoot: string | null
  /** True while the server shuts down (health turns 503). */
  isShuttingDown: () => boolean
  /** Memory all checksummed TUS chunks may hold at once (Hono route and fast path share it). */
  checksumBudget: ChecksumBudget
}
