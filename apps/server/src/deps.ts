/**
 * The composition root: {@link createDeps} builds every service of the app once (from the
 * options, filling in what they leave out) into the {@link AppDeps} every route gets. The Node
 * server (`server.ts`), `createApp` (tests, embedding) and the sweeper share that one set.
 * @module
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type ChecksumBudget,
  type Clock,
  type Locker,
  MemoryChecksumBudget,
  MemoryLocker,
  type Store,
} from '@psitransfer/core'
import type { Config } from './config.js'
import { type Logger, silentLogger } from './logger.js'
import { Mailer } from './mail/mailer.js'
import { Metrics } from './metrics.js'
import { KdfGate } from './security/kdf-gate.js'
import { kdf, PasswordVerifier } from './security/passwords.js'
import { FailureRateLimiter } from './security/rate-limit.js'
import { DownloadTokens } from './security/tokens.js'
import { BucketIds, hideBucketMarks } from './upload/bucket-ids.js'
import { BucketLedgers } from './upload/bucket-ledger.js'
import { BucketStates } from './upload/bucket-state.js'
import type { UploadDeps } from './upload/deps.js'
import { DownloadCounts } from './upload/download-counts.js'
import { retentionExpiry } from './upload/rules.js'
import { WebhookSender } from './webhooks.js'

/** Everything a route needs: what uploads need (`upload/deps.ts`) and what only routes use. */
export interface AppDeps extends UploadDeps {
  tokens: DownloadTokens
  /** Download counts of unlimited files, written under the file's lock (`upload/download-counts.ts`). */
  downloadCounts: DownloadCounts
  /** Directory of the built web app, or `null` when it is not built. */
  webRoot: string | null
  /** True while the server shuts down (health turns 503). */
  isShuttingDown: () => boolean
}

export interface CreateAppOptions {
  config: Config
  store: Store
  locker: Locker
  clock: Clock
  logger?: Logger
  /** Built web app; default: `config.webRoot`, else {@link defaultWebRoot}. */
  webRoot?: string | null
  metrics?: Metrics
  webhooks?: WebhookSender
  /** Outgoing mail; made from `config.smtpUrl` when not given (absent without it). */
  mailer?: Mailer
  /** Backoff of webhook retries, ms, when `webhooks` is not given (tests shorten it). */
  webhookBackoffMs?: number
  /** Delay before answering a wrong password, ms (default 500). */
  authFailDelayMs?: number
  limiter?: FailureRateLimiter
  /** Admission of Argon2 jobs (default: from `passwordQueueSize`, `passwordJobsPerClient`, …). */
  kdfGate?: KdfGate
  isShuttingDown?: () => boolean
  /**
   * Whether `locker` holds across server instances (a store definition's own locker, such as
   * S3's or Azure's): then bucket admission and the bucket lock go through it and the buckets'
   * ledgers in the store (`upload/bucket-ledger.ts`). Default: any locker but core's in-process
   * `MemoryLocker`.
   */
  sharedLocker?: boolean
  /** Bytes all checksummed TUS chunks may buffer at once, or a budget to share (default: `config.checksumBufferSize`). */
  checksumBudget?: number | ChecksumBudget
}

/**
 * The built web app when `webRoot` is not configured: the workspace's apps/web/dist (this
 * package's sibling), else the `public/` folder inside this package, where the published
 * tarball and the container image carry it. The workspace build comes first because a `public/`
 * there is only a copy `pnpm pack` makes (and removes again). `packageDir`: for tests.
 */
export function defaultWebRoot(
  packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..'),
): string | null {
  for (const candidate of [resolve(packageDir, '..', 'web', 'dist'), resolve(packageDir, 'public')]) {
    if (existsSync(resolve(candidate, 'index.html'))) return candidate
  }
  return null
}

/** Builds every service once; what `options` brings is used as it is. */
export function createDeps(options: CreateAppOptions): AppDeps {
  const { config } = options
  const logger = options.logger ?? silentLogger
  const metrics = options.metrics ?? new Metrics()
  // Routes never see the marks of used bucket ids; only `bucketIds` (and the sweeper) do.
  const store = hideBucketMarks(options.store)
  const shared = options.sharedLocker ?? !(options.locker instanceof MemoryLocker)
  const ledgers = shared
    ? new BucketLedgers(options.store, options.clock, (meta) =>
        retentionExpiry(meta.createdAt, meta.retention, config),
      )
    : undefined
  return {
    config,
    store,
    locker: options.locker,
    bucketLocker: shared ? options.locker : new MemoryLocker(),
    clock: options.clock,
    logger,
    metrics,
    webhooks:
      options.webhooks ??
      new WebhookSender({
        logger,
        ...(options.webhookBackoffMs !== undefined ? { backoffMs: options.webhookBackoffMs } : {}),
        onFailure: () => metrics.inc('psitransfer_webhook_failures_total'),
      }),
    ...mailerFor(options, logger, metrics),
    tokens: new DownloadTokens(config.secret, config.downloadTokenTtl),
    downloadCounts: new DownloadCounts({ store, locker: options.locker, clock: options.clock, logger }),
    limiter: options.limiter ?? new FailureRateLimiter(),
    verifier: new PasswordVerifier(),
    kdfGate:
      options.kdfGate ??
      new KdfGate(
        {
          concurrency: kdf.size,
          maxQueued: config.passwordQueueSize,
          perClient: config.passwordJobsPerClient,
          perMinute: config.passwordJobsPerMinute,
        },
        options.clock,
      ),
    buckets: new BucketStates(store, options.clock, undefined, undefined, ledgers),
    bucketIds: new BucketIds(
      options.store,
      options.clock,
      config.maxAge === null ? null : config.maxAge * 1000,
    ),
    authFailDelayMs: options.authFailDelayMs ?? 500,
    webRoot: options.webRoot !== undefined ? options.webRoot : (config.webRoot ?? defaultWebRoot()),
    isShuttingDown: options.isShuttingDown ?? (() => false),
    checksumBudget:
      typeof options.checksumBudget === 'object'
        ? options.checksumBudget
        : new MemoryChecksumBudget(options.checksumBudget ?? config.checksumBufferSize),
  }
}

function mailerFor(options: CreateAppOptions, logger: Logger, metrics: Metrics): { mailer?: Mailer } {
  if (options.mailer) return { mailer: options.mailer }
  const { smtpUrl, mailFrom } = options.config
  if (smtpUrl === null) return {}
  const onFailure = () => metrics.inc('psitransfer_mail_failures_total')
  return { mailer: new Mailer({ url: smtpUrl, from: mailFrom, logger, onFailure }) }
}
