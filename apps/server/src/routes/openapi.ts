/**
 * `GET {B}api/openapi.json`: the OpenAPI 3.1 document of the JSON API (`api/openapi.ts`), with
 * this server's base URL in `servers`. Public: it describes the API, it holds no secret.
 * @module
 */
import type { Context } from 'hono'
import { openApiDocument } from '../api/openapi.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'

export function openApiJson(c: Context<AppEnv>, deps: AppDeps): Response {
  c.header('Cache-Control', 'no-cache')
  // API tools (editors, viewers) fetch it from other origins; it carries nothing private.
  c.header('Access-Control-Allow-Origin', '*')
  return c.json(openApiDocument(deps.config.baseUrl))
}
