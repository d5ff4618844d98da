/**
 * Runs the app on a Node HTTP server: timeouts and a minimum body rate for slow clients, the retention sweeper, and
 * a graceful, bounded shutdown that leaves every upload resumable.
 * @module
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, Server as NetServer } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Clock, Locker, Store } from '@psitransfer/core'
import { buildApp } from './app.js'
import type { Config } from './config.js'
import { createDeps } from './deps.js'
import { guardBodyRate } from './http/body-rate.js'
import type { Logger } from './logger.js'
import { Sweeper } from './sweeper.js'
import { isBucketMark } from './upload/bucket-ids.js'
import { completedOrAsIs, missedCompletionHooks, runMissedCompletionHooks } from './upload/complete.js'
import { flushRequestNotice, noticeIsDue, stopRequestNoticeTimers } from './upload/request-notices.js'
import type { WebhookSender } from './webhooks.js'

/** How long a shutdown waits, after cutting the connections, for their handlers to store what arrived. */
export const HANDLER_GRACE_MS = 5000
/**
 * How long a shutdown keeps idle keep-alive connections open (answering their requests with
 * `Connection: close`) before closing them. Closing one at the instant a proxy reuses it for a
 * PATCH fails that PATCH with a reset the proxy cannot retry (502); during this grace a busy
 * proxy's connections each carry one more request and are closed cleanly after its answer.
 */
export const IDLE_CLOSE_GRACE_MS = 1000

export interface StartOptions {
  config: Config
  store: Store
  locker: Locker
  clock: Clock
  logger?: Logger
  webRoot?: string | null
  authFailDelayMs?: number
  /** Webhook delivery tuning (tests shorten the backoff). */
  webhookBackoffMs?: number
}

export interface RunningServer {
  /** `http://host:port` (the bound port, also when `port` was 0). */
  origin: string
  port: number
  server: Server
  sweeper: Sweeper
  webhooks: WebhookSender
  /** Stops accepting, waits (bounded) for requests in flight, closes the store. Idempotent. */
  close(): Promise<void>
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config, store, locker, clock } = options
  let shuttingDown = false
  // Every service, built once: the app's routes, the fast path and the sweeper share them.
  const deps = createDeps({
    config,
    store,
    locker,
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.webhookBackoffMs !== undefined ? { webhookBackoffMs: options.webhookBackoffMs } : {}),
    isShuttingDown: () => shuttingDown,
    ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}),
    ...(options.authFailDelayMs !== undefined ? { authFailDelayMs: options.authFailDelayMs } : {}),
  })
  const { logger, metrics, webhooks } = deps
  const { app, tusFastPath } = buildApp(deps)
  const requestTimeout = config.requestTimeout * 1000
  const headersTimeout =
    requestTimeout > 0 ? Math.min(config.headersTimeout * 1000, requestTimeout) : config.headersTimeout * 1000
  // The listener @hono/node-server's `serve` would install, behind the TUS fast path: upload
  // requests are answered without Hono (same handler code, see routes/tus-fast.ts).
  const honoListener = getRequestListener(app.fetch, { hostname: config.iface })
  const bodyRate = { minRate: config.minUploadRate, windowMs: config.uploadRateWindow * 1000, logger }
  // Requests whose handler has not settled, by response. A connection cut at shutdown ends its
  // upload's body; the handler then still writes what arrived to the store, and the process must
  // not exit first. And Node keeps serving keep-alive connections after close(): a proxy's pooled
  // connection would keep bringing requests (its /healthz polls get 503) until the timeout, so
  // every answer given during the shutdown closes its connection and the proxy reconnects to
  // another instance.
  const inFlight = new Map<ServerResponse, Promise<unknown>>()
  const server = createServer({ requestTimeout, headersTimeout, keepAliveTimeout: 5000 }, (req, res) => {
    // Uploads on both paths (TUS fast path, Hono's TUS route and PUT) must keep a minimum pace.
    guardBodyRate(req, res, bodyRate)
    if (shuttingDown) res.setHeader('Connection', 'close')
    const fast = tusFastPath(req, res)
    const work = fast === false ? honoListener(req, res) : fast
    inFlight.set(res, work)
    void work.finally(() => inFlight.delete(res))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.iface, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Sockets without traffic in either direction (stalled uploads or readers) are closed.
  if (config.idleTimeout > 0) server.setTimeout(config.idleTimeout * 1000)
  server.on('clientError', (err, socket) => {
    logger.debug({ err: (err as Error).message }, 'client error')
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })

  const sweeper = new Sweeper({
    store,
    locker,
    clock,
    logger,
    metrics,
    intervalMs: config.sweepInterval * 1000,
    // Uploads whose last PATCH's process died before completing them (no wait: next round).
    complete: (meta) => completedOrAsIs(deps, meta, 0),
    completionHooks: {
      missed: (meta) => missedCompletionHooks(meta, config),
      run: (meta) => runMissedCompletionHooks(deps, meta),
    },
    // Requester digests collected by a process that ended before sending them.
    dueNotices: {
      due: (meta, now) => isBucketMark(meta) && noticeIsDue(deps, meta, now),
      send: (meta) => flushRequestNotice(deps, meta.sid),
    },
  })
  sweeper.start()

  const port = (server.address() as AddressInfo).port
  const host = config.iface === '0.0.0.0' || config.iface === '::' ? 'localhost' : config.iface
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true
      // Stop accepting first, before anything that awaits: until then new requests still come in.
      // net's close, not http's: http's also closes idle keep-alive connections at once (below).
      const closed = new Promise<void>((r) => NetServer.prototype.close.call(server, () => r()))
      for (const res of inFlight.keys()) if (!res.headersSent) res.setHeader('Connection', 'close')
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), config.shutdownTimeout * 1000)
      })
      const graceMs = Math.min(IDLE_CLOSE_GRACE_MS, config.shutdownTimeout * 1000)
      const idleGrace = new Promise<void>((r) => setTimeout(r, graceMs).unref())
      await Promise.all([sweeper.stop(), Promise.race([closed, idleGrace])])
      stopRequestNoticeTimers(deps)
      // Now http's close: idle connections go (requests still running keep theirs, answered with
      // `Connection: close`), and its connection-checking timer stops.
      server.close()
      if ((await Promise.race([closed, timedOut])) === 'timeout') {
        logger.warn({}, 'shutdown: closing connections still open (their uploads stay resumable)')
        server.closeAllConnections()
        await closed
      }
      clearTimeout(timer)
      // Handlers of the connections just cut store the bytes their uploads received (bounded: a
      // store that hangs must not hold the process; what it did not store is simply resent).
      if (inFlight.size > 0) {
        const settled = Promise.allSettled(inFlight.values())
        const bound = new Promise<void>((r) => {
          timer = setTimeout(r, HANDLER_GRACE_MS)
        })
        await Promise.race([settled, bound])
        clearTimeout(timer)
      }
      // Download counts still in memory (their responses went out) before the store closes.
      await deps.downloadCounts.drain(Math.min(5000, config.shutdownTimeout * 1000))
      await webhooks.drain(Math.min(5000, config.shutdownTimeout * 1000))
      await deps.mailer?.close(Math.min(5000, config.shutdownTimeout * 1000))
      await store.close?.()
    })()
    return closing
  }
  return { origin, port, server, sweeper, webhooks, close }
}
