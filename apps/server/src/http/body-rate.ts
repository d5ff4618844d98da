/**
 * A minimum rate for request bodies (uploads). `idleTimeout` only closes sockets without any
 * traffic, so a client sending one byte every few seconds could hold an upload (its lock, a
 * socket, a store part buffer) for ever. Here a body must bring at least `minRate` bytes per
 * second, measured over windows of `windowMs`; the first window is the grace period. Windows in
 * which the server itself was not reading (bytes of the body waiting in the request's buffer:
 * the handler is waiting for a lock or a slow store) do not count against the client.
 *
 * A body that falls below gets `408` if nothing was answered yet, and its connection is closed:
 * the request body then fails like any dropped connection, so the bytes the store took before
 * stay durable and the client resumes from HEAD (Node's own `requestTimeout` answers the same way).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../logger.js'

export interface BodyRateOptions {
  /** Bytes per second a body must average over each window; `0` turns the guard off. */
  minRate: number
  windowMs: number
  logger?: Logger
}

const TOO_SLOW_BODY = JSON.stringify({
  code: 'TIMEOUT',
  message: 'The request body arrived too slowly; the connection was closed (resume the upload)',
})
const TOO_SLOW =
  'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n' +
  `Content-Length: ${Buffer.byteLength(TOO_SLOW_BODY)}\r\n\r\n${TOO_SLOW_BODY}`

/** True for requests that carry a body worth guarding. */
function hasBody(req: IncomingMessage): boolean {
  const method = req.method
  if (method !== 'POST' && method !== 'PATCH' && method !== 'PUT') return false
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** Watches `req`'s body until it ended or the exchange is over. */
export function guardBodyRate(req: IncomingMessage, res: ServerResponse, options: BodyRateOptions): void {
  const { minRate, windowMs } = options
  if (minRate <= 0 || windowMs <= 0 || !hasBody(req)) return
  const socket = req.socket
  const perWindow = (minRate * windowMs) / 1000
  let last = socket.bytesRead
  let grace = true
  const stop = () => {
    clearInterval(timer)
    req.off('end', stop)
    res.off('close', stop)
  }
  const timer = setInterval(() => {
    if (req.readableEnded || req.destroyed || socket.destroyed) return stop()
    const now = socket.bytesRead
    const got = now - last
    last = now
    if (grace) {
      grace = false
      return
    }
    // Body bytes not consumed yet: the server is the slow side in this window.
    if (req.readableLength > 0) return
    if (got >= perWindow) return
    stop()
    options.logger?.info(
      { method: req.method, bytesPerSecond: Math.round((got * 1000) / windowMs), minRate },
      'request body too slow: connection closed',
    )
    if (!res.headersSent && socket.writable) socket.end(TOO_SLOW, () => socket.destroy())
    else socket.destroy()
  }, windowMs)
  timer.unref()
  req.once('end', stop)
  res.once('close', stop)
}
