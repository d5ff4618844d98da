/**
 * Facts about the client and the URL it used, honouring `trustProxy`.
 *
 * Behind `trustProxy` hops of reverse proxies, `X-Forwarded-For` is a list the client starts
 * (it may send any value) and each proxy appends the address it saw. Only the entries the
 * trusted proxies wrote are believed: with `n` trusted hops that is the `n`-th from the right
 * (Express's `trust proxy` with a hop count). The leftmost entry is whatever the client wrote.
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net'
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

/**
 * The value a `X-Forwarded-*` list got from the outermost trusted proxy (`hops` from the right),
 * or the leftmost when the list is shorter (every entry then came through trusted proxies).
 */
export function trustedForwarded(value: string | undefined, hops: number): string | undefined {
  if (hops <= 0 || value === undefined) return undefined
  const list = value.split(',').map((v) => v.trim())
  const picked = list[Math.max(0, list.length - hops)]
  return picked === '' ? undefined : picked
}

export function clientIpOf(req: RequestFacts, trustProxy: number): string {
  const forwarded = trustedForwarded(req.header('x-forwarded-for'), trustProxy)
  if (forwarded) return forwarded
  return req.remoteAddress ?? 'unknown'
}

/**
 * The key rate limits count a client under: its address, where an IPv6 client counts by its
 * /64 (one subscriber gets a whole /64, so single addresses are free to cycle through), and an
 * IPv4-mapped IPv6 address as the IPv4 one.
 */
export function clientKeyOf(req: RequestFacts, trustProxy: number): string {
  const ip = clientIpOf(req, trustProxy)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1] as string
  if (isIPv4(ip) || !isIPv6(ip)) return ip
  return `${ipv6Prefix64(ip)}::/64`
}

/** The first four groups of an IPv6 address, expanded (`2001:db8::1` → `2001:db8:0:0`). */
function ipv6Prefix64(ip: string): string {
  const [head = '', tail] = ip.split('%')[0]?.split('::') ?? ['']
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups =
    tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')
}

/** `https://host` as the client sees it (share links in plain-text answers). */
export function publicOrigin(c: Context<AppEnv>, trustProxy: number): string {
  const url = new URL(c.req.url)
  const proto = trustedForwarded(c.req.header('x-forwarded-proto'), trustProxy)
  const host = trustedForwarded(c.req.header('x-forwarded-host'), trustProxy)
  if (proto && /^https?$/.test(proto)) url.protocol = `${proto}:`
  if (host && /^[A-Za-z0-9.:[\]-]+$/.test(host)) url.host = host
  return url.origin
}
