/**
 * Checks real answers against the OpenAPI document (`api/openapi.ts`): the schema the document
 * gives for the request's path, method and status, validated with ajv (JSON Schema 2020-12).
 * Used by `openapi.e2e.test.ts` (every JSON route, filesystem store) and by route tests on other
 * stores (`routes/direct.test.ts`, S3).
 * @module
 */
import { Ajv2020 } from 'ajv/dist/2020.js'
import { expect } from 'vitest'

// biome-ignore lint/suspicious/noExplicitAny: answers are read once ajv checked them against their schema
type Json = any

const DOC_ID = 'https://psitransfer.test/openapi.json'

export interface Contract {
  /** `method path status` of every answer checked, `path` as the document spells it. */
  checked: Set<string>
  /**
   * Validates `res` (its body is read) against the document's answer for `method` on `path`
   * (a template of the document, e.g. `/api/manage/{sid}`, or a concrete path below the base URL,
   * matched to one); resolves with the parsed body (`undefined` for an answer without one).
   */
  check(res: Response, method: string, path: string): Promise<Json>
}

function template(doc: Json, path: string): string | undefined {
  if (doc.paths[path]) return path
  const bare = path.split('?')[0] as string
  const candidates = [bare, bare.endsWith('/') ? bare : `${bare}/`]
  for (const candidate of candidates) {
    if (doc.paths[candidate]) return candidate
    for (const t of Object.keys(doc.paths)) {
      const re = new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`)
      if (re.test(candidate)) return t
    }
  }
  return undefined
}

export function apiContract(doc: Json): Contract {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addSchema({ ...doc, $id: DOC_ID })
  const checked = new Set<string>()
  return {
    checked,
    async check(res, rawMethod, rawPath) {
      const method = rawMethod.toLowerCase()
      const path = template(doc, rawPath)
      const what = `${method.toUpperCase()} ${path ?? rawPath}`
      const op = path ? doc.paths[path][method] : undefined
      expect(op, `${what} is not in the document`).toBeDefined()
      const status = String(res.status)
      const text = await res.text()
      const reply = op.responses[status]
      expect(
        reply,
        `${what} answered ${status} (${text.slice(0, 200)}), which the document does not list`,
      ).toBeDefined()
      checked.add(`${method} ${path} ${status}`)
      const schema = reply.content?.['application/json']?.schema
      if (!schema) {
        expect(text, `${what} ${status} has a body the document does not describe`).toBe('')
        return undefined
      }
      expect(res.headers.get('content-type'), `${what} ${status}`).toMatch(/^application\/json/)
      const body = JSON.parse(text)
      const validate = schema.$ref ? ajv.getSchema(`${DOC_ID}${schema.$ref}`) : ajv.compile(schema)
      expect(validate, `no schema at ${schema.$ref}`).toBeDefined()
      const valid = validate?.(body)
      expect(valid, `${what} ${status}: ${ajv.errorsText(validate?.errors)}\n${text.slice(0, 2000)}`).toBe(
        true,
      )
      return body
    },
  }
}
