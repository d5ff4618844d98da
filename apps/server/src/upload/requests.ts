/**
 * Upload requests (reverse shares): someone allowed to upload asks others for files. The
 * request is a record in the `extra` of the mark of the bucket the files land in (see
 * `bucket-ids.ts`), so it holds on every instance sharing the store and expires with the mark.
 *
 * The request link is `{B}request/{sid}#{secret}`: a random 24-byte secret, kept only as its
 * SHA-256, sent by the uploader in {@link REQUEST_TOKEN_HEADER}; it lets them create TUS
 * uploads in that one bucket without the upload password, within the request's limits, and
 * nothing else. The bucket id is no secret from them (TUS answers with `{sid}++{key}`), so a
 * request's bucket is always protected by a password only the requester knows: its files get
 * the request's password hash, and listing or downloading them needs the password. The
 * requester holds the bucket's manage secret (`manage-secret.ts`) like any uploader.
 *
 * Limits (bytes, files) are checked in admission, under the bucket's lock against the same
 * counts that enforce `maxBucketSize` (this process's reservations, or the shared ledger), so
 * parallel creations on any instance cannot exceed them together.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type BucketId, type FileMeta, NotFoundError, PsiError } from '@psitransfer/core'
import { publicFile } from '../bucket.js'
import type { Language } from '../i18n.js'
import { failureDelay } from '../security/auth.js'
import type { BucketSnapshot } from './bucket-ledger.js'
import type { Reservation } from './bucket-state.js'
import type { UploadDeps } from './deps.js'
import { type BucketDecision, checkRoom, type NewFileFacts } from './rules.js'

export const REQUEST_TOKEN_HEADER = 'X-Request-Token'
/** Key of the request record in the mark's `extra`. */
export const REQUEST_KEY = 'request'
/**
 * Key in a file's `extra` saying it arrived through its bucket's request (set by the server
 * only: the TUS hooks drop it from client metadata). Completion notifies the requester for it.
 */
export const REQUEST_FILE_KEY = 'psiRequest'
/** Longest message of a request (plain text, shown on the request page). */
export { MAX_REQUEST_MESSAGE } from '../api/schemas.js'

const SECRET = /^[A-Za-z0-9_-]{32}$/

/** What the mark holds about a request (JSON in `extra[REQUEST_KEY]`). */
export interface UploadRequest {
  v: 1
  /** SHA-256 (hex) of the request secret. */
  secretSha256: string
  createdAt: number
  /** When the link stops accepting uploads (ms), `null`: with the mark. */
  expiresAt: number | null
  maxBytes: number | null
  maxFiles: number | null
  /** A key of `config.retentions`: what every file uploaded through the request gets. */
  retention: string
  message: string
  /** The requester's address for notices, `null`: none. */
  notify: string | null
  lang: Language
  /** Origin the request was made on (for the manage link in notices). */
  origin: string
  /** Password hash every file of the request's bucket gets (`null`: removed by the requester). */
  password: string | null
  closedAt: number | null
}

/** What the request page and the manage page show (never the secret or the password hash). */
export interface RequestView {
  sid: BucketId
  message: string
  expiresAt: number | null
  maxBytes: number | null
  maxFiles: number | null
  retention: string
  closed: boolean
  expired: boolean
  /** Files and bytes in the bucket now (uploads in progress count with their declared size). */
  files: number
  bytes: number
  filesLeft: number | null
  bytesLeft: number | null
  maxFileSize: number | null
  notify: boolean
  /** Where the uploads go (the person asked cannot read config.json without the upload password). */
  tusEndpoint: string
  chunkSize: number
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

export function newRequestSecret(): string {
  return randomBytes(24).toString('base64url')
}

/** The web page of a request: the secret in the fragment, never in a server log. */
export function requestUrl(origin: string, baseUrl: string, sid: BucketId, secret: string): string {
  return `${origin}${baseUrl}request/${sid}#${secret}`
}

function isRecord(v: unknown): v is UploadRequest {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Partial<UploadRequest>
  const numOrNull = (x: unknown) => x === null || Number.isSafeInteger(x)
  return (
    r.v === 1 &&
    typeof r.secretSha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(r.secretSha256) &&
    Number.isSafeInteger(r.createdAt) &&
    numOrNull(r.expiresAt) &&
    numOrNull(r.maxBytes) &&
    numOrNull(r.maxFiles) &&
    numOrNull(r.closedAt) &&
    typeof r.retention === 'string' &&
    typeof r.message === 'string' &&
    typeof r.origin === 'string' &&
    typeof r.lang === 'string' &&
    (r.notify === null || typeof r.notify === 'string') &&
    (r.password === null || typeof r.password === 'string')
  )
}

export function decodeRequest(extra: Record<string, string>): UploadRequest | undefined {
  const text = extra[REQUEST_KEY]
  if (text === undefined) return undefined
  try {
    const v: unknown = JSON.parse(text)
    return isRecord(v) ? v : undefined
  } catch {
    return undefined
  }
}

export function encodeRequest(request: UploadRequest): Record<string, string> {
  return { [REQUEST_KEY]: JSON.stringify(request) }
}

/** The bucket's request as stored now (not cached), or `undefined`. */
export async function readRequest(deps: UploadDeps, sid: BucketId): Promise<UploadRequest | undefined> {
  const mark = await deps.bucketIds.markRecord(sid)
  return mark ? decodeRequest(mark.extra) : undefined
}

function secretMatches(request: UploadRequest, secret: string): boolean {
  if (!SECRET.test(secret)) return false
  return timingSafeEqual(Buffer.from(sha256Hex(secret), 'hex'), Buffer.from(request.secretSha256, 'hex'))
}

/** 410 when the request no longer takes uploads. */
export function requireOpen(request: UploadRequest, now: number): void {
  if (request.closedAt !== null) {
    throw new PsiError('GONE', 'This upload request was closed by the person who made it')
  }
  if (request.expiresAt !== null && request.expiresAt <= now) {
    throw new PsiError('GONE', 'This upload request has expired')
  }
}

/**
 * The request of `sid` if `secret` is its request secret: 401 without one, 404 for a bucket
 * without a live request, 403 (after the failure delay) for a wrong secret. `open`: also 410
 * when it is closed or expired.
 */
export async function verifyRequest(
  deps: UploadDeps,
  sid: BucketId,
  secret: string | null | undefined,
  options: { open?: boolean } = {},
): Promise<UploadRequest> {
  if (!secret) {
    throw new PsiError('UNAUTHORIZED', `Send the request link's secret in ${REQUEST_TOKEN_HEADER}`)
  }
  const request = await readRequest(deps, sid)
  if (!request) throw new NotFoundError('Upload request not found or expired')
  if (!secretMatches(request, secret)) {
    await failureDelay(deps)
    throw new PsiError('FORBIDDEN', 'This request link is wrong')
  }
  if (options.open) requireOpen(request, deps.clock.now())
  return request
}

function checkRequestRoom(request: UploadRequest, bucket: BucketSnapshot, uploadLength: number | null): void {
  if (request.maxFiles !== null && bucket.count + 1 > request.maxFiles) {
    throw new PsiError(
      'TOO_LARGE',
      `This upload request takes at most ${request.maxFiles} files, and they have all arrived`,
      { details: { maxFiles: request.maxFiles } },
    )
  }
  if (request.maxBytes !== null && bucket.bytes + (uploadLength ?? 0) > request.maxBytes) {
    const left = Math.max(0, request.maxBytes - bucket.bytes)
    throw new PsiError(
      'TOO_LARGE',
      `This upload request takes at most ${request.maxBytes} bytes in all; ${left} bytes are left`,
      { details: { max: request.maxBytes, left } },
    )
  }
}

/**
 * {@link admitToBucket} for a request upload (the caller verified the secret and holds the
 * bucket's lock): the request, read fresh, must be open; the file must fit `maxBucketSize` and
 * the request's limits; it gets the bucket's password (every file of a bucket shares one).
 */
export async function admitToRequest(
  deps: UploadDeps,
  sid: BucketId,
  file: NewFileFacts,
): Promise<BucketDecision & { reservation?: Reservation }> {
  const admission = await deps.buckets.admission(sid)
  // Read after the ledger, never written here: the ledger's own write keeps this mark's extra.
  const request = await readRequest(deps, sid)
  if (!request) throw new NotFoundError('Upload request not found or expired')
  requireOpen(request, deps.clock.now())
  const fits = () => {
    checkRequestRoom(request, admission.bucket, file.uploadLength)
    checkRoom(deps.config, admission.bucket, file.uploadLength)
  }
  try {
    fits()
  } catch (err) {
    // A shared ledger still counts files deleted since (one the requester removed): refuse
    // only what the files say, as the request's view does. The recount misses no file admitted
    // before: each creation holds this lock until the store has its file (see hooks.ts).
    if (!(await admission.recount())) throw err
    fits()
  }
  const password = admission.bucket.count > 0 ? admission.bucket.password : (request.password ?? undefined)
  const reservation = await admission.add({
    size: file.uploadLength ?? 0,
    deferred: file.uploadLength === null,
    expiresAt: file.expiresAt,
    retainedUntil: file.retainedUntil,
    password,
  })
  return { password, ...(reservation ? { reservation } : {}) }
}

/** The request as its uploader and its requester see it. */
export async function requestView(
  deps: UploadDeps,
  sid: BucketId,
  request: UploadRequest,
): Promise<RequestView> {
  const now = deps.clock.now()
  // Read from the files, not the short-lived cache: another instance may have added some.
  deps.buckets.invalidate(sid)
  const bucket = await deps.buckets.get(sid)
  const { count, bytes } = bucket
  const expired = request.expiresAt !== null && request.expiresAt <= now
  return {
    sid,
    message: request.message,
    expiresAt: request.expiresAt,
    maxBytes: request.maxBytes,
    maxFiles: request.maxFiles,
    retention: request.retention,
    closed: request.closedAt !== null,
    expired,
    files: count,
    bytes,
    filesLeft: request.maxFiles === null ? null : Math.max(0, request.maxFiles - count),
    bytesLeft: request.maxBytes === null ? null : Math.max(0, request.maxBytes - bytes),
    maxFileSize: deps.config.maxFileSize,
    notify: request.notify !== null,
    tusEndpoint: `${deps.config.uploadAppPath}files/`,
    chunkSize: deps.config.chunkSize,
  }
}

/**
 * A file arrived through its bucket's request: the `requestUploaded` webhook, one per file.
 * Never throws (completion goes on). The requester's e-mail is a digest: `request-notices.ts`.
 */
export async function notifyRequester(deps: UploadDeps, file: FileMeta): Promise<void> {
  try {
    const mark = await deps.bucketIds.markRecord(file.sid)
    const request = mark && decodeRequest(mark.extra)
    if (!mark || !request) return
    const visible = publicFile(file)
    deps.webhooks.send(deps.config.requestUploadedWebhook, 'requestUploaded', {
      sid: file.sid,
      file: visible,
      request: {
        createdAt: request.createdAt,
        expiresAt: request.expiresAt,
        maxBytes: request.maxBytes,
        maxFiles: request.maxFiles,
        closed: request.closedAt !== null,
      },
      date: deps.clock.now(),
    })
  } catch (err) {
    deps.logger.warn({ err, sid: file.sid }, 'could not notify the requester of an upload')
  }
}

/**
 * Writes a change of the bucket's request (call under the bucket's lock); `undefined` when the
 * bucket has no live request.
 */
export async function changeRequest(
  deps: UploadDeps,
  sid: BucketId,
  change: (request: UploadRequest) => UploadRequest,
): Promise<UploadRequest | undefined> {
  const request = await readRequest(deps, sid)
  if (!request) return undefined
  const next = change(request)
  if (!(await deps.bucketIds.setMarkExtra(sid, encodeRequest(next)))) return undefined
  return next
}
