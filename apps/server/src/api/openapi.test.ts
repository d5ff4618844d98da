/**
 * The OpenAPI document as a document: valid OpenAPI 3.1 (@readme/openapi-parser), its base URL,
 * its operations and components consistent, the web app's generated types up to date. The
 * answers of the real server against it are `openapi.e2e.test.ts`.
 */
import { compileErrors, validate } from '@readme/openapi-parser'
import { describe, expect, it } from 'vitest'
import { committedApiTypes, generateApiTypes } from '../test-support/api-types.js'
import { makeApp } from '../test-support/harness.js'
import { OPERATIONS, openApiDocument } from './openapi.js'
import { ManageEdit, parseBody, REQUESTS, RESPONSES } from './schemas.js'

// biome-ignore lint/suspicious/noExplicitAny: the document's parts are read as plain JSON
type Json = any

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const doc = openApiDocument('/')
    expect(doc.openapi).toBe('3.1.1')
    // The parser dereferences in place: give it a copy.
    const result = await validate(structuredClone(doc) as never)
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true)
    // The validator does reject a broken document (no title, a path parameter left undeclared).
    const broken = structuredClone(doc) as Json
    broken.info = { version: '1' }
    expect((await validate(broken as never)).valid).toBe(false)
    const undeclared = structuredClone(doc) as Json
    delete undeclared.paths['/admin/buckets/{sid}'].delete.parameters
    expect((await validate(undeclared as never)).valid).toBe(false)
  })

  it('names the base URL in servers; /healthz stays at the root', () => {
    expect(openApiDocument('/').servers).toEqual([{ url: '/' }])
    const doc = openApiDocument('/psi/') as Json
    expect(doc.servers).toEqual([{ url: '/psi' }])
    expect(doc.paths['/healthz'].servers).toEqual([{ url: '/' }])
    expect(doc.paths['/config.json'].servers).toBeUndefined()
  })

  it('is what the app serves, without credentials', async () => {
    const t = makeApp({ baseUrl: '/psi/', uploadPass: 'u', adminPass: 'a' })
    const res = await t.request('/psi/api/openapi.json')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(openApiDocument('/psi/'))
  })

  it('has one operation per method and path, unique ids, and components for every schema', () => {
    const doc = openApiDocument('/') as Json
    const keys = OPERATIONS.map((op) => `${op.method} ${op.path}`)
    expect(new Set(keys).size).toBe(keys.length)
    const ids = OPERATIONS.map((op) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [...Object.keys(REQUESTS), ...Object.keys(RESPONSES)].sort(),
    )
    // Every $ref points at a component.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []
    for (const ref of refs) {
      const name = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1]
      expect(name && name in doc.components.schemas, ref).toBe(true)
    }
    // Every JSON error is the error body; every operation says how it authenticates.
    for (const op of OPERATIONS) {
      const item = doc.paths[op.path][op.method]
      expect(Array.isArray(item.security), op.operationId).toBe(true)
      for (const status of op.errors) {
        expect(item.responses[status].content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/ErrorBody',
        })
      }
    }
  })

  it('closes the answers (a field without a schema fails the contract test) and the strict requests', () => {
    const { schemas } = (openApiDocument('/') as Json).components
    expect(schemas.ManageState.additionalProperties).toBe(false)
    expect(schemas.ClientConfig.additionalProperties).toBe(false)
    expect(schemas.ManageEdit.additionalProperties).toBe(false)
    // Bucket ids map to records: an open map, its values closed.
    expect(schemas.PsiAdminData.additionalProperties).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/PsiRecord' },
    })
    expect(schemas.LangJson.required).toEqual(expect.arrayContaining(['langCode', 'newUpload', 'messages']))
  })
})

describe('parseBody', () => {
  const edit = (body: unknown) => () => parseBody(ManageEdit, body, '{expiresAt?, password?, locked?}')

  it('answers 400 INVALID_INPUT naming the field', () => {
    expect(edit({ locked: 'yes' })).toThrow(/^Invalid locked: /)
    expect(edit({ password: '' })).toThrow(/^Invalid password: /)
    expect(edit({ other: 1 })).toThrow(/^Invalid body: .*other/)
    expect(edit(undefined)).toThrow('Send a JSON object: {expiresAt?, password?, locked?}')
    try {
      edit([])()
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_INPUT', status: 400 })
    }
    expect(edit({ locked: true, expiresAt: 5 })()).toEqual({ locked: true, expiresAt: 5 })
  })

  it('keeps our own messages as they are', () => {
    expect(() => parseBody(REQUESTS.DirectCreate, { size: 0 }, '{size, metadata}')).toThrow(
      /^size must be the file size in bytes \(at least 1\)$/,
    )
    expect(() => parseBody(REQUESTS.DirectPartsRequest, { partNumbers: [] }, '{partNumbers}')).toThrow(
      /^partNumbers must be 1 to 100 part numbers$/,
    )
  })
})

describe("the web app's generated API types", () => {
  it('are up to date (else: pnpm --filter @psitransfer/server gen:api-types)', async () => {
    const expected = await generateApiTypes()
    expect(expected).toContain('export interface components')
    expect(
      committedApiTypes() === expected,
      'apps/web/src/api/types.gen.ts is stale: run `pnpm --filter @psitransfer/server gen:api-types` and commit it',
    ).toBe(true)
  }, 60_000)
})
