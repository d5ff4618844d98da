/**
 * What every request gets, whichever way it is served (the Hono app, or the Node fast path
 * for TUS requests in `routes/tus-fast.ts`): a request id and a logger bound to it, the base headers
 * (request id, security, CORS on the TUS endpoint), request metrics and the access log at the
 * end, and one mapping of thrown errors to a status and a `{ code, message }` body.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { toPsiError } from '@psitransfer/core'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { COMMON_HEADERS, TUS_CORS_HEADERS } from './headers.js'

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/
const TUS_BASE_HEADERS: Readonly<Record<string, string>> = { ...COMMON_HEADERS, ...TUS_CORS_HEADERS }

export interface RequestScope {
  readonly requestId: string
  readonly log: Logger
  /** `performance.now()` at the start. */
  readonly started: number
  /** Headers every response of this request gets. */
  readonly baseHeaders: Record<string, string>
}

/** A client's `X-Request-Id` is kept when it is a sane token; otherwise a new one is made. */
export function openScope(
  logger: Logger,
  incomingId: string | undefined,
  tusEndpoint: boolean,
): RequestScope {
  const requestId = incomingId && REQUEST_ID.test(incomingId) ? incomingId : randomUUID()
  return {
    requestId,
    log: logger.child({ reqId: requestId }),
    started: performance.now(),
    baseHeaders: { 'X-Request-Id': requestId, ...(tusEndpoint ? TUS_BASE_HEADERS : COMMON_HEADERS) },
  }
}

export interface RequestOutcome {
  method: string
  /** Path without the query string (which may carry download tokens). */
  path: string
  status: number
  /** Body bytes, when the handler wrote the response itself. */
  bytes?: number
  /** Error code of a failed request (core code, or `tus_<status>`). */
  errorCode?: string
}

/** Request metrics and the access log line. */
export function closeScope(
  deps: { config: Config; metrics: Metrics },
  scope: RequestScope,
  outcome: RequestOutcome,
): void {
  const seconds = (performance.now() - scope.started) / 1000
  const { metrics } = deps
  metrics.inc('psitransfer_http_requests_total', { method: outcome.method, status: String(outcome.status) })
  metrics.observeDuration(outcome.method, seconds)
  if (outcome.errorCode) metrics.inc('psitransfer_errors_total', { code: outcome.errorCode })
  if (deps.config.accessLog) {
    scope.log.info(
      {
        method: outcome.method,
        path: outcome.path,
        status: outcome.status,
        ms: Math.round(seconds * 1000),
        ...(outcome.bytes !== undefined ? { bytes: outcome.bytes } : {}),
      },
      'request',
    )
  }
}

export interface ErrorAnswer {
  status: number
  code: string
  /** Extra headers (`Retry-After`). */
  headers: Record<string, string>
  body: { code: string; message: string }
}

/**
 * A thrown error as the client sees it: the core code's status and a `{ code, message }`
 * body. Server errors are logged with their cause; internal messages are replaced by a generic
 * one, because causes may name paths or hosts.
 */
export function errorAnswer(err: unknown, log: Logger): ErrorAnswer {
  const e = toPsiError(err)
  if (e.status >= 500) log.error({ err, code: e.code }, 'request failed')
  else log.debug({ code: e.code, message: e.message }, 'request refused')
  const headers: Record<string, string> = {}
  const retryAfter = e.details?.retryAfter
  if (typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter)
  else if (e.code === 'STORE_UNAVAILABLE') headers['Retry-After'] = '5'
  const message = e.code === 'INTERNAL' || e.code === 'STORE_MISCONFIGURED' ? 'Internal error' : e.message
  return { status: e.status, code: e.code, headers, body: { code: e.code, message } }
}
