/**
 * The composition root of the HTTP layer: {@link createApp} wires config, store, locker and
 * clock into a Hono app with PsiTransfer's URL layout. No environment access here (main.ts
 * owns that), so tests build apps with `app.request()` and an in-memory store.
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
  PsiError,
  parseFileRef,
  type Store,
} from '@psitransfer/core'
import { type Context, Hono } from 'hono'
import type { Config } from './config.js'
import type { AppDeps } from './deps.js'
import type { AppEnv } from './env.js'
import { closeScope, errorAnswer, openScope } from './http/request-scope.js'
import { type Logger, silentLogger } from './logger.js'
import { Metrics } from './metrics.js'
import { adminData, adminDeleteBucket, adminDeleteFile } from './routes/admin.js'
import { downloadArchive } from './routes/archive.js'
import { bucketListing } from './routes/bucket.js'
import { clientConfig, langJson } from './routes/client-config.js'
import { downloadFile } from './routes/download.js'
import { healthz, metrics } from './routes/health.js'
import { putUpload } from './routes/put.js'
import { lockBucket, tusRequest } from './routes/tus.js'
import { createTusFastPath, type TusFastPath } from './routes/tus-fast.js'
import {
  isTusRequest,
  matchTusRequest,
  TUS_COLLECTION_METHODS,
  TUS_FILE_METHODS,
  type TusRoute,
} from './routes/tus-route.js'
import { appPage, asset } from './routes/web.js'
import { KdfGate } from './security/kdf-gate.js'
import { kdf, PasswordVerifier } from './security/passwords.js'
import { FailureRateLimiter } from './security/rate-limit.js'
import { DownloadTokens } from './security/tokens.js'
import { BucketIds, hideBucketMarks } from './upload/bucket-ids.js'
import { BucketLedgers } from './upload/bucket-ledger.js'
import { BucketStates } from './upload/bucket-state.js'
import { retentionExpiry } from './upload/rules.js'
import { WebhookSender } from './webhooks.js'

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

export function createApp(options: CreateAppOptions): Hono<AppEnv> {
  return buildApp(options).app
}

export interface BuiltApp {
  app: Hono<AppEnv>
  /**
   * The TUS requests of the Node server, answered without Hono (see `routes/tus-fast.ts`); the
   * same handler code as the app's TUS routes. Returns false for any other request.
   */
  tusFastPath: TusFastPath
  /** What the routes share (the server's sweeper completes uploads with it). */
  deps: AppDeps
}

export function buildApp(options: CreateAppOptions): BuiltApp {
  const { config } = options
  const logger = options.logger ?? silentLogger
  const appMetrics = options.metrics ?? new Metrics()
  // Routes never see the marks of used bucket ids; only `bucketIds` (and the sweeper) do.
  const store = hideBucketMarks(options.store)
  const shared = options.sharedLocker ?? !(options.locker instanceof MemoryLocker)
  const ledgers = shared
    ? new BucketLedgers(options.store, options.clock, (meta) =>
        retentionExpiry(meta.createdAt, meta.retention, config),
      )
    : undefined
  const deps: AppDeps = {
    config,
    store,
    locker: options.locker,
    bucketLocker: shared ? options.locker : new MemoryLocker(),
    clock: options.clock,
    logger,
    metrics: appMetrics,
    webhooks:
      options.webhooks ??
      new WebhookSender({ logger, onFailure: () => appMetrics.inc('psitransfer_webhook_failures_total') }),
    tokens: new DownloadTokens(config.secret, config.downloadTokenTtl),
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
  const B = config.baseUrl
  // Already resolved below B by the config (PsiTransfer: a sub-path of baseUrl).
  const U = config.uploadAppPath
  const app = new Hono<AppEnv>()

  // Request id, structured access log and request metrics (shared with the TUS fast path).
  app.use('*', async (c, next) => {
    const tus = isTusRequest(c.req.method, c.req.path, U, c.req.header('tus-resumable') !== undefined)
    const scope = openScope(logger, c.req.header('x-request-id'), tus)
    c.set('requestId', scope.requestId)
    c.set('log', scope.log)
    for (const [k, v] of Object.entries(scope.baseHeaders)) c.header(k, v)
    // Handlers that write to the Node response directly (downloads, TUS answers) send these too.
    c.set('baseHeaders', scope.baseHeaders)
    await next()
    const sent = c.get('sent')
    const errorCode = c.get('errorCode')
    closeScope(deps, scope, {
      method: c.req.method,
      path: c.req.path,
      status: sent?.status ?? c.res.status,
      ...(sent ? { bytes: sent.bytes } : {}),
      ...(errorCode ? { errorCode } : {}),
    })
  })

  app.onError((err, c) => {
    const answer = errorAnswer(err, c.get('log') ?? logger)
    c.set('errorCode', answer.code)
    for (const [k, v] of Object.entries(answer.headers)) c.header(k, v)
    return c.json(answer.body, answer.status as 400)
  })

  app.notFound((c) => c.json({ code: 'NOT_FOUND', message: 'Not found' }, 404))

  app.get('/healthz', (c) => healthz(c, deps))
  if (config.metrics || config.metricsToken) app.get('/metrics', (c) => metrics(c, deps))

  // The TUS endpoint and the bucket lock, by the route table the fast path also goes by.
  const tusRoute = (c: Context<AppEnv>, route: TusRoute) =>
    route.kind === 'lock' ? lockBucket(c, deps, route.sid) : tusRequest(c, deps, route.id)
  const marks = (c: Context<AppEnv>) => ({
    tusResumable: c.req.header('tus-resumable') !== undefined,
    lock: c.req.query('lock') !== undefined,
  })
  app.on([...TUS_COLLECTION_METHODS], [`${U}files`, `${U}files/`], (c) => {
    const route = matchTusRequest(config, c.req.method, c.req.path, marks(c))
    if (!route) throw new PsiError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed here`)
    return tusRoute(c, route)
  })

  // `files/:id` is shared by TUS (U) and downloads (B); with the default layout both are `/`.
  for (const prefix of new Set([U, B])) {
    const isDownload = prefix === B
    app.on(['GET', ...TUS_FILE_METHODS], `${prefix}files/:id`, (c) => {
      // Hono percent-decoded the id; the table sees it decoded.
      const id = c.req.param('id') ?? ''
      const method = c.req.method
      const route = matchTusRequest(config, method, `${prefix}files/${id}`, marks(c))
      if (route) return tusRoute(c, route)
      if (isDownload && (method === 'GET' || method === 'HEAD')) return download(c, id)
      throw new PsiError('METHOD_NOT_ALLOWED', `${method} is not allowed here`)
    })
  }

  const download = (c: Context<AppEnv>, id: string) => {
    const archive = /^(.+)\+\+([A-Za-z0-9]{1,64})\.(zip|tar\.gz)$/.exec(id)
    if (archive) {
      return downloadArchive(
        c,
        deps,
        archive[1] as string,
        archive[2] as string,
        archive[3] as 'zip' | 'tar.gz',
      )
    }
    return downloadFile(c, deps, parseFileRef(id))
  }

  app.get(`${B}config.json`, (c) => clientConfig(c, deps))
  app.get(`${B}lang.json`, (c) => langJson(c, deps))
  app.get(`${B}admin/data.json`, (c) => adminData(c, deps))
  app.delete(`${B}admin/files/:id`, (c) => adminDeleteFile(c, deps, parseFileRef(c.req.param('id') ?? '')))
  app.delete(`${B}admin/buckets/:sid`, (c) => adminDeleteBucket(c, deps, c.req.param('sid') ?? ''))
  app.get(`${B}admin`, (c) => appPage(c, deps))
  if (U !== B) app.get(U, (c) => appPage(c, deps))
  // PsiTransfer sends the base URL to the upload page when that lives elsewhere.
  app.on(['GET', 'HEAD'], B, (c) => (U === B ? appPage(c, deps) : c.redirect(U, 302)))

  app.on(['GET', 'HEAD'], `${B}:name`, (c) => {
    const name = c.req.param('name') ?? ''
    const listing = /^(.+)\.json$/.exec(name)
    if (listing) return bucketListing(c, deps, listing[1] as string)
    // `{B}{sid}` is the download page; anything with a dot is a static file of the web build.
    if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return appPage(c, deps)
    return asset(c, deps, name)
  })
  // The upload page at U loads the build's relative `./assets/…` from below U (U lies below B,
  // so this goes first).
  if (U !== B) app.on(['GET', 'HEAD'], `${U}*`, (c) => asset(c, deps, c.req.path.slice(U.length)))
  app.on(['GET', 'HEAD'], `${B}*`, (c) => asset(c, deps, c.req.path.slice(B.length)))
  app.put(`${B}:name`, (c) => putUpload(c, deps, c.req.param('name') ?? ''))

  return { app, tusFastPath: createTusFastPath(deps), deps }
}
