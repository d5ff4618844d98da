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
    /**
     * Headers every response gets (request id, security, CORS). Also set with `c.header()`;
     * kept here for handlers that write to the Node response directly, because reading
     * `c.res` there would make Hono rebuild the response and lose the already-sent marker.
     */
    baseHeaders: Record<string, string>
    /** Set when a handler wrote the response directly to the Node socket. */
    sent?: SentInfo
    /** Error code of a failed request, for metrics. */
    errorCode?: string
  }
}
