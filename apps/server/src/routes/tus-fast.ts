/**
 * The TUS fast path of the Node server: upload requests (`{U}files/…`) are answered straight
 * from the Node request listener, without Hono. It goes by the same route table as the app's
 * Hono routes ({@link matchTusRequest}). Small files make three requests each (POST,
 * PATCH, HEAD), and for them building a Web `Request`, its `Headers`, the router and the
 * middleware chain cost about as much CPU as the upload itself.
 *
 * Nothing else differs: the answer comes from the same {@link answerTus} as the Hono route
 * (the same hooks, password check, limits and core state machine), the request id, base
 * headers, metrics and access log from the same `request-scope` helpers as the app's
 * middleware, errors from the same mapping as its `onError`, and the bytes are written by the
 * same {@link writeSmall}. Anything the fast path does not recognize exactly (query strings,
 * percent-encoded ids, the bucket-lock PATCH, downloads, other methods) returns `false` and
 * goes to Hono, which also serves all TUS requests under `app.request()` in tests.
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { TusHeaders } from '@psitransfer/core'
import type { AppDeps } from '../deps.js'
import type { RequestFacts } from '../http/client.js'
import { closeScope, errorAnswer, openScope } from '../http/request-scope.js'
import { nodeRequestBody, writeSmall } from '../http/send.js'
import { answerTus } from '../upload/tus-endpoint.js'
import { isTusRequest, matchTusRequest } from './tus-route.js'

/**
 * Answers the request and returns the promise of that work (settled once the store write behind it
 * settled: a graceful shutdown waits for it), or returns false (the caller hands it to Hono).
 */
export type TusFastPath = (req: IncomingMessage, res: ServerResponse) => Promise<void> | false

/** An id segment the fast path takes as it is (Hono would percent-decode anything else). */
const PLAIN_ID = /^[^/%]+$/
/** Unread request bodies after an early answer: read and dropped, within bounds (see drain). */
const DRAIN_TIMEOUT_MS = 500
const MAX_DRAIN_BYTES = 64 * 1024 * 1024

/** A header of Node's parsed headers by lower-case name (repeated values joined). */
function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return v === undefined || typeof v === 'string' ? v : v.join(', ')
}

/** Node's parsed headers as core's header reader. */
class NodeHeaders implements TusHeaders {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  get(name: string): string | null {
    return headerOf(this.headers, name) ?? null
  }
}

export function createTusFastPath(deps: AppDeps): TusFastPath {
  const layout = deps.config
  return (req, res) => {
    const url = req.url
    if (url === undefined || url.includes('?')) return false
    const method = req.method ?? ''
    const route = matchTusRequest(layout, method, url, {
      tusResumable: req.headers['tus-resumable'] !== undefined,
      lock: false,
    })
    // The lock PATCH has a query string, so it never gets here.
    if (route?.kind !== 'endpoint' || (route.id !== undefined && !PLAIN_ID.test(route.id))) return false
    return serve(deps, req, res, method, url, route.id).catch((err: unknown) => {
      // Not reached (serve answers its own errors); never let a request crash the process.
      deps.logger.error({ err }, 'TUS request failed')
      res.destroy()
    })
  }
}

async function serve(
  deps: AppDeps,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  id: string | undefined,
): Promise<void> {
  const tus = isTusRequest(
    method,
    path,
    deps.config.uploadAppPath,
    req.headers['tus-resumable'] !== undefined,
  )
  const scope = openScope(deps.logger, headerOf(req.headers, 'x-request-id'), tus)
  const hasBody = method === 'POST' || method === 'PATCH'
  let signal: AbortSignal | undefined
  if (!hasBody) {
    // Requests with a body notice a client that went away through the body stream itself.
    const controller = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    signal = controller.signal
  }
  const facts: RequestFacts = {
    header: (name) => headerOf(req.headers, name),
    remoteAddress: req.socket.remoteAddress,
    log: scope.log,
  }
  let status: number
  let bytes: number
  let errorCode: string | undefined
  try {
    const answer = await answerTus(
      {
        method,
        id,
        headers: new NodeHeaders(req.headers),
        body: hasBody ? nodeRequestBody(req) : null,
        ...(signal ? { signal } : {}),
        facts,
      },
      deps,
    )
    status = answer.status
    errorCode = answer.errorCode
    bytes = answer.json
      ? writeJson(res, scope.baseHeaders, status, answer.headers, answer.json)
      : writeSmall(res, scope.baseHeaders, status, answer.headers, answer.body, method === 'HEAD')
  } catch (err) {
    const e = errorAnswer(err, scope.log)
    status = e.status
    errorCode = e.code
    bytes = writeJson(res, scope.baseHeaders, e.status, e.headers, e.body)
  }
  closeScope(deps, scope, { method, path, status, bytes, ...(errorCode ? { errorCode } : {}) })
  if (hasBody && !req.readableEnded) drain(req)
}

function writeJson(
  res: ServerResponse,
  base: Record<string, string>,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): number {
  return writeSmall(
    res,
    base,
    status,
    { ...headers, 'Content-Type': 'application/json' },
    JSON.stringify(body),
  )
}

/**
 * A body the answer did not need (refused early, or a limit hit mid-body): read and dropped so
 * the connection can carry the next request, but at most {@link MAX_DRAIN_BYTES} within
 * {@link DRAIN_TIMEOUT_MS}; otherwise the connection is closed. (@hono/node-server does the
 * same for the requests it serves.)
 */
function drain(req: IncomingMessage): void {
  if (req.destroyed) return
  let read = 0
  const done = () => {
    clearTimeout(timer)
    req.off('data', onData)
    req.off('end', done)
    req.off('error', done)
  }
  const close = () => {
    done()
    req.socket?.destroySoon()
  }
  const onData = (chunk: Buffer) => {
    read += chunk.length
    if (read > MAX_DRAIN_BYTES) close()
  }
  const timer = setTimeout(close, DRAIN_TIMEOUT_MS)
  timer.unref()
  req.on('data', onData)
  req.on('end', done)
  req.on('error', done)
  req.resume()
}
