/**
 * Facts about the client and the URL it used, honouring `trustProxy`.
 * @module
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env.js'

export function clientIp(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for')
    const first = xff?.split(',')[0]?.trim()
    if (first) return first
  }
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown'
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
