/**
 * `GET /healthz` (the store answers) and `GET /metrics` (Prometheus text; opt-in, optionally behind
 * a bearer token).
 * @module
 */
import { type BucketId, type FileId, isPsiError, PsiError } from '@psitransfer/core'
import type { Context } from 'hono'
import type { HealthBody } from '../api/schemas.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { safeEqual } from '../security/passwords.js'

/** A reference that never exists; asking the store for it proves the store is reachable. */
const PROBE = { sid: 'healthz' as BucketId, key: 'probe' as FileId }

export async function healthz(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  c.header('Cache-Control', 'no-store')
  if (deps.isShuttingDown()) return c.json({ status: 'shutting down' } satisfies HealthBody, 503)
  try {
    await deps.store.info(PROBE)
  } catch (err) {
    if (!(isPsiError(err) && err.code === 'NOT_FOUND')) {
      deps.logger.warn({ err }, 'health check: store unreachable')
      return c.json({ status: 'unavailable', store: deps.store.type } satisfies HealthBody, 503)
    }
  }
  return c.json({ status: 'ok', store: deps.store.type } satisfies HealthBody)
}

export function metrics(c: Context<AppEnv>, deps: AppDeps): Response {
  c.header('Cache-Control', 'no-store')
  const token = deps.config.metricsToken
  if (token) {
    // `Authorization: Bearer <token>` (scheme case-insensitive), compared in constant time.
    const m = /^bearer +(\S+) *$/i.exec(c.req.header('authorization') ?? '')
    if (!m || !safeEqual(m[1] as string, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"')
      throw new PsiError('UNAUTHORIZED', 'Metrics need Authorization: Bearer <metricsToken>')
    }
  }
  return c.text(deps.metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
}
