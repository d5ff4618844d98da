/**
 * The JSON API's shapes, one zod schema per request body and response (API.md; issue #16, "An
 * OpenAPI contract"). The routes parse request bodies with these schemas ({@link parseBody}) and
 * type their answers with them (`satisfies`), `api/openapi.ts` turns them into the OpenAPI
 * document served at `{B}api/openapi.json`, and the web app's `src/api/types.gen.ts` is generated
 * from that document (`pnpm --filter @psitransfer/server gen:api-types`).
 *
 * Adding a JSON route: its schemas here (registered in {@link REQUESTS} or {@link RESPONSES} under
 * a component name), an operation in `api/openapi.ts`'s table, then regenerate the web types.
 * `openapi.e2e.test.ts` fails on a route of the app without an operation, and on an answer
 * that does not match its schema (objects are closed: a new field needs its schema too).
 * @module
 */
import { ERROR_STATUS, type ErrorCode, PsiError } from '@psitransfer/core'
import { z } from 'zod'
import { PSI_TEXT_KEYS, type PsiTextKey } from '../compat/lang.js'
import { LANGUAGES } from '../i18n.js'
import { MAX_SENDER_MESSAGE } from '../mail/messages.js'

/** Milliseconds since the epoch. */
const time = z.number().int()
const count = z.number().int().nonnegative()
const bytes = z.number().int().nonnegative()
const language = z.enum(LANGUAGES)
const strings = z.record(z.string(), z.string())

// ---- errors ---------------------------------------------------------------------------------

export const ErrorBody = z
  .object({
    code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    message: z.string().describe('For people; never a path, a stack or a secret'),
  })
  .describe('Every JSON error answer (status from the code, API.md "Conventions")')

// ---- client configuration --------------------------------------------------------------------

export const ClientConfig = z.object({
  retentions: strings.describe('Label per retention key (`one-time` or seconds)'),
  retentionOrder: z.array(z.string()).describe('Display order of `retentions`'),
  defaultRetention: z.string(),
  customExpiry: z
    .boolean()
    .describe('The uploader may pick an expiry date (Upload-Metadata `expiresAt`) within `maxAge`'),
  maxAge: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe('Seconds a file may live at most; `null`: no limit'),
  untilDeleted: z.boolean().describe('The retention `until-deleted` (no expiry) is accepted'),
  mailTemplate: z.string(),
  requireBucketPassword: z.boolean(),
  maxFileSize: bytes.nullable(),
  maxBucketSize: bytes.nullable(),
  disableQrCode: z.boolean(),
  e2e: z.boolean().describe('The web app may offer end-to-end encryption'),
  mail: z.boolean().describe('The server can mail share links (`smtpUrl` is configured)'),
  maxPreviewSize: bytes,
  tusEndpoint: z.string(),
  chunkSize: bytes,
  directUpload: z
    .object({ endpoint: z.string(), minSize: bytes })
    .nullable()
    .describe('Direct-to-S3 uploads for files of at least `minSize` bytes; `null` when not offered'),
  randomDownloadSidLength: z.number().int().positive(),
  defaultLanguage: z.string(),
  languages: z.array(language),
})

export const LangJson = z
  .object({
    langCode: language,
    ...(Object.fromEntries(PSI_TEXT_KEYS.map((k) => [k, z.string()])) as Record<PsiTextKey, z.ZodString>),
    retentions: strings,
    lang: language,
    messages: strings,
  })
  .describe(
    "PsiTransfer's translation object (`langCode`, text keys, `retentions`) and ours (`lang`, `messages`)",
  )

// ---- bucket listing and PsiTransfer's records -------------------------------------------------

export const PsiMetadata = z.object({
  sid: z.string(),
  key: z.string().optional().describe('Absent in admin records of protected files'),
  name: z.string(),
  comment: z.string(),
  type: z.string(),
  retention: z.string().describe('`one-time`, `until-deleted` or seconds, as a string'),
  relativePath: z.string(),
  createdAt: z.string().regex(/^\d+$/).describe('Milliseconds since the epoch, as a decimal string'),
  uploadLength: z.string().regex(/^\d+$/).optional(),
  lastDownload: time.optional(),
  buckedLocked: z.literal(true).optional().describe("PsiTransfer's spelling"),
  _password: z.literal(true).optional().describe('Admin records only: the file has a password'),
})

const psiRecordShape = {
  key: z.string().optional(),
  uploadLength: bytes.nullable().describe('`null` while deferred'),
  size: bytes,
  offset: bytes,
  isPartial: z.literal(true).optional().describe('Only while the upload is unfinished'),
  metadata: PsiMetadata,
}

export const PsiRecord = z.object(psiRecordShape).describe('A PsiTransfer stored record (never a password)')

export const BucketItem = z.object({
  ...psiRecordShape,
  key: z.string(),
  url: z.string().describe('Download URL (with `?token=` in a protected bucket)'),
  name: z.string(),
  relativePath: z.string(),
  comment: z.string(),
  type: z.string(),
  createdAt: time,
  expiresAt: time.nullable(),
  oneTime: z.boolean(),
  downloaded: z.boolean(),
  downloadsLeft: count.nullable().describe('Complete downloads left; `null` when unlimited'),
  encrypted: z.literal(true).optional(),
  e2e: z.string().optional().describe('Sealed metadata of an end-to-end encrypted file (base64url)'),
})

export const BucketListing = z.object({
  items: z.array(BucketItem),
  archiveToken: z.string(),
  config: z.object({ maxPreviewSize: bytes }),
  sid: z.string(),
  zipUrl: z.string(),
  tarGzUrl: z.string(),
  protected: z.boolean(),
  encrypted: z.literal(true).optional(),
})

// ---- admin ------------------------------------------------------------------------------------

export const PsiAdminData = z
  .record(z.string(), z.array(PsiRecord))
  .describe("PsiTransfer's admin shape: bucket id → its records")

export const AdminFile = z.object({
  key: z.string(),
  name: z.string(),
  relativePath: z.string(),
  size: bytes,
  uploadLength: bytes.nullable(),
  offset: bytes,
  complete: z.boolean(),
  createdAt: time,
  expiresAt: time.nullable(),
  lastDownload: time.nullable(),
  downloads: count,
  oneTime: z.boolean(),
  type: z.string(),
  comment: z.string(),
})

export const AdminBucket = z.object({
  sid: z.string(),
  createdAt: time,
  lastDownload: time.nullable(),
  expiresAt: time.nullable(),
  size: bytes,
  protected: z.boolean(),
  locked: z.boolean(),
  files: z.array(AdminFile),
})

export const AdminData = z.object({
  buckets: z.array(AdminBucket),
  totals: z.object({ buckets: count, files: count, bytes }),
})

// ---- manage links -----------------------------------------------------------------------------

export const ManageLink = z.object({
  manageToken: z.string(),
  manageUrl: z.string().describe('`{origin}{B}manage/{sid}#{manageToken}`'),
})

export const ManagedFile = z.object({
  key: z.string(),
  name: z.string(),
  relativePath: z.string(),
  type: z.string(),
  size: bytes,
  createdAt: time,
  expiresAt: time.nullable(),
  maxExpiresAt: time
    .nullable()
    .describe('Latest expiry allowed (`createdAt + maxAge`); `null` without maxAge'),
  oneTime: z.boolean(),
  downloads: count,
  lastDownload: time.nullable(),
  downloadLimit: count.nullable(),
  downloadsLeft: count.nullable(),
})

/** Longest message of an upload request, in characters. */
export const MAX_REQUEST_MESSAGE = 2000

export const RequestCreate = z
  .object({
    maxBytes: z.number().int().positive().nullable().optional().describe('Total bytes the request takes'),
    maxFiles: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .nullable()
      .optional()
      .describe('Files the request takes'),
    expiresAt: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .describe('When the link closes (ms); default maxAge'),
    retention: z.string().max(32).optional().describe('Retention of the files (a key of `retentions`)'),
    message: z.string().max(MAX_REQUEST_MESSAGE).optional().describe('Shown to whoever opens the link'),
    notify: z
      .string()
      .max(320)
      .nullable()
      .optional()
      .describe("The requester's address for notices (needs smtpUrl)"),
    password: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe("The bucket's password; made by the server when absent"),
    lang: z.string().max(35).optional().describe('Language of the notices'),
  })
  .strict()

export const RequestInfo = z.object({
  sid: z.string(),
  message: z.string(),
  expiresAt: time.nullable(),
  maxBytes: bytes.nullable(),
  maxFiles: count.nullable(),
  retention: z.string(),
  closed: z.boolean(),
  expired: z.boolean(),
  files: count,
  bytes,
  filesLeft: count.nullable(),
  bytesLeft: bytes.nullable(),
  maxFileSize: bytes.nullable(),
  notify: z.boolean().describe('The requester gets a notice per file'),
  tusEndpoint: z.string(),
  chunkSize: bytes,
})

export const RequestMade = RequestInfo.extend({
  requestUrl: z.string().describe('`{origin}{B}request/{sid}#{requestToken}`: for whoever should upload'),
  requestToken: z.string(),
  manageUrl: z.string().describe("The requester's manage link of the bucket the files land in"),
  manageToken: z.string(),
  shareUrl: z.string(),
  password: z.string().optional().describe("The bucket's password, when the server made it (shown once)"),
})

export const ManageState = z.object({
  sid: z.string(),
  shareUrl: z.string(),
  locked: z.boolean(),
  protected: z.boolean(),
  expiresAt: time.nullable(),
  maxAge: z.number().nullable().describe('Seconds a file may live at most; `null`: no limit'),
  request: RequestInfo.nullable().optional().describe('The upload request this bucket was made for'),
  mail: z.boolean().describe('The server sends e-mail (share links, the first-download notice)'),
  notifyEmail: z.string().nullable().describe("The uploader's address for the first-download notice"),
  firstDownloadAt: time.nullable().describe('When the bucket was first downloaded completely'),
  files: z.array(ManagedFile),
})

/** Longest bucket password accepted (bytes of a KDF input stay bounded). */
export const MAX_PASSWORD = 1024

export const ManageEdit = z
  .object({
    expiresAt: z.number().int().positive().optional().describe('New expiry (ms), in the future'),
    password: z
      .string()
      .min(1)
      .max(MAX_PASSWORD)
      .nullable()
      .optional()
      .describe('A new bucket password, or `null` to remove it'),
    locked: z.boolean().optional(),
    notifyEmail: z
      .string()
      .max(320)
      .nullable()
      .optional()
      .describe("The uploader's address for the first-download notice; `null` or empty removes it"),
    lang: z.string().max(35).optional().describe('Language of that notice'),
  })
  .strict()

export const ManageMail = z
  .object({
    to: z.string().max(320).describe('One plain address, `name@example.com`'),
    message: z
      .string()
      .max(MAX_SENDER_MESSAGE * 2)
      .optional(),
    lang: z.string().max(35).optional(),
  })
  .strict()

export const MailQueued = z.object({ queued: z.literal(true) })

// ---- direct-to-S3 uploads ---------------------------------------------------------------------

/** Most part URLs one request may ask for. */
export const MAX_SIGN_BATCH = 100

export const DirectCreate = z.object({
  size: z
    .number({ error: 'size must be the file size in bytes (at least 1)' })
    .int({ error: 'size must be the file size in bytes (at least 1)' })
    .min(1, { error: 'size must be the file size in bytes (at least 1)' })
    .max(Number.MAX_SAFE_INTEGER, { error: 'size must be the file size in bytes (at least 1)' }),
  metadata: z
    .record(z.string(), z.string({ error: 'metadata values must be strings' }), {
      error: 'metadata must be an object of strings',
    })
    .optional()
    .describe('The TUS `Upload-Metadata` keys (`sid`, `name`, `retention`, `password`, …)'),
})

export const DirectCreated = z.object({
  id: z.string().describe('`{sid}++{key}`'),
  partSize: bytes,
  partCount: z.number().int().positive(),
  expiresAt: time.nullable(),
})

export const DirectPartsRequest = z.object({
  partNumbers: z
    .array(z.number().int().positive(), { error: `partNumbers must be 1 to ${MAX_SIGN_BATCH} part numbers` })
    .min(1, { error: `partNumbers must be 1 to ${MAX_SIGN_BATCH} part numbers` })
    .max(MAX_SIGN_BATCH, { error: `partNumbers must be 1 to ${MAX_SIGN_BATCH} part numbers` }),
})

export const DirectParts = z.object({
  expiresIn: z.number().int().positive().describe('Seconds each URL is valid'),
  urls: z.array(z.object({ partNumber: z.number().int().positive(), url: z.string() })),
})

export const DirectStatus = z.object({
  id: z.string(),
  size: bytes,
  complete: z.boolean(),
  expiresAt: time.nullable(),
  partSize: bytes,
  partCount: z.number().int().positive(),
  parts: z.array(z.object({ partNumber: z.number().int().positive(), size: bytes })),
})

export const PublicFile = z.object({
  sid: z.string(),
  key: z.string(),
  name: z.string(),
  relativePath: z.string(),
  comment: z.string(),
  type: z.string(),
  size: bytes,
  retention: z.union([z.string(), z.number()]),
  createdAt: time,
  expiresAt: time.nullable(),
  protected: z.boolean(),
})

// ---- operations -------------------------------------------------------------------------------

export const Health = z.object({
  status: z.enum(['ok', 'unavailable', 'shutting down']),
  store: z.string().optional().describe('The storage type (`filesystem`, `s3`, …)'),
})

/**
 * Request bodies by component name: their JSON Schema describes what a client may send (zod's
 * input side). Names are unique across both tables.
 */
export const REQUESTS = { ManageEdit, ManageMail, DirectCreate, DirectPartsRequest, RequestCreate } as const

/** Response bodies by component name (zod's output side: exactly what the server sends). */
export const RESPONSES = {
  ErrorBody,
  ClientConfig,
  LangJson,
  PsiMetadata,
  PsiRecord,
  BucketItem,
  BucketListing,
  PsiAdminData,
  AdminFile,
  AdminBucket,
  AdminData,
  ManageLink,
  ManagedFile,
  ManageState,
  RequestInfo,
  RequestMade,
  MailQueued,
  DirectCreated,
  DirectParts,
  DirectStatus,
  PublicFile,
  Health,
} as const

export type ClientConfigBody = z.output<typeof ClientConfig>
export type BucketListingBody = z.output<typeof BucketListing>
export type AdminDataBody = z.output<typeof AdminData>
export type ManageStateBody = z.output<typeof ManageState>
export type RequestCreateBody = z.output<typeof RequestCreate>
export type RequestInfoBody = z.output<typeof RequestInfo>
export type ManageLinkBody = z.output<typeof ManageLink>
export type ManageEditBody = z.output<typeof ManageEdit>
export type ManageMailBody = z.output<typeof ManageMail>
export type HealthBody = z.output<typeof Health>
export type MailQueuedBody = z.output<typeof MailQueued>
export type AdminFileBody = z.output<typeof AdminFile>
export type DirectCreateBody = z.output<typeof DirectCreate>
export type DirectPartsRequestBody = z.output<typeof DirectPartsRequest>
export type PublicFileBody = z.output<typeof PublicFile>

/**
 * Parses a request body (already read as JSON: `undefined` when it was not JSON) with `schema`,
 * or throws 400 `INVALID_INPUT` naming the first wrong field: `hint` says what to send.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, hint: string): z.output<S> {
  if (body === undefined) throw new PsiError('INVALID_INPUT', `Send a JSON object: ${hint}`)
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const message = issue?.message ?? hint
  // Our own messages (given with `error:`) start with the field's name, lower case; zod's
  // ("Invalid input: …", "Too big: …") need the field in front.
  if (/^[a-z]/.test(message)) throw new PsiError('INVALID_INPUT', message)
  throw new PsiError('INVALID_INPUT', `Invalid ${issue?.path.join('.') || 'body'}: ${message}`)
}

/** Reads a request's JSON body for {@link parseBody}: `undefined` when it is not JSON. */
export async function readJson(req: { json(): Promise<unknown> }): Promise<unknown> {
  try {
    return await req.json()
  } catch {
    return undefined
  }
}
