/**
 * The web app's API types (`apps/web/src/api/types.gen.ts`), generated from the OpenAPI document
 * (`api/openapi.ts`) with openapi-typescript, so the client and the server share one source of
 * truth (the zod schemas). `pnpm --filter @psitransfer/server gen:api-types` writes the file
 * (`gen-api-types.ts`); `api/openapi.test.ts` fails while the committed one is out of date.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import { openApiDocument } from '../api/openapi.js'

/** The generated file in the web app. */
export const TYPES_FILE = new URL('../../../web/src/api/types.gen.ts', import.meta.url)

const BANNER = `/**
 * Generated from the server's OpenAPI document (apps/server/src/api/schemas.ts) by openapi-typescript.
 * Do not edit: run \`pnpm --filter @psitransfer/server gen:api-types\` (a test fails while it is stale).
 */
`

/** The content `types.gen.ts` must have. */
export async function generateApiTypes(): Promise<string> {
  const ast = await openapiTS(openApiDocument('/') as unknown as OpenAPI3, {
    cwd: new URL('.', import.meta.url),
    alphabetize: false,
  })
  return BANNER + astToString(ast)
}

/** The committed file, or `''` when it is missing. */
export function committedApiTypes(): string {
  try {
    return readFileSync(TYPES_FILE, 'utf8')
  } catch {
    return ''
  }
}

export async function writeApiTypes(): Promise<boolean> {
  const next = await generateApiTypes()
  if (next === committedApiTypes()) return false
  writeFileSync(TYPES_FILE, next)
  return true
}
