/**
 * The Hono front door of the IETF resumable-upload endpoint (`upload/resumable-endpoint.ts`):
 * `{U}uploads/` (creation) and `{U}uploads/{sid}++{key}` (offset, append, cancellation). On the
 * Node server it sends the draft's `104 (Upload Resumption Supported)` with the upload's URL
 * before reading a creation's content, so a client cut off mid-body can resume it.
 * @module
 */
import type { ServerResponse } from 'node:http'
import type { InformationalResponse } from '@psitransfer/core'
import type { Context } from 'hono'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts } from '../http/client.js'
import { RESUMABLE_CORS_HEADERS } from '../http/headers.js'
import { bodySignal, requestBody, sendSmall } from '../http/send.js'
import { answerResumable } from '../upload/resumable-endpoint.js'

/** Methods of the collection `{U}uploads/` and of an upload `{U}uploads/{id}`. */
export const RESUMABLE_COLLECTION_METHODS = ['POST', 'PUT', 'OPTIONS'] as const
export const RESUMABLE_UPLOAD_METHODS = ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'] as const

const REASON: Record<number, string> = { 104: 'Upload Resumption Supported' }

/**
 * Sends an informational response on Node's HTTP/1.1 connection. Node has no public API for
 * a 1xx other than 100, 102 and 103, so the head goes straight to the socket, as Node itself
 * does for those: only before any of the final response, only while this response owns the
 * socket (a pipelined one waiting its turn has none), never to an HTTP/1.0 client (which does
 * not know 1xx). Values are ids and numbers; a line break in one would be refused, not sent.
 */
export function writeInformational(
  out: ServerResponse | undefined,
  httpVersion: string | undefined,
  info: InformationalResponse,
): Promise<void> | undefined {
  const socket = out?.socket
  if (!out || !socket || httpVersion !== '1.1' || out.headersSent || socket.destroyed) return undefined
  let head = `HTTP/1.1 ${info.status} ${REASON[info.status] ?? 'Informational'}\r\n`
  for (const [name, value] of Object.entries(info.headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return undefined
    head += `${name}: ${value}\r\n`
  }
  return new Promise<void>((resolve) => {
    socket.write(`${head}\r\n`, () => resolve())
  })
}

/** The Hono route of the endpoint (`id` undefined for the collection). */
export async function resumableRequest(
  c: Context<AppEnv>,
  deps: AppDeps,
  id: string | undefined,
): Promise<Response> {
  const method = c.req.method
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH'
  const signal = hasBody ? bodySignal(c) : c.req.raw.signal
  const incoming = c.env?.incoming
  const answer = await answerResumable(
    {
      method,
      ...(id !== undefined ? { id } : {}),
      headers: c.req.raw.headers,
      body: hasBody ? requestBody(c) : null,
      ...(signal ? { signal } : {}),
      ...(incoming
        ? {
            informational: (info: InformationalResponse) =>
              writeInformational(c.env?.outgoing as ServerResponse | undefined, incoming.httpVersion, info),
          }
        : {}),
      facts: honoFacts(c, deps.logger),
    },
    deps,
  )
  if (answer.errorCode) c.set('errorCode', answer.errorCode)
  return sendSmall(c, answer.status, { ...RESUMABLE_CORS_HEADERS, ...answer.headers }, answer.body)
}
