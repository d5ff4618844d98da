/**
 * The Hono front door of direct-to-S3 uploads (`upload/direct-endpoint.ts`): JSON in, JSON out,
 * under `{B}api/direct/`.
 * @module
 */
import { PsiError } from '@psitransfer/core'
import type { Context } from 'hono'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts } from '../http/client.js'
import { BUCKET_TOKEN_HEADER } from '../upload/bucket-ids.js'
import {
  abortDirect,
  completeDirect,
  createDirect,
  directStatus,
  signParts,
} from '../upload/direct-endpoint.js'

/** Small JSON bodies only: a creation carries metadata, a sign request part numbers. */
const MAX_BODY = 64 * 1024

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text()
  if (text.length > MAX_BODY) throw new PsiError('TOO_LARGE', 'Request body too large')
  if (text === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new PsiError('INVALID_INPUT', 'The body must be JSON')
  }
}

/** Registers the routes on `app` below `prefix` (`{B}api/direct`). */
export function directRoutes(
  app: { on: (m: string[], p: string, h: (c: Context<AppEnv>) => Promise<Response>) => unknown },
  prefix: string,
  deps: AppDeps,
): void {
  const facts = (c: Context<AppEnv>) => honoFacts(c, deps.logger)
  const headers = (c: Context<AppEnv>) => c.req.raw.headers
  const id = (c: Context<AppEnv>) => c.req.param('id') ?? ''
  const noStore = (c: Context<AppEnv>) => c.header('Cache-Control', 'no-store')

  const create = async (c: Context<AppEnv>) => {
    const created = await createDirect(facts(c), headers(c), await jsonBody(c), deps, c.req.raw.signal)
    noStore(c)
    if (created.bucketToken) c.header(BUCKET_TOKEN_HEADER, created.bucketToken)
    const { bucketToken: _, ...answer } = created
    return c.json(answer, 201)
  }
  // config.json names the endpoint with its slash; both spellings create.
  app.on(['POST'], prefix, create)
  app.on(['POST'], `${prefix}/`, create)
  app.on(['GET'], `${prefix}/:id`, async (c) => {
    noStore(c)
    return c.json(await directStatus(facts(c), headers(c), id(c), deps))
  })
  app.on(['POST'], `${prefix}/:id/parts`, async (c) => {
    noStore(c)
    return c.json(await signParts(facts(c), headers(c), id(c), await jsonBody(c), deps))
  })
  app.on(['POST'], `${prefix}/:id/complete`, async (c) => {
    noStore(c)
    return c.json(await completeDirect(facts(c), headers(c), id(c), deps, c.req.raw.signal))
  })
  app.on(['DELETE'], `${prefix}/:id`, async (c) => {
    await abortDirect(facts(c), headers(c), id(c), deps)
    return c.body(null, 204)
  })
}
