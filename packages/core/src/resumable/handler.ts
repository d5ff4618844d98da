/**
 * Resumable Uploads for HTTP (IETF draft-ietf-httpbis-resumable-upload) as a pure function:
 * {@link handleResumable} takes a plain request, the same ports as the TUS machine (Store,
 * Locker, Clock, hooks) and returns status, headers, body and the informational responses to
 * send first. See docs/resumable-upload.md for the version served and the server's wiring.
 *
 * Served: upload creation (POST/PUT with `Upload-Complete`, optional content, `104 (Upload
 * Resumption Supported)` with `Location`), offset retrieval (HEAD), append (PATCH with
 * `application/partial-upload`), cancellation (DELETE), `Upload-Length`, `Upload-Limit`
 * (`max-size`, `max-append-size`, `max-age`), OPTIONS discovery and the draft's problem types.
 *
 * Rules shared with TUS: the upload's {@link Locker} lock (same id) is held while content is
 * written and during cancellation; a second writer waits `limits.lockWaitMs` and then gets 423.
 * `Upload-Offset` only ever reports an offset the store returned (durable bytes). An upload
 * belongs to the protocol that created it: this machine marks its uploads in `extra` and
 * refuses the others.
 * @module
 */
import { isPsiError, PsiError, toPsiError } from '../errors.js'
import { type FileRef, formatFileRef, newFileId, parseFileRef } from '../ids.js'
import { limitBody } from '../limit-body.js'
import type { Lock } from '../locker.js'
import { type FileMeta, isExpired, type NewFile } from '../meta.js'
import { parseUploadMetadata } from '../tus/metadata.js'
import { isResumableUpload, RESUMABLE_PROTOCOL, UPLOAD_PROTOCOL_KEY } from '../upload-protocol.js'
import { DEFAULT_LOCK_WAIT_MS, finishUpload, withUploadLock } from '../upload-steps.js'
import {
  contentDispositionFilename,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  parseSfBoolean,
  parseSfNonNegativeInteger,
  problemBody,
  serializeUploadLimit,
  sfBoolean,
  type UploadLimit,
} from './fields.js'
import type { InformationalResponse, ResumableDeps, ResumableRequest, ResumableResponse } from './types.js'

/**
 * The interop versions answered with a 104 by default. The draft text this follows (the
 * editor's copy after -11) says 8; -12 bumped it to 9 without a breaking change to what is
 * implemented here. See docs/resumable-upload.md.
 */
export const RESUMABLE_INTEROP_VERSIONS: readonly number[] = [8, 9]
export { RESUMABLE_PROTOCOL, UPLOAD_PROTOCOL_KEY } from '../upload-protocol.js'
export const PARTIAL_UPLOAD_CONTENT_TYPE = 'application/partial-upload'

const COLLECTION_METHODS = 'OPTIONS, POST, PUT'
const RESOURCE_METHODS = 'OPTIONS, HEAD, PATCH, DELETE'

/** Response headers as the handler builds them (the `Headers` name is the Fetch class). */
type HeaderMap = Record<string, string>

/** What an error response carries besides its code and message. */
interface ProblemDetails {
  problem?: string
  members?: Record<string, unknown>
  headers?: HeaderMap
}

function fail(code: PsiError['code'], message: string, details: ProblemDetails = {}): PsiError {
  return new PsiError(code, message, { details: { ...details } })
}

function inconsistentLength(message: string): PsiError {
  return fail('INVALID_INPUT', message, { problem: PROBLEM_TYPES.inconsistentLength })
}

/** Handles one request of the resumable-upload draft. Never throws: failures become responses. */
export async function handleResumable(
  req: ResumableRequest,
  deps: ResumableDeps,
): Promise<ResumableResponse> {
  const method = req.method.toUpperCase()
  const emitted: InformationalResponse[] = []
  let response: ResumableResponse
  try {
    if (method === 'OPTIONS') response = options(req, deps)
    else if (req.id === undefined) {
      if (method !== 'POST' && method !== 'PUT') {
        throw fail('METHOD_NOT_ALLOWED', `${method} cannot create an upload`, {
          headers: { Allow: COLLECTION_METHODS },
        })
      }
      response = await create(req, deps, emitted)
    } else {
      const ref = parseFileRef(req.id)
      await deps.hooks.authorize?.(req, ref)
      switch (method) {
        case 'HEAD':
          response = await head(req, ref, deps)
          break
        case 'PATCH':
          response = await append(req, ref, deps)
          break
        case 'DELETE':
          response = await cancel(req, ref, deps)
          break
        default:
          throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed on an upload`, {
            headers: { Allow: RESOURCE_METHODS },
          })
      }
    }
  } catch (err) {
    response = errorResponse(err, deps)
  }
  return emitted.length > 0 ? { ...response, informational: emitted } : response
}

function respond(status: number, headers: HeaderMap = {}, body = ''): ResumableResponse {
  return { status, headers, body }
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
}

const PROBLEM_TITLES: Record<string, string> = {
  [PROBLEM_TYPES.mismatchingOffset]: 'Mismatching Upload Offset',
  [PROBLEM_TYPES.completedUpload]: 'Upload Is Completed',
  [PROBLEM_TYPES.inconsistentLength]: 'Inconsistent Upload Length Values',
}

function errorResponse(err: unknown, deps: ResumableDeps): ResumableResponse {
  const e = toPsiError(err)
  if (!isPsiError(err)) deps.hooks.onError?.(err)
  const details = (e.details ?? {}) as ProblemDetails & { retryAfter?: unknown }
  const headers: HeaderMap = { 'Content-Type': PROBLEM_CONTENT_TYPE, ...details.headers }
  if (typeof details.retryAfter === 'number') headers['Retry-After'] = String(details.retryAfter)
  if (e.code === 'METHOD_NOT_ALLOWED' && !headers.Allow) headers.Allow = RESOURCE_METHODS
  // The draft: a 413 caused by the upload limits MUST carry them.
  if (e.status === 413) {
    const limit = serializeUploadLimit(staticLimits(deps))
    if (limit) headers['Upload-Limit'] = limit
  }
  const type = details.problem
  const title = (type && PROBLEM_TITLES[type]) || STATUS_TITLES[e.status] || 'Error'
  const body = problemBody(e.status, title, {
    ...(type ? { type } : {}),
    detail: e.message,
    ...details.members,
  })
  return respond(e.status, headers, body)
}

function staticLimits(deps: ResumableDeps): UploadLimit {
  const limit: UploadLimit = {}
  const maxSize = deps.limits?.maxSize
  const maxAppend = deps.limits?.maxAppendSize
  if (maxSize !== undefined && maxSize !== null) limit['max-size'] = maxSize
  if (maxAppend !== undefined && maxAppend !== null) limit['max-append-size'] = maxAppend
  return limit
}

/** `Upload-Limit` for one upload: the server's limits and, while it is open, its remaining life. */
function uploadLimit(meta: FileMeta, deps: ResumableDeps): HeaderMap {
  const limit = staticLimits(deps)
  if (!meta.complete && meta.expiresAt !== null) {
    limit['max-age'] = Math.max(0, Math.floor((meta.expiresAt - deps.clock.now()) / 1000))
  }
  const value = serializeUploadLimit(limit)
  return value ? { 'Upload-Limit': value } : {}
}

function options(req: ResumableRequest, deps: ResumableDeps): ResumableResponse {
  const headers: HeaderMap = {
    Allow: req.id === undefined ? COLLECTION_METHODS : RESOURCE_METHODS,
    'Accept-Patch': PARTIAL_UPLOAD_CONTENT_TYPE,
  }
  const limit = serializeUploadLimit(staticLimits(deps))
  if (limit) headers['Upload-Limit'] = limit
  return respond(204, headers)
}

function mediaType(contentType: string | null): string {
  return ((contentType ?? '').split(';')[0] ?? '').trim().toLowerCase()
}

/** `Content-Length` (strict digits), or `undefined` without one (chunked content). */
function contentLengthOf(req: ResumableRequest): number | undefined {
  const raw = req.headers.get('content-length')
  if (raw === null) return undefined
  const value = raw.trim()
  if (!/^\d{1,16}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER) {
    throw fail('INVALID_INPUT', 'Invalid Content-Length header')
  }
  return Number(value)
}

/**
 * The length a request indicates (draft "Length"): `Upload-Length`, or with `Upload-Complete:
 * ?1` and a `Content-Length` the offset plus that content. Both given must agree.
 */
function indicatedLength(
  req: ResumableRequest,
  offset: number,
  complete: boolean,
  contentLength: number | undefined,
): number | null {
  const declared = parseSfNonNegativeInteger(req.headers.get('upload-length'))
  const implied = complete && contentLength !== undefined ? offset + contentLength : undefined
  if (declared !== undefined && implied !== undefined && declared !== implied) {
    throw inconsistentLength(
      `Upload-Length ${declared} does not match the ${implied} bytes this completing request makes`,
    )
  }
  return declared ?? implied ?? null
}

function sizeLimitError(max: number): PsiError {
  return fail('TOO_LARGE', `Upload is larger than the maximum of ${max} bytes`)
}

function appendSizeError(max: number): PsiError {
  return fail('TOO_LARGE', `One request may carry at most ${max} bytes; send the rest in further appends`)
}

function checkAppendSize(contentLength: number | undefined, deps: ResumableDeps): void {
  const max = deps.limits?.maxAppendSize ?? null
  if (max !== null && contentLength !== undefined && contentLength > max) throw appendSizeError(max)
}

/** The informational interop version to answer with, if the client asked for one we speak. */
function interopVersion(req: ResumableRequest, deps: ResumableDeps): number | undefined {
  const asked = parseSfNonNegativeInteger(req.headers.get('upload-draft-interop-version'))
  if (asked === undefined) return undefined
  return (deps.interopVersions ?? RESUMABLE_INTEROP_VERSIONS).includes(asked) ? asked : undefined
}

/** Loads an upload of this protocol: missing → 404, expired → 410, a TUS upload → 400. */
async function load(ref: FileRef, deps: ResumableDeps): Promise<FileMeta> {
  const meta = await deps.store.info(ref)
  if (isExpired(meta, deps.clock.now())) throw new PsiError('GONE', 'This upload has expired')
  if (!isResumableUpload(meta)) {
    throw fail('INVALID_INPUT', 'This upload was created with TUS 1.0 and can only be resumed with TUS 1.0')
  }
  return meta
}

function stateHeaders(meta: FileMeta): HeaderMap {
  const headers: HeaderMap = {
    'Upload-Complete': sfBoolean(meta.complete),
    'Upload-Offset': String(meta.offset),
  }
  if (meta.uploadLength !== null) headers['Upload-Length'] = String(meta.uploadLength)
  return headers
}

// ---------------------------------------------------------------------------------------------
// Upload creation

/**
 * `onCreate`'s metadata: PsiTransfer's `Upload-Metadata` pairs (bucket, password, retention…),
 * with the representation's name and media type from `Content-Disposition`/`Content-Type`.
 */
function creationMetadata(req: ResumableRequest): Record<string, string> {
  const md = parseUploadMetadata(req.headers.get('upload-metadata'))
  const name = contentDispositionFilename(req.headers.get('content-disposition'))
  if (name !== undefined && md.name === undefined && md.filename === undefined) md.name = name
  const type = mediaType(req.headers.get('content-type'))
  if (type && md.type === undefined && md.filetype === undefined) md.type = type
  // Reserved: the machine records the protocol itself.
  delete md[UPLOAD_PROTOCOL_KEY]
  return md
}

async function create(
  req: ResumableRequest,
  deps: ResumableDeps,
  emitted: InformationalResponse[],
): Promise<ResumableResponse> {
  await deps.hooks.authorize?.(req, undefined)
  const complete = parseSfBoolean(req.headers.get('upload-complete'))
  if (complete === undefined) {
    throw fail('INVALID_INPUT', 'Upload-Complete (?0 or ?1) is required to create a resumable upload')
  }
  const contentLength = contentLengthOf(req)
  checkAppendSize(contentLength, deps)
  const uploadLength = indicatedLength(req, 0, complete, contentLength)
  const maxSize = deps.limits?.maxSize ?? null
  if (maxSize !== null && uploadLength !== null && uploadLength > maxSize) throw sizeLimitError(maxSize)

  const decision = await deps.hooks.onCreate({ metadata: creationMetadata(req), uploadLength, request: req })
  const file: NewFile = {
    ...decision,
    extra: { ...decision.extra, [UPLOAD_PROTOCOL_KEY]: RESUMABLE_PROTOCOL },
    key: newFileId(),
    uploadLength,
  }
  let meta = await deps.store.create(file)
  try {
    deps.hooks.onCreated?.(meta)
  } catch (err) {
    deps.hooks.onError?.(err)
  }
  const ref: FileRef = { sid: meta.sid, key: meta.key }
  const location = `${req.endpoint}${formatFileRef(ref)}`

  try {
    meta = await withUploadLock(ref, req.signal, deps, async () => {
      // Under the lock, so a resuming request of a client that got the 104 waits for this one.
      const version = interopVersion(req, deps)
      if (version !== undefined) {
        const info: InformationalResponse = {
          status: 104,
          headers: {
            Location: location,
            'Upload-Draft-Interop-Version': String(version),
            ...uploadLimit(meta, deps),
          },
        }
        emitted.push(info)
        try {
          await req.informational?.(info)
        } catch (err) {
          deps.hooks.onError?.(err)
        }
      }
      return await appendContent(req, ref, meta, complete, contentLength, deps)
    })
  } catch (err) {
    // The upload exists: every answer names it, so a client can resume (HEAD) or cancel it.
    const e = toPsiError(err)
    if (!isPsiError(err)) deps.hooks.onError?.(err)
    const details = (e.details ?? {}) as ProblemDetails
    throw new PsiError(e.code, e.message, {
      cause: err,
      details: { ...details, headers: { ...details.headers, Location: location } },
    })
  }
  const headers: HeaderMap = { Location: location, ...stateHeaders(meta), ...uploadLimit(meta, deps) }
  return respond(meta.complete ? 200 : 201, headers)
}

// ---------------------------------------------------------------------------------------------
// Offset retrieval

async function head(req: ResumableRequest, ref: FileRef, deps: ResumableDeps): Promise<ResumableResponse> {
  const meta = await settledMeta(req, ref, deps)
  return respond(204, { ...stateHeaders(meta), ...uploadLimit(meta, deps), 'Cache-Control': 'no-store' })
}

/**
 * The upload's state once a write in flight (a request whose connection was just cut) has
 * settled: HEAD waits for the lock like an append does, and when it stays taken answers from
 * the store's durable state, which never over-reports. A complete upload never changes again.
 */
async function settledMeta(req: ResumableRequest, ref: FileRef, deps: ResumableDeps): Promise<FileMeta> {
  const seen = await load(ref, deps)
  if (seen.complete) return seen
  let lock: Lock | undefined
  try {
    lock = await deps.locker.lock(formatFileRef(ref), {
      waitMs: deps.limits?.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
      ...(req.signal ? { signal: req.signal } : {}),
    })
  } catch (err) {
    if (isPsiError(err) && err.code === 'ABORTED') throw err
    if (!isPsiError(err)) deps.hooks.onError?.(err)
  }
  try {
    return await load(ref, deps)
  } finally {
    await lock?.release()
  }
}

// ---------------------------------------------------------------------------------------------
// Upload append

async function append(req: ResumableRequest, ref: FileRef, deps: ResumableDeps): Promise<ResumableResponse> {
  if (mediaType(req.headers.get('content-type')) !== PARTIAL_UPLOAD_CONTENT_TYPE) {
    throw fail('UNSUPPORTED_MEDIA_TYPE', `Appending requires Content-Type: ${PARTIAL_UPLOAD_CONTENT_TYPE}`)
  }
  const offset = parseSfNonNegativeInteger(req.headers.get('upload-offset'))
  if (offset === undefined) throw fail('INVALID_INPUT', 'Upload-Offset (a non-negative integer) is required')
  const complete = parseSfBoolean(req.headers.get('upload-complete'))
  if (complete === undefined) throw fail('INVALID_INPUT', 'Upload-Complete (?0 or ?1) is required')
  const contentLength = contentLengthOf(req)
  checkAppendSize(contentLength, deps)

  const meta = await withUploadLock(ref, req.signal, deps, async () => {
    const current = await load(ref, deps)
    if (current.complete) await refuseCompleted(req, contentLength)
    if (current.offset !== offset) {
      throw fail(
        'OFFSET_MISMATCH',
        `Upload-Offset ${offset} does not match the upload's offset ${current.offset}`,
        {
          problem: PROBLEM_TYPES.mismatchingOffset,
          members: { 'expected-offset': current.offset, 'provided-offset': offset },
          headers: { 'Upload-Offset': String(current.offset) },
        },
      )
    }
    return await appendContent(req, ref, current, complete, contentLength, deps)
  })
  if (meta.complete) {
    // What the creation would have answered had all content come with it.
    return respond(200, {
      Location: `${req.endpoint}${formatFileRef(ref)}`,
      ...stateHeaders(meta),
      ...uploadLimit(meta, deps),
    })
  }
  return respond(204, stateHeaders(meta))
}

/**
 * A complete upload is never modified. Content makes the request an inconsistent length;
 * none, the completed-upload problem. Chunked content is peeked at to tell the two apart.
 */
async function refuseCompleted(req: ResumableRequest, contentLength: number | undefined): Promise<never> {
  let hasContent = contentLength !== undefined ? contentLength > 0 : false
  if (contentLength === undefined && req.body) {
    const it = req.body[Symbol.asyncIterator]()
    try {
      while (!hasContent) {
        const next = await it.next()
        if (next.done) break
        hasContent = next.value.byteLength > 0
      }
    } catch {
      // The client went away: nothing more to learn.
    } finally {
      await it.return?.()
    }
  }
  if (hasContent) throw inconsistentLength('The upload is already complete; no content can be appended')
  throw fail('INVALID_INPUT', 'The upload is already complete', { problem: PROBLEM_TYPES.completedUpload })
}

/**
 * Appends a request's content at the upload's current offset, under its lock, checking the
 * length the request indicates, and completes the upload when `Upload-Complete: ?1` and all
 * the content arrived. Returns the record with the store's new durable offset.
 */
async function appendContent(
  req: ResumableRequest,
  ref: FileRef,
  known: FileMeta,
  complete: boolean,
  contentLength: number | undefined,
  deps: ResumableDeps,
): Promise<FileMeta> {
  let meta = known
  const offset = meta.offset
  let maxSize = deps.limits?.maxSize ?? null
  if (meta.uploadLength === null) {
    // An unknown length escapes limits checked at creation (a bucket's room): ask again.
    const allowed = (await deps.hooks.maxDeferredLength?.(meta)) ?? null
    if (allowed !== null && (maxSize === null || allowed < maxSize)) maxSize = Math.max(allowed, 0)
  }
  const indicated = indicatedLength(req, offset, complete, contentLength)
  if (indicated !== null && indicated !== meta.uploadLength) {
    if (meta.uploadLength !== null) {
      throw inconsistentLength(
        `The request indicates a length of ${indicated} bytes; the upload's length is ${meta.uploadLength}`,
      )
    }
    if (indicated < offset) {
      throw inconsistentLength(`Length ${indicated} is less than the ${offset} bytes already received`)
    }
    if (maxSize !== null && indicated > maxSize) throw sizeLimitError(maxSize)
    meta = await deps.store.update(ref, { uploadLength: indicated })
  }

  // What this request may still write: up to the length, the size limit and the append limit.
  const lengthRoom = meta.uploadLength !== null ? meta.uploadLength - offset : Number.POSITIVE_INFINITY
  const sizeRoom = maxSize !== null ? maxSize - offset : Number.POSITIVE_INFINITY
  const maxAppend = deps.limits?.maxAppendSize ?? null
  const appendRoom = maxAppend ?? Number.POSITIVE_INFINITY
  const room = Math.min(lengthRoom, sizeRoom, appendRoom)
  const overrun = (): PsiError =>
    room === lengthRoom
      ? inconsistentLength('The content goes beyond the upload length')
      : room === sizeRoom
        ? sizeLimitError(maxSize ?? 0)
        : appendSizeError(maxAppend ?? 0)
  if (contentLength !== undefined && contentLength > room) throw overrun()

  let newOffset = offset
  if (req.body) {
    let written = 0
    // Kept here: a store may wrap the error its content threw.
    let overran: PsiError | undefined
    const counted = limitBody(
      req.body,
      room,
      () => {
        overran = overrun()
        return overran
      },
      (n) => {
        written += n
      },
    )
    try {
      newOffset = await deps.store.append(ref, counted, offset, req.signal ? { signal: req.signal } : {})
    } catch (err) {
      if (!overran) throw err
      // The draft: an offset beyond the length makes the upload invalid for good.
      if (room === lengthRoom) await deactivate(ref, meta, deps)
      throw overran
    } finally {
      if (written > 0) deps.hooks.onBytes?.(written)
    }
  }
  if (contentLength !== undefined && newOffset - offset < contentLength) {
    // The content ended early (the client went away): the durable bytes stand, it resumes.
    throw new PsiError('ABORTED', 'The request content ended before Content-Length bytes arrived')
  }
  meta = { ...meta, offset: newOffset }
  if (!complete) return meta
  if (meta.uploadLength === null) {
    meta = { ...(await deps.store.update(ref, { uploadLength: newOffset })), offset: newOffset }
  } else if (meta.uploadLength !== newOffset) {
    throw inconsistentLength(
      `Upload-Complete: ?1, but ${newOffset} of the upload's ${meta.uploadLength} bytes arrived`,
    )
  }
  return await finishUpload(ref, meta, deps)
}

/** Removes an upload whose content overran its length; later requests get 404. */
async function deactivate(ref: FileRef, meta: FileMeta, deps: ResumableDeps): Promise<void> {
  try {
    await deps.store.delete(ref)
  } catch (err) {
    deps.hooks.onError?.(err)
    return
  }
  try {
    await deps.hooks.onTerminate?.(meta)
  } catch (err) {
    deps.hooks.onError?.(err)
  }
}

// ---------------------------------------------------------------------------------------------
// Upload cancellation

async function cancel(req: ResumableRequest, ref: FileRef, deps: ResumableDeps): Promise<ResumableResponse> {
  const meta = await withUploadLock(ref, req.signal, deps, async () => {
    const m = await load(ref, deps)
    await deps.store.delete(ref)
    return m
  })
  try {
    await deps.hooks.onTerminate?.(meta)
  } catch (err) {
    deps.hooks.onError?.(err)
  }
  return respond(204)
}
