/**
 * Hono environment of the app: Node bindings when served by @hono/node-server (absent under
 * `app.request()` in tests) and per-request variables set by the middleware.
 * @module
 */
import type { HttpBindings } from '@hono/node-server'
import type { Logger } from './logger.js'

export interface SentInfo {
  status: number
  bytes: number
}

export type AppEnv = {
  Bindings: Partial<HttpBindings>
  Variables: {
    requestId: string
    log: Logger
    /** Set when a handler wrote the response directly to the Node socket. */
    sent?: SentInfo
    /** Error code of a failed request, for metrics. */
    errorCode?: string
  }
}
