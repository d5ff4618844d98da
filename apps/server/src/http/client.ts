/**
 * Facts about the client and the URL it used, honouring `trustProxy`.
 * @module
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env.js'
import type { Logger } from '../logger.js'

/**
 * What password checks and upload hooks need from a request, however it is served (a Hono
 * context, or the Node request of the TUS fast path).
 */
export interface RequestFacts {
  /** A header by lower-case name. */
  header(name: string): string | undefined
  /** Peer address of the connection. */
  readonly remoteAddress: string | undefined
  /** Logger bound to the request id. */
  readonly log: Logger
}

export function honoFacts(c: Context<AppEnv>, fallbackLog: Logger): RequestFacts {
  return {
    header: (name) => c.req.header(name),
    remoteAddress: c.env?.incoming?.socket?.remoteAddress,
    log: c.get('log') ?? fallbackLog,
  }
}

export function clientIpOf(req: RequestFacts, trustProxy: boolean): string {
  if (trustProxy) {
    const first = req.header('x-forwarded-for')?.split(',')[0]?.trim()
    if (first) return first
  }
  return req.remoteAddress ?? 'unknown'
}

/** `https://host` as the client sees it (share links in plain-text answers). */
export function publicOrigin(c: Context<AppEnv>, trustProxy: boolean): string {
  const url = new URL(c.req.url)
  if (trustProxy) {
    const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim()
    const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim()
    if (proto && /^https?$/.test(proto)) url.protocol = `${proto}:`
    if (host && /^[A-Za-z0-9.:[\]-]+$/.test(host)) url.host = host
  }
  return url.origin
}
