/**
 * The composition root of the HTTP layer: {@link createApp} wires config, store, locker and
 * clock into a Hono app with PsiTransfer's URL layout. No environment access here (main.ts
 * owns that), so tests build apps with `app.request()` and an in-memory store.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type Clock,
  type Locker,
  MemoryLocker,
  PsiError,
  parseFileRef,
  type Store,
  toPsiError,
} from '@psitransfer/core'
import { type Context, Hono } from 'hono'
import type { Config } from './config.js'
import type { AppDeps } from './deps.js'
import type { AppEnv } from './env.js'
import { COMMON_HEADERS, TUS_CORS_HEADERS } from './http/headers.js'
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
import { appPage, asset } from './routes/web.js'
import { PasswordVerifier } from './security/passwords.js'
import { FailureRateLimiter } from './security/rate-limit.js'
import { DownloadTokens } from './security/tokens.js'
import { BucketStates } from './upload/bucket-state.js'
import { WebhookSender } from './webhooks.js'

export interface CreateAppOptions {
  config: Config
  store: Store
  locker: Locker
  clock: Clock
  logger?: Logger
  /** Built web app; default: `config.webRoot`, else `apps/web/dist` when it exists. */
  webRoot?: string | null
  metrics?: Metrics
  webhooks?: WebhookSender
  /** Delay before answering a wrong password, ms (default 500). */
  authFailDelayMs?: number
  limiter?: FailureRateLimiter
  isShuttingDown?: () => boolean
}

/** apps/web/dist next to this package (src/ or dist/ → ../../web/dist). */
function defaultWebRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidate = resolve(here, '..', '..', 'web', 'dist')
  return existsSync(resolve(candidate, 'index.html')) ? candidate : null
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/
const TUS_BASE_HEADERS: Readonly<Record<string, string>> = { ...COMMON_HEADERS, ...TUS_CORS_HEADERS }

export function createApp(options: CreateAppOptions): Hono<AppEnv> {
  const { config } = options
  const logger = options.logger ?? silentLogger
  const appMetrics = options.metrics ?? new Metrics()
  const deps: AppDeps = {
    config,
    store: options.store,
    locker: options.locker,
    bucketLocker: new MemoryLocker(),
    clock: options.clock,
    logger,
    metrics: appMetrics,
    webhooks:
      options.webhooks ??
      new WebhookSender({ logger, onFailure: () => appMetrics.inc('psitransfer_webhook_failures_total') }),
    tokens: new DownloadTokens(config.secret, config.downloadTokenTtl),
    limiter: options.limiter ?? new FailureRateLimiter(),
    verifier: new PasswordVerifier(),
    buckets: new BucketStates(options.store, options.clock),
    authFailDelayMs: options.authFailDelayMs ?? 500,
    webRoot: options.webRoot !== undefined ? options.webRoot : (config.webRoot ?? defaultWebRoot()),
    isShuttingDown: options.isShuttingDown ?? (() => false),
  }
  const B = config.baseUrl
  const U = config.uploadAppPath
  const app = new Hono<AppEnv>()

  // Request id, structured access log and request metrics.
  app.use('*', async (c, next) => {
    const started = performance.now()
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    const log = logger.child({ reqId: requestId })
    c.set('requestId', requestId)
    c.set('log', log)
    const base: Record<string, string> = {
      'X-Request-Id': requestId,
      ...(c.req.path.startsWith(`${U}files`) ? TUS_BASE_HEADERS : COMMON_HEADERS),
    }
    for (const [k, v] of Object.entries(base)) c.header(k, v)
    // Handlers that write to the Node response directly (downloads, TUS answers) send these too.
    c.set('baseHeaders', base)
    await next()
    const sent = c.get('sent')
    const status = sent?.status ?? c.res.status
    const seconds = (performance.now() - started) / 1000
    appMetrics.inc('psitransfer_http_requests_total', { method: c.req.method, status: String(status) })
    appMetrics.observeDuration(c.req.method, seconds)
    const code = c.get('errorCode')
    if (code) appMetrics.inc('psitransfer_errors_total', { code })
    if (config.accessLog) {
      // The path only: query strings may carry download tokens.
      log.info(
        {
          method: c.req.method,
          path: c.req.path,
          status,
          ms: Math.round(seconds * 1000),
          ...(sent ? { bytes: sent.bytes } : {}),
        },
        'request',
      )
    }
  })

  app.onError((err, c) => {
    const e = toPsiError(err)
    c.set('errorCode', e.code)
    const log = c.get('log') ?? logger
    if (e.status >= 500) log.error({ err, code: e.code }, 'request failed')
    else log.debug({ code: e.code, message: e.message }, 'request refused')
    const retryAfter = e.details?.retryAfter
    if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter))
    else if (e.code === 'STORE_UNAVAILABLE') c.header('Retry-After', '5')
    // Internal errors get a generic message: causes may name paths or hosts.
    const message = e.code === 'INTERNAL' || e.code === 'STORE_MISCONFIGURED' ? 'Internal error' : e.message
    return c.json({ code: e.code, message }, e.status as 400)
  })

  app.notFound((c) => c.json({ code: 'NOT_FOUND', message: 'Not found' }, 404))

  app.get('/healthz', (c) => healthz(c, deps))
  if (config.metrics) app.get('/metrics', (c) => metrics(c, deps))

  // TUS collection endpoint.
  for (const path of [`${U}files`, `${U}files/`]) {
    app.on(['POST', 'OPTIONS'], path, (c) => tusRequest(c, deps, undefined))
  }

  // `files/:id` is shared by TUS (U) and downloads (B); with the default layout both are `/`.
  for (const prefix of new Set([U, B])) {
    const isUpload = prefix === U
    const isDownload = prefix === B
    app.on(['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'], `${prefix}files/:id`, (c) => {
      const id = c.req.param('id') ?? ''
      const method = c.req.method
      if (isUpload) {
        if (method === 'PATCH' && c.req.query('lock') !== undefined && !id.includes('++')) {
          return lockBucket(c, deps, id)
        }
        // TUS requests carry Tus-Resumable (HEAD included); a plain HEAD is a download.
        const tusHead = method === 'HEAD' && (c.req.header('tus-resumable') !== undefined || !isDownload)
        if (
          method === 'PATCH' ||
          method === 'DELETE' ||
          method === 'POST' ||
          method === 'OPTIONS' ||
          tusHead
        ) {
          return tusRequest(c, deps, id)
        }
      }
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
  app.on(['GET', 'HEAD'], B, (c) => appPage(c, deps))

  app.on(['GET', 'HEAD'], `${B}:name`, (c) => {
    const name = c.req.param('name') ?? ''
    const listing = /^(.+)\.json$/.exec(name)
    if (listing) return bucketListing(c, deps, listing[1] as string)
    // `{B}{sid}` is the download page; anything with a dot is a static file of the web build.
    if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return appPage(c, deps)
    return asset(c, deps, name)
  })
  app.on(['GET', 'HEAD'], `${B}*`, (c) => asset(c, deps, c.req.path.slice(B.length)))
  // The upload page at U loads the build's relative `./assets/…` from below U.
  if (U !== B) app.on(['GET', 'HEAD'], `${U}*`, (c) => asset(c, deps, c.req.path.slice(U.length)))
  app.put(`${B}:name`, (c) => putUpload(c, deps, c.req.param('name') ?? ''))

  return app
}
