/**
 * `pnpm --filter @psitransfer/server gen:api-types`: rewrites `apps/web/src/api/types.gen.ts`
 * from the OpenAPI document (see `api-types.ts`).
 */
import { fileURLToPath } from 'node:url'
import { TYPES_FILE, writeApiTypes } from './api-types.js'

const changed = await writeApiTypes()
console.log(`${fileURLToPath(TYPES_FILE)} ${changed ? 'written' : 'is up to date'}`)
