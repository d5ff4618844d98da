/**
 * The OpenAPI 3.1 document of the JSON API, built from the zod schemas of `api/schemas.ts`
 * (`z.toJSONSchema`, JSON Schema 2020-12, which OpenAPI 3.1 uses as is) and the operation table
 * below; served at `{B}api/openapi.json` (`routes/openapi.ts`).
 *
 * Why not `@hono/zod-openapi`: it wants every route rewritten as `createRoute` definitions on its
 * own app class, while ours share handlers with the Node fast path and register several URL
 * shapes per handler; zod 4 converts schemas itself, so a table and a small builder do.
 *
 * Each operation names the Hono routes (`routes`, below `B`) that serve it, so the contract test
 * can tell that every JSON route of the app is described (`openapi.e2e.test.ts`).
 * @module
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { REQUESTS, RESPONSES } from './schemas.js'

type Json = Record<string, unknown>
type RequestName = keyof typeof REQUESTS
type ResponseName = keyof typeof RESPONSES
type Security =
  | 'uploadPassword'
  | 'adminPassword'
  | 'downloadPassword'
  | 'bucketToken'
  | 'manageToken'
  | 'requestToken'
type Method = 'get' | 'post' | 'patch' | 'delete'

interface Reply {
  description: string
  /** The JSON body's component; absent: no body (204), or `schema`. */
  body?: ResponseName
  /** A JSON body that is no component of ours (this document). */
  schema?: Json
  headers?: readonly HeaderName[]
}

export interface Operation {
  method: Method
  /** OpenAPI path below the base URL (`servers`), `{param}` style. */
  path: string
  /** The app's Hono route paths below `B` (or below `/` with `root`) answering this operation. */
  routes: readonly string[]
  /** Served at the server's root, not below the base URL (`/healthz`). */
  root?: true
  operationId: string
  tag: 'config' | 'download' | 'admin' | 'manage' | 'requests' | 'direct' | 'operations'
  summary: string
  description?: string
  /** Alternatives (OpenAPI `security`): `[]` inside means "nothing needed". */
  security: ReadonlyArray<readonly Security[]>
  query?: ReadonlyArray<{ name: string; description: string }>
  request?: RequestName
  replies: Readonly<Record<number, Reply>>
  /** Error statuses answered with the JSON error body. */
  errors: readonly number[]
}

const SECURITY_SCHEMES: Record<Security, { name: string; description: string }> = {
  uploadPassword: {
    name: 'x-passwd',
    description: 'The upload password (`uploadPass`), when the server has one: missing 401, wrong 403',
  },
  adminPassword: {
    name: 'x-passwd',
    description: 'The admin password (`adminPass`): missing 401, wrong 403, too many failures 429',
  },
  downloadPassword: {
    name: 'x-download-pass',
    description: "A protected bucket's password (percent-encoded when not visible ASCII)",
  },
  bucketToken: {
    name: 'X-Bucket-Token',
    description: "The bucket's upload token, answered by its first creation",
  },
  manageToken: {
    name: 'X-Manage-Token',
    description: "The bucket's manage secret (the fragment of its manage link)",
  },
  requestToken: {
    name: 'X-Request-Token',
    description: "An upload request's secret (the fragment of its request link)",
  },
}

const HEADERS = {
  'X-Bucket-Token': 'The upload token of the bucket this creation took (its first file only)',
  'X-Manage-Url': 'The manage link (also in the body)',
  'Retry-After': 'Seconds to wait before trying again',
} as const
type HeaderName = keyof typeof HEADERS

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed request, id or body',
  401: 'Credentials missing',
  403: 'Credentials wrong',
  404: 'Unknown, expired, or not offered by this server',
  405: 'Not allowed on this resource',
  410: 'Gone',
  413: 'Too large',
  429: 'Too many attempts (Retry-After)',
  500: 'Internal error (details in the server log only)',
  503: 'Busy or the store does not answer (Retry-After)',
}

const optional = (s: Security): ReadonlyArray<readonly Security[]> => [[], [s]]
const none: ReadonlyArray<readonly Security[]> = []

/** Every JSON operation of the API (API.md). New JSON routes get a row here. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/config.json',
    routes: ['config.json'],
    operationId: 'getClientConfig',
    tag: 'config',
    summary: 'What the web client needs to know',
    security: optional('uploadPassword'),
    replies: { 200: { description: 'The configuration', body: 'ClientConfig' } },
    errors: [401, 403, 429],
  },
  {
    method: 'get',
    path: '/lang.json',
    routes: ['lang.json'],
    operationId: 'getLanguage',
    tag: 'config',
    summary: "PsiTransfer's translation object and the web app's messages",
    description: 'Language from `?lang`, else `Accept-Language`, else `defaultLanguage`.',
    security: none,
    query: [{ name: 'lang', description: 'A language code (`de`, `zh-tw`, …)' }],
    replies: { 200: { description: 'The texts', body: 'LangJson' } },
    errors: [],
  },
  {
    method: 'get',
    path: '/{sid}.json',
    routes: [':name'],
    operationId: 'getBucket',
    tag: 'download',
    summary: "A bucket's listing (complete, unexpired files)",
    description: 'A protected bucket needs `x-download-pass`; its URLs then carry a short-lived `?token=`.',
    security: optional('downloadPassword'),
    replies: { 200: { description: 'The listing', body: 'BucketListing' } },
    errors: [400, 401, 404, 429, 503],
  },
  {
    method: 'get',
    path: '/admin/data.json',
    routes: ['admin/data.json'],
    operationId: 'getPsiAdminData',
    tag: 'admin',
    summary: "Every bucket in PsiTransfer's admin shape",
    security: [['adminPassword']],
    replies: { 200: { description: 'Bucket id → records', body: 'PsiAdminData' } },
    errors: [401, 403, 404, 429],
  },
  {
    method: 'get',
    path: '/api/admin/data.json',
    routes: ['api/admin/data.json'],
    operationId: 'getAdminData',
    tag: 'admin',
    summary: 'Every bucket with totals (the web admin page)',
    security: [['adminPassword']],
    replies: { 200: { description: 'Buckets, newest first', body: 'AdminData' } },
    errors: [401, 403, 404, 429],
  },
  {
    method: 'delete',
    path: '/admin/files/{id}',
    routes: ['admin/files/:id'],
    operationId: 'adminDeleteFile',
    tag: 'admin',
    summary: 'Deletes a file (`{sid}++{key}`)',
    security: [['adminPassword']],
    replies: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404, 429],
  },
  {
    method: 'delete',
    path: '/admin/buckets/{sid}',
    routes: ['admin/buckets/:sid'],
    operationId: 'adminDeleteBucket',
    tag: 'admin',
    summary: 'Deletes every file of a bucket',
    security: [['adminPassword']],
    replies: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404, 429, 503],
  },
  {
    method: 'post',
    path: '/api/manage/{sid}',
    routes: ['api/manage/:sid'],
    operationId: 'issueManageLink',
    tag: 'manage',
    summary: "A new manage secret for the bucket's uploader (an older one stops working)",
    security: [['bucketToken'], ['manageToken']],
    replies: { 201: { description: 'The new secret', body: 'ManageLink', headers: ['X-Manage-Url'] } },
    errors: [400, 403, 404],
  },
  {
    method: 'get',
    path: '/api/manage/{sid}',
    routes: ['api/manage/:sid'],
    operationId: 'getManageState',
    tag: 'manage',
    summary: "The bucket's files with download counts, limits and expiry",
    security: [['manageToken']],
    replies: { 200: { description: 'The state', body: 'ManageState' } },
    errors: [400, 401, 403],
  },
  {
    method: 'patch',
    path: '/api/manage/{sid}',
    routes: ['api/manage/:sid'],
    operationId: 'editBucket',
    tag: 'manage',
    summary: 'Changes the expiry, the password or the lock of every file',
    security: [['manageToken']],
    request: 'ManageEdit',
    replies: { 200: { description: 'The state after the change', body: 'ManageState' } },
    errors: [400, 401, 403, 404, 429, 503],
  },
  {
    method: 'delete',
    path: '/api/manage/{sid}',
    routes: ['api/manage/:sid'],
    operationId: 'deleteManagedBucket',
    tag: 'manage',
    summary: 'Deletes every file of the bucket (the id stays taken until maxAge)',
    security: [['manageToken']],
    replies: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404, 503],
  },
  {
    method: 'delete',
    path: '/api/manage/{sid}/files/{key}',
    routes: ['api/manage/:sid/files/:key'],
    operationId: 'deleteManagedFile',
    tag: 'manage',
    summary: 'Deletes one file of the bucket',
    security: [['manageToken']],
    replies: { 204: { description: 'Deleted' } },
    errors: [400, 401, 403, 404, 503],
  },
  {
    method: 'post',
    path: '/api/manage/{sid}/mail',
    routes: ['api/manage/:sid/mail'],
    operationId: 'mailShareLink',
    tag: 'manage',
    summary: 'Mails the share link (never the manage link); 404 without `smtpUrl`',
    security: [['manageToken']],
    request: 'ManageMail',
    replies: { 202: { description: 'Queued', body: 'MailQueued' } },
    errors: [400, 401, 403, 404, 429],
  },
  {
    method: 'post',
    path: '/api/requests',
    routes: ['api/requests'],
    operationId: 'createUploadRequest',
    tag: 'requests',
    summary: 'Makes an upload request: a link others upload through, into a bucket the requester manages',
    security: [[], ['uploadPassword'], ['adminPassword']],
    request: 'RequestCreate',
    replies: {
      201: { description: 'The request and its links', body: 'RequestMade', headers: ['X-Manage-Url'] },
    },
    errors: [400, 401, 403, 429, 503],
  },
  {
    method: 'get',
    path: '/api/requests/{sid}',
    routes: ['api/requests/:sid'],
    operationId: 'getUploadRequest',
    tag: 'requests',
    summary: 'What the request allows and what is left (for whoever holds the request link)',
    security: [['requestToken']],
    replies: { 200: { description: 'The request', body: 'RequestInfo' } },
    errors: [400, 401, 403, 404, 410],
  },
  {
    method: 'delete',
    path: '/api/requests/{sid}',
    routes: ['api/requests/:sid'],
    operationId: 'closeUploadRequest',
    tag: 'requests',
    summary: 'Closes the request: its link takes no more files (those already sent stay)',
    security: [['manageToken']],
    replies: { 204: { description: 'Closed' } },
    errors: [400, 401, 403, 404, 503],
  },
  {
    method: 'post',
    path: '/api/direct/',
    routes: ['api/direct', 'api/direct/'],
    operationId: 'createDirectUpload',
    tag: 'direct',
    summary: 'Creates a direct-to-S3 upload (404 when the store does not offer them)',
    security: [[], ['bucketToken'], ['uploadPassword'], ['uploadPassword', 'bucketToken']],
    request: 'DirectCreate',
    replies: { 201: { description: 'The plan', body: 'DirectCreated', headers: ['X-Bucket-Token'] } },
    errors: [400, 401, 403, 404, 413, 429, 503],
  },
  {
    method: 'get',
    path: '/api/direct/{id}',
    routes: ['api/direct/:id'],
    operationId: 'getDirectUpload',
    tag: 'direct',
    summary: 'The plan and the parts S3 holds',
    security: [['bucketToken'], ['uploadPassword', 'bucketToken']],
    replies: { 200: { description: 'The status', body: 'DirectStatus' } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'post',
    path: '/api/direct/{id}/parts',
    routes: ['api/direct/:id/parts'],
    operationId: 'signDirectParts',
    tag: 'direct',
    summary: 'A URL to PUT each part to',
    security: [['bucketToken'], ['uploadPassword', 'bucketToken']],
    request: 'DirectPartsRequest',
    replies: { 200: { description: 'The URLs', body: 'DirectParts' } },
    errors: [400, 401, 403, 404, 413],
  },
  {
    method: 'post',
    path: '/api/direct/{id}/complete',
    routes: ['api/direct/:id/complete'],
    operationId: 'completeDirectUpload',
    tag: 'direct',
    summary: 'Completes the upload once S3 holds every part (idempotent)',
    security: [['bucketToken'], ['uploadPassword', 'bucketToken']],
    replies: { 200: { description: 'The file', body: 'PublicFile' } },
    errors: [400, 401, 403, 404],
  },
  {
    method: 'delete',
    path: '/api/direct/{id}',
    routes: ['api/direct/:id'],
    operationId: 'abortDirectUpload',
    tag: 'direct',
    summary: 'Abandons an unfinished upload',
    security: [['bucketToken'], ['uploadPassword', 'bucketToken']],
    replies: { 204: { description: 'Abandoned' } },
    errors: [400, 401, 403, 404, 405],
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    routes: ['api/openapi.json'],
    operationId: 'getOpenApi',
    tag: 'operations',
    summary: 'This document',
    security: none,
    replies: {
      200: { description: 'OpenAPI 3.1', schema: { type: 'object', required: ['openapi', 'info', 'paths'] } },
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/healthz',
    routes: ['healthz'],
    root: true,
    operationId: 'getHealth',
    tag: 'operations',
    summary: 'The store answers',
    security: none,
    replies: {
      200: { description: 'Healthy', body: 'Health' },
      503: { description: 'The store does not answer, or the server is shutting down', body: 'Health' },
    },
    errors: [],
  },
]

const PARAMETERS: Record<string, string> = {
  sid: 'Bucket id, `[A-Za-z0-9][A-Za-z0-9_-]{0,63}`',
  key: 'File key within the bucket',
  id: 'A file or upload id, `{sid}++{key}`',
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** JSON Schema 2020-12 of every component, refs between them as `#/components/schemas/…`. */
function components(table: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of Object.entries(table)) registry.add(schema, { id })
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    uri: (id) => `#/components/schemas/${id}`,
  })
  const out: Record<string, Json> = {}
  for (const [id, schema] of Object.entries(schemas)) {
    // `__shared` would hold schemas with an `id` of their own outside the table: there are none.
    if (!(id in table)) throw new Error(`unexpected schema ${id} in the OpenAPI components`)
    const { $schema: _s, $id: _i, ...rest } = schema as Json
    out[id] = rest
  }
  return out
}

function operationObject(op: Operation): Json {
  const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string)
  const parameters = [
    ...params.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: PARAMETERS[name] ?? name,
      schema: { type: 'string' },
    })),
    ...(op.query ?? []).map((q) => ({ ...q, in: 'query', required: false, schema: { type: 'string' } })),
  ]
  const responses: Record<string, Json> = {}
  for (const [status, reply] of Object.entries(op.replies)) {
    responses[status] = {
      description: reply.description,
      ...(reply.headers
        ? {
            headers: Object.fromEntries(
              reply.headers.map((h) => [h, { description: HEADERS[h], schema: { type: 'string' } }]),
            ),
          }
        : {}),
      ...(reply.body || reply.schema
        ? { content: { 'application/json': { schema: reply.body ? ref(reply.body) : reply.schema } } }
        : {}),
    }
  }
  for (const status of op.errors) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? 'Error',
      ...(status === 429 || status === 503
        ? { headers: { 'Retry-After': { description: HEADERS['Retry-After'], schema: { type: 'string' } } } }
        : {}),
      content: { 'application/json': { schema: ref('ErrorBody') } },
    }
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: op.security.map((alt) => Object.fromEntries(alt.map((s) => [s, []]))),
    ...(parameters.length ? { parameters } : {}),
    ...(op.request
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref(op.request) } },
          },
        }
      : {}),
    responses,
  }
}

function serverVersion(): string {
  try {
    // `../../package.json` from src/api/ and dist/api/ alike.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** Base URL as an OpenAPI server URL: `/` stays, `/psi/` becomes `/psi` (paths start with `/`). */
function serverUrl(base: string): string {
  return base === '/' ? '/' : base.replace(/\/$/, '')
}

let built: { schemas: Record<string, Json>; version: string } | undefined

/** The OpenAPI 3.1 document for a server whose base URL is `baseUrl` (`B`, with both slashes). */
export function openApiDocument(baseUrl: string): Json {
  built ??= {
    schemas: { ...components(REQUESTS, 'input'), ...components(RESPONSES, 'output') },
    version: serverVersion(),
  }
  const paths: Record<string, Json> = {}
  for (const op of OPERATIONS) {
    const item: Json = paths[op.path] ?? (op.root ? { servers: [{ url: '/' }] } : {})
    item[op.method] = operationObject(op)
    paths[op.path] = item
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'PsiTransfer',
      version: built.version,
      description:
        'The JSON API of PsiTransfer (uploads go through TUS or the IETF resumable-upload draft; see API.md). Every answer carries `X-Request-Id`. Errors are `{ code, message }`.',
      license: { name: 'BSD-2-Clause', identifier: 'BSD-2-Clause' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: serverUrl(baseUrl) }],
    tags: [
      { name: 'config', description: 'Client configuration and texts' },
      { name: 'download', description: 'Bucket listings' },
      { name: 'admin', description: 'Admin (404 unless `adminPass` is set)' },
      { name: 'manage', description: 'Manage links: every answer has `Cache-Control: no-store`' },
      { name: 'requests', description: 'Upload requests: others upload into a bucket you manage' },
      { name: 'direct', description: 'Direct-to-S3 uploads' },
      { name: 'operations', description: 'Health and this document' },
    ],
    paths,
    components: {
      schemas: built.schemas,
      securitySchemes: Object.fromEntries(
        Object.entries(SECURITY_SCHEMES).map(([k, v]) => [
          k,
          { type: 'apiKey', in: 'header', name: v.name, description: v.description },
        ]),
      ),
    },
  }
}
