/**
 * TUS 1.0.0 as a pure function: {@link handleTus} takes a plain request, the ports and a clock
 * and returns status, headers and body. It owns every protocol rule; the HTTP adapter only
 * translates. Spec: https://tus.io/protocols/resumable-upload
 *
 * Extensions: creation, creation-with-upload, creation-defer-length, termination, expiration,
 * checksum, concatenation.
 *
 * Concurrency policy: PATCH, termination and concatenation hold the upload's {@link Locker} lock.
 * A second writer waits up to `limits.lockWaitMs` (default 3 s, long enough for a client that
 * retries right after a dropped connection whose old request is still being torn down) and then
 * gets 423 Locked, which tus-js-client retries. Bytes of two requests never interleave.
 * @module
 */
import { abortable } from '../abortable.js'
import { isPsiError, OffsetMismatchError, PsiError, toPsiError, UploadLockedError } from '../errors.js'
import { type FileRef, formatFileRef, newFileId, parseFileRef } from '../ids.js'
import { limitBody } from '../limit-body.js'
import type { Lock } from '../locker.js'
import { type ConcatRole, type FileMeta, isExpired, type NewFile } from '../meta.js'
import type { Store } from '../store.js'
import {
  isResumableUpload,
  RESUMABLE_PROTOCOL,
  UPLOAD_PROTOCOL_KEY,
  uploadProtocolOf,
} from '../upload-protocol.js'
import { completed, DEFAULT_LOCK_WAIT_MS, finishUpload, withUploadLock } from '../upload-steps.js'
import { readWholeBody } from '../whole-body.js'
import { defaultChecksumBudget, defaultChecksums, toBase64 } from './checksum.js'
import { encodeUploadMetadata, parseUploadMetadata } from './metadata.js'
import type { TusDeps, TusRequest, TusResponse } from './types.js'

export const TUS_VERSION = '1.0.0'
export const TUS_EXTENSIONS = [
  'creation',
  'creation-with-upload',
  'creation-defer-length',
  'termination',
  'expiration',
  'checksum',
  'concatenation',
] as const

const OFFSET_CONTENT_TYPE = 'application/offset+octet-stream'
const DEFAULT_MAX_CHECKSUM_CHUNK = 64 * 1024 * 1024
const DEFAULT_MAX_CONCAT_PARTS = 100
const DEFAULT_WHOLE_FILE_MAX = 1024 * 1024
/** How long completing a full upload (HEAD, {@link completeIfFull}) waits for its lock. */
const DEFAULT_COMPLETE_WAIT_MS = 10_000
/** `Retry-After` (seconds) of a full upload whose completion could not take the lock. */
const COMPLETE_RETRY_AFTER_S = 1
const DEFAULT_CHECKSUM_WAIT_MS = 3000
/** `Retry-After` (seconds) of a checksummed chunk that found no room in the checksum budget. */
const CHECKSUM_RETRY_AFTER_S = 1
const DEFAULT_CHECKSUM_GRACE_MS = 15_000
const DEFAULT_CHECKSUM_MIN_RATE = 64 * 1024
/** Largest piece a verified chunk is handed to the store in. */
const BODY_SLICE = 1024 * 1024
/** Largest integer the protocol's offsets can take here (JS numbers are exact up to 2^53). */
const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** Response headers as the handler builds them (the `Headers` name is the Fetch class). */
type HeaderMap = Record<string, string>

/** Handles one TUS request. Never throws: every failure becomes a response. */
export async function handleTus(req: TusRequest, deps: TusDeps): Promise<TusResponse> {
  const method = (req.headers.get('x-http-method-override') ?? req.method).toUpperCase()
  try {
    if (method === 'OPTIONS') return options(deps)
    if (req.headers.get('tus-resumable') !== TUS_VERSION) {
      return respond(
        412,
        { 'Tus-Version': TUS_VERSION },
        `Unsupported TUS version; this server speaks ${TUS_VERSION}`,
      )
    }
    if (req.id === undefined) {
      if (method === 'POST') return await post(req, deps)
      throw new PsiError('METHOD_NOT_ALLOWED', `${method} is not allowed on the upload collection`)
    }
    const ref = parseFileRef(req.id)
    await deps.hooks.authorize?.(req, ref)
    switch (method) {
      case 'HEAD':
        return await head(req, ref, deps)
      case 'PATCH':
        return await patch(req, ref, deps)
      case 'DELETE':
        return await terminate(req, ref, deps)
      default:
        throw new PsiError('METHOD_NOT_ALLOWED', `${method} is not allowed on an upload`)
    }
  } catch (err) {
    return errorResponse(err, deps)
  }
}

function respond(status: number, headers: HeaderMap = {}, body = ''): TusResponse {
  return { status, headers: { 'Tus-Resumable': TUS_VERSION, ...headers }, body }
}

function errorResponse(err: unknown, deps: TusDeps): TusResponse {
  const e = toPsiError(err)
  if (!isPsiError(err)) deps.hooks.onError?.(err)
  const headers: HeaderMap = { 'Content-Type': 'text/plain; charset=utf-8' }
  if (e.code === 'UNSUPPORTED_VERSION') headers['Tus-Version'] = TUS_VERSION
  if (e.code === 'METHOD_NOT_ALLOWED') headers.Allow = 'OPTIONS, POST, HEAD, PATCH, DELETE'
  const retryAfter = e.details?.retryAfter
  if (typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter)
  return respond(e.status, headers, e.message)
}

function options(deps: TusDeps): TusResponse {
  const headers: HeaderMap = {
    'Tus-Version': TUS_VERSION,
    'Tus-Extension': TUS_EXTENSIONS.join(','),
    'Tus-Checksum-Algorithm': Object.keys(checksums(deps)).join(','),
  }
  const max = deps.limits?.maxSize
  if (max !== undefined && max !== null) headers['Tus-Max-Size'] = String(max)
  return respond(204, headers)
}

function checksums(deps: TusDeps) {
  return { ...defaultChecksums, ...deps.checksums }
}

/** Parses a non-negative integer header strictly (digits only, no sign, no exponent). */
function intHeader(req: TusRequest, name: string): number | undefined {
  const raw = req.headers.get(name)
  if (raw === null) return undefined
  if (!/^\d{1,16}$/.test(raw.trim())) throw new PsiError('INVALID_INPUT', `Invalid ${name} header`)
  const n = Number(raw.trim())
  if (n > MAX_SAFE) throw new PsiError('INVALID_INPUT', `Invalid ${name} header`)
  return n
}

function expiresHeader(meta: FileMeta, headers: HeaderMap): HeaderMap {
  if (!meta.complete && meta.expiresAt !== null)
    headers['Upload-Expires'] = new Date(meta.expiresAt).toUTCString()
  return headers
}

/** Loads an upload for a protocol request: missing → 404, expired → 410. */
async function load(ref: FileRef, deps: TusDeps): Promise<FileMeta> {
  const meta = await deps.store.info(ref)
  if (isExpired(meta, deps.clock.now())) throw new PsiError('GONE', 'This upload has expired')
  const protocol = uploadProtocolOf(meta)
  if (protocol !== undefined) {
    throw new PsiError(
      'INVALID_INPUT',
      protocol === RESUMABLE_PROTOCOL
        ? 'This upload was created with the IETF resumable-upload protocol and can only be resumed with it'
        : `This upload was not created with TUS (${protocol}) and cannot be continued with it`,
    )
  }
  return meta
}

function sizeLimitError(max: number): PsiError {
  return new PsiError('TOO_LARGE', `Upload is larger than the maximum of ${max} bytes`, { details: { max } })
}

// ---------------------------------------------------------------------------------------------
// POST: creation, creation-with-upload, creation-defer-length, concatenation

async function post(req: TusRequest, deps: TusDeps): Promise<TusResponse> {
  await deps.hooks.authorize?.(req, undefined)
  const maxParts = deps.limits?.maxConcatParts ?? DEFAULT_MAX_CONCAT_PARTS
  const concat = parseConcat(req.headers.get('upload-concat'), maxParts)
  if (concat?.kind !== 'final') return await create(req, deps, concat)
  // A partial feeds one final upload only: its lock is held from before it is checked until the
  // final is complete and the partial is gone, so a second final (here or on another instance)
  // waits and then finds it used, instead of copying its bytes again.
  const locks = await lockParts(concat.parts, req, deps)
  try {
    return await create(req, deps, concat)
  } finally {
    await Promise.all(locks.map((l) => l.release()))
  }
}

/** POST after its `Upload-Concat` was parsed (and, for a final upload, its parts locked). */
async function create(req: TusRequest, deps: TusDeps, concat: ConcatRole | undefined): Promise<TusResponse> {
  const maxSize = deps.limits?.maxSize ?? null
  const lengthHeader = intHeader(req, 'upload-length')
  const deferHeader = req.headers.get('upload-defer-length')
  if (deferHeader !== null && deferHeader.trim() !== '1') {
    throw new PsiError('INVALID_INPUT', 'Upload-Defer-Length must be 1')
  }
  const deferred = deferHeader !== null

  let uploadLength: number | null
  let partials: FileMeta[] = []
  if (concat?.kind === 'final') {
    if (lengthHeader !== undefined || deferred) {
      throw new PsiError(
        'INVALID_INPUT',
        'A final upload must not carry Upload-Length or Upload-Defer-Length',
      )
    }
    partials = await loadPartials(concat.parts, deps)
    uploadLength = partials.reduce((sum, p) => sum + p.offset, 0)
  } else {
    if (lengthHeader !== undefined && deferred) {
      throw new PsiError('INVALID_INPUT', 'Send either Upload-Length or Upload-Defer-Length, not both')
    }
    if (lengthHeader === undefined && !deferred) {
      throw new PsiError('INVALID_INPUT', 'Upload-Length or Upload-Defer-Length: 1 is required')
    }
    uploadLength = lengthHeader ?? null
  }
  if (maxSize !== null && uploadLength !== null && uploadLength > maxSize) throw sizeLimitError(maxSize)

  const metadata = parseUploadMetadata(req.headers.get('upload-metadata'))
  // Reserved: a TUS upload must not pass for one of the other protocol.
  delete metadata[UPLOAD_PROTOCOL_KEY]
  // A whole small file is read before `onCreate`, so what it holds until `onCreated` (a shared
  // store's bucket lock) waits for the store's write only, never for a slow client's bytes.
  const whole =
    !concat && isWholeFile(req, uploadLength, deps) ? await readWhole(req, uploadLength, deps) : null
  const decision = await deps.hooks.onCreate({
    metadata,
    uploadLength,
    ...(concat ? { concat } : {}),
    request: req,
  })
  const file: NewFile = { ...decision, key: newFileId(), uploadLength, ...(concat ? { concat } : {}) }
  if (whole) return await createWhole(req, { ...file, uploadLength: whole.byteLength }, whole, deps)
  let meta = await deps.store.create(file)
  try {
    deps.hooks.onCreated?.(meta)
  } catch (err) {
    deps.hooks.onError?.(err)
  }
  const ref: FileRef = { sid: meta.sid, key: meta.key }
  const location = `${req.endpoint}${formatFileRef(ref)}`

  if (concat?.kind === 'final') {
    meta = await withUploadLock(ref, req.signal, deps, async () => {
      let offset = 0
      for (const p of partials) {
        const data = await deps.store.read(p, req.signal ? { signal: req.signal } : {})
        offset = await deps.store.append(ref, data, offset, req.signal ? { signal: req.signal } : {})
      }
      const done = await finishUpload(ref, meta, deps)
      // Consumed: removed while their locks are still held (see post).
      for (const p of partials) {
        await deps.store.delete(p).catch((err: unknown) => {
          if (!(isPsiError(err) && err.code === 'NOT_FOUND')) deps.hooks.onError?.(err)
        })
      }
      return done
    })
    return respond(201, expiresHeader(meta, { Location: location }))
  }

  const headers: HeaderMap = { Location: location }
  const contentType = req.headers.get('content-type')
  const hasBody = req.body && contentType !== null && mediaType(contentType) === OFFSET_CONTENT_TYPE
  if (hasBody) {
    // creation-with-upload: the body is the first chunk, at offset 0.
    try {
      meta = await withUploadLock(ref, req.signal, deps, () => writeChunk(req, ref, meta, 0, deps))
    } catch (err) {
      // The upload exists either way: answer with its Location so the client can resume (HEAD)
      // instead of creating another one.
      const e = toPsiError(err)
      if (e.code === 'CHECKSUM_MISMATCH' || e.code === 'TOO_LARGE' || e.code === 'INVALID_INPUT') {
        return respond(
          e.status,
          { Location: location, 'Content-Type': 'text/plain; charset=utf-8' },
          e.message,
        )
      }
      if (!isPsiError(err)) deps.hooks.onError?.(err)
      const info = await deps.store.info(ref).catch(() => meta)
      headers['Upload-Offset'] = String(info.offset)
      return respond(201, expiresHeader(info, headers))
    }
    headers['Upload-Offset'] = String(meta.offset)
  } else if (uploadLength === 0) {
    meta = await finishUpload(ref, meta, deps)
  }
  return respond(201, expiresHeader(meta, headers))
}

/**
 * Whether a creation carries its whole (small) file, for {@link Store.createComplete}: the
 * body's declared length is the upload's, and no checksum asks for the chunk path.
 */
function isWholeFile(req: TusRequest, uploadLength: number | null, deps: TusDeps): uploadLength is number {
  if (!deps.store.createComplete || uploadLength === null || uploadLength === 0 || !req.body) return false
  if (uploadLength > (deps.limits?.wholeFileMax ?? DEFAULT_WHOLE_FILE_MAX)) return false
  const contentType = req.headers.get('content-type')
  if (contentType === null || mediaType(contentType) !== OFFSET_CONTENT_TYPE) return false
  return intHeader(req, 'content-length') === uploadLength && req.headers.get('upload-checksum') === null
}

/**
 * The body of a whole small file, read into memory (at most `wholeFileMax` bytes, which the
 * stores that take whole files buffer anyway): exactly `length` bytes, or the body's error.
 */
async function readWhole(req: TusRequest, length: number, deps: TusDeps): Promise<Uint8Array> {
  let read = 0
  const body = limitBody(req.body as AsyncIterable<Uint8Array>, length, bodyTooLarge, (n) => {
    read += n
  })
  try {
    return await readWholeBody(body, length, req.signal)
  } finally {
    if (read > 0) deps.hooks.onBytes?.(read)
  }
}

/**
 * creation-with-upload of a whole small file (its bytes already read) in one store call.
 * Nobody knows the key until the answer goes out, so nothing needs locking. `onCreated` runs
 * once the store has the file, as for any creation: what `onCreate` reserved (a shared
 * store's bucket lock, released there) then covers the file until the store counts it, so a
 * recount of the bucket from the store never misses it; the hold lasts one store write. A
 * failure leaves no file, so the answer is the error, without a Location to resume from.
 */
async function createWhole(
  req: TusRequest,
  file: NewFile & { uploadLength: number },
  bytes: Uint8Array,
  deps: TusDeps,
) {
  const meta = await (deps.store.createComplete as NonNullable<Store['createComplete']>)(
    file,
    (async function* () {
      yield bytes
    })(),
    req.signal ? { signal: req.signal } : {},
  )
  try {
    deps.hooks.onCreated?.(meta)
  } catch (err) {
    deps.hooks.onError?.(err)
  }
  await completed(meta, deps.hooks)
  const location = `${req.endpoint}${formatFileRef(meta)}`
  return respond(201, expiresHeader(meta, { Location: location, 'Upload-Offset': String(meta.offset) }))
}

function parseConcat(header: string | null, maxParts: number): ConcatRole | undefined {
  if (header === null) return undefined
  const value = header.trim()
  if (value === 'partial') return { kind: 'partial' }
  if (value.startsWith('final;')) {
    const urls = value.slice('final;'.length).trim().split(/\s+/).filter(Boolean)
    if (urls.length === 0)
      throw new PsiError('INVALID_INPUT', 'Upload-Concat: final needs at least one upload URL')
    if (urls.length > maxParts) {
      throw new PsiError(
        'INVALID_INPUT',
        `Upload-Concat: final lists ${urls.length} uploads; at most ${maxParts} can be concatenated`,
        { details: { max: maxParts } },
      )
    }
    const parts = urls.map((u) => {
      const path = u.replace(/[?#].*$/, '')
      return formatFileRef(parseFileRef(decodePathSegment(path.slice(path.lastIndexOf('/') + 1))))
    })
    // Listing one partial twice would multiply its bytes (one 1 MiB part x 200 = 200 MiB).
    const seen = new Set<string>()
    for (const id of parts) {
      if (seen.has(id))
        throw new PsiError('INVALID_INPUT', `Upload-Concat: final lists upload ${id} more than once`)
      seen.add(id)
    }
    return { kind: 'final', parts }
  }
  throw new PsiError('INVALID_INPUT', 'Upload-Concat must be "partial" or "final;<urls>"')
}

/** Percent-decodes an upload URL's last segment; malformed escapes are the client's error (400). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new PsiError(
      'INVALID_INPUT',
      'Upload-Concat: final has an upload URL with invalid percent-encoding',
    )
  }
}

/**
 * Locks every part of a final upload (in id order, so two finals sharing parts cannot deadlock),
 * waiting like a PATCH does; on failure the locks taken so far are released.
 */
async function lockParts(parts: readonly string[], req: TusRequest, deps: TusDeps): Promise<Lock[]> {
  const locks: Lock[] = []
  try {
    for (const id of [...parts].sort()) {
      try {
        locks.push(
          await deps.locker.lock(id, {
            waitMs: deps.limits?.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
            ...(req.signal ? { signal: req.signal } : {}),
          }),
        )
      } catch (err) {
        if (isPsiError(err) && err.code === 'UPLOAD_LOCKED') {
          throw new UploadLockedError(
            `Partial upload ${id} is being written or concatenated by another request; retry shortly`,
          )
        }
        throw err
      }
    }
    return locks
  } catch (err) {
    await Promise.all(locks.map((l) => l.release()))
    throw err
  }
}

/** The parts of a final upload, under their locks: each a finished partial upload not used yet. */
async function loadPartials(parts: readonly string[], deps: TusDeps): Promise<FileMeta[]> {
  const out: FileMeta[] = []
  for (const id of parts) {
    let meta: FileMeta
    try {
      meta = await load(parseFileRef(id), deps)
    } catch (err) {
      // A used partial is deleted by the final upload that took it.
      if (isPsiError(err) && (err.code === 'NOT_FOUND' || err.code === 'GONE')) {
        throw new PsiError(
          'INVALID_INPUT',
          `Partial upload ${id} does not exist: it expired, was terminated or was already concatenated into another upload`,
        )
      }
      throw err
    }
    if (meta.concat?.kind !== 'partial') {
      throw new PsiError('INVALID_INPUT', `Upload ${id} is not a partial upload`)
    }
    if (meta.uploadLength === null || meta.offset !== meta.uploadLength) {
      throw new PsiError('INVALID_INPUT', `Partial upload ${id} is not finished`)
    }
    out.push(meta)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// HEAD

async function head(req: TusRequest, ref: FileRef, deps: TusDeps): Promise<TusResponse> {
  const meta = await settledMeta(req, ref, deps)
  const headers: HeaderMap = { 'Cache-Control': 'no-store', 'Upload-Offset': String(meta.offset) }
  if (meta.uploadLength === null) headers['Upload-Defer-Length'] = '1'
  else headers['Upload-Length'] = String(meta.uploadLength)
  const md = publicMetadata(meta)
  if (md) headers['Upload-Metadata'] = md
  if (meta.concat?.kind === 'partial') headers['Upload-Concat'] = 'partial'
  if (meta.concat?.kind === 'final') headers['Upload-Concat'] = `final;${meta.concat.parts.join(' ')}`
  return respond(200, expiresHeader(meta, headers))
}

/**
 * The upload's record for HEAD. A PATCH in flight (say one whose connection was just cut) may
 * still be saving bytes, and a client resumes from the offset HEAD reports: so HEAD waits for
 * the upload's lock like a PATCH does and reads the offset once that write has settled. If the
 * lock stays taken (a long upload is streaming), HEAD answers from the store's durable state
 * anyway: it never fails because an upload is being written, and never reports bytes that are
 * not durable (the store's offset is the durable one).
 *
 * One exception: an upload whose bytes are all there but that was never completed (its last
 * PATCH's process died between the append and the completion). Reporting `Upload-Offset ==
 * Upload-Length` would make the client report success for a file nobody can download, and it
 * would never send another request. So HEAD completes it first (see {@link completeIfFull}),
 * and when the lock cannot be had in time (a dead instance's lock not expired yet) answers 423
 * with `Retry-After`, which tus-js-client retries (a 5xx would make it create a new upload).
 */
async function settledMeta(req: TusRequest, ref: FileRef, deps: TusDeps): Promise<FileMeta> {
  // A finished upload's offset never moves again: no lock needed (most HEADs, e.g. a client's
  // check after its last PATCH; on S3 a lock costs several requests).
  const seen = await load(ref, deps)
  if (seen.complete) return seen
  const full = needsCompletion(seen)
  let lock: Lock | undefined
  try {
    lock = await deps.locker.lock(formatFileRef(ref), {
      waitMs: full ? completeWaitMs(deps) : (deps.limits?.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS),
      ...(req.signal ? { signal: req.signal } : {}),
    })
  } catch (err) {
    // The client went away: nobody to answer. Any other failure to lock (held too long, a
    // locker backend hiccup) leaves the store's durable state as the answer.
    if (isPsiError(err) && err.code === 'ABORTED') throw err
    if (!isPsiError(err)) deps.hooks.onError?.(err)
  }
  try {
    const meta = await load(ref, deps)
    if (needsCompletion(meta)) {
      if (!lock) throw completionLocked()
      // All bytes arrived but finalization did not (crash between the two): repair now.
      return await finishUpload(ref, meta, deps)
    }
    return meta
  } finally {
    await lock?.release()
  }
}

/** An upload whose bytes are all there but that was not completed (yet). */
export function needsCompletion(meta: FileMeta): boolean {
  // A full IETF upload completes only when its client says so (`Upload-Complete: ?1`).
  return (
    !meta.complete &&
    meta.uploadLength !== null &&
    meta.offset === meta.uploadLength &&
    !isResumableUpload(meta)
  )
}

function completeWaitMs(deps: Pick<TusDeps, 'limits'>): number {
  return Math.max(deps.limits?.completeWaitMs ?? DEFAULT_COMPLETE_WAIT_MS, deps.limits?.lockWaitMs ?? 0)
}

function completionLocked(): PsiError {
  return new UploadLockedError('The upload is being completed; retry shortly', {
    details: { retryAfter: COMPLETE_RETRY_AFTER_S },
  })
}

/** What {@link completeIfFull} needs: the TUS machine's ports and hooks. */
export type CompleteDeps = Pick<TusDeps, 'store' | 'locker' | 'hooks' | 'limits'>

export interface CompleteIfFullOptions {
  /**
   * The record the caller already has (from a listing, say): when it is complete or not full,
   * nothing is read or locked.
   */
  known?: FileMeta
  /** How long to wait for the upload's lock. Default `limits.completeWaitMs` (10 s). */
  waitMs?: number
  signal?: AbortSignal
}

/**
 * Completes an upload whose bytes are all there but whose completion never ran (the process
 * that wrote its last byte died first), under the upload's lock, from any instance: the store's
 * `complete()` and then the `onComplete` hook, exactly as the PATCH that wrote the last byte
 * would have. Idempotent: an upload completed meanwhile (by a PATCH, a HEAD or another caller)
 * is returned as it is and the hook does not run again. Uploads still missing bytes and files
 * already complete are returned unchanged.
 *
 * Throws `UPLOAD_LOCKED` (with `retryAfter`) when the upload needs completing but its lock
 * could not be had in time, and the store's error when completing fails; callers that list
 * files treat such a file as not (yet) there.
 */
export async function completeIfFull(
  ref: FileRef,
  deps: CompleteDeps,
  options: CompleteIfFullOptions = {},
): Promise<FileMeta> {
  const seen = options.known ?? (await deps.store.info(ref))
  if (!needsCompletion(seen)) return seen
  let lock: Lock
  try {
    lock = await deps.locker.lock(formatFileRef(ref), {
      waitMs: options.waitMs ?? completeWaitMs(deps),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch (err) {
    if (isPsiError(err) && err.code === 'UPLOAD_LOCKED') throw completionLocked()
    throw err
  }
  try {
    // Re-read under the lock: whoever held it may have completed (or deleted) it.
    const meta = await deps.store.info(ref)
    return needsCompletion(meta) ? await finishUpload(ref, meta, deps) : meta
  } finally {
    await lock.release()
  }
}

/**
 * The metadata HEAD may show: what the client sent, never secrets or store internals. A
 * finished protected file shows none (HEAD needs no password, its download does): only its
 * offset and length. While it uploads, its uploader may read back what it sent.
 */
function publicMetadata(meta: FileMeta): string {
  if (meta.complete && meta.password) return ''
  const md: Record<string, string> = { ...meta.extra, sid: meta.sid, name: meta.name }
  if (meta.relativePath) md.relativePath = meta.relativePath
  if (meta.comment) md.comment = meta.comment
  if (meta.type) md.type = meta.type
  md.retention = String(meta.retention)
  delete md.password
  return encodeUploadMetadata(md)
}

// ---------------------------------------------------------------------------------------------
// PATCH

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase()
}

async function patch(req: TusRequest, ref: FileRef, deps: TusDeps): Promise<TusResponse> {
  const contentType = req.headers.get('content-type')
  if (contentType === null || mediaType(contentType) !== OFFSET_CONTENT_TYPE) {
    throw new PsiError('UNSUPPORTED_MEDIA_TYPE', `PATCH requires Content-Type: ${OFFSET_CONTENT_TYPE}`)
  }
  const offset = intHeader(req, 'upload-offset')
  if (offset === undefined) throw new PsiError('INVALID_INPUT', 'Upload-Offset header is required')
  const meta = await withUploadLock(ref, req.signal, deps, () =>
    writeChunk(req, ref, undefined, offset, deps),
  )
  return respond(204, expiresHeader(meta, { 'Upload-Offset': String(meta.offset) }))
}

/**
 * Writes one request body at `offset` under the upload's lock and finishes the upload when it
 * reaches its length. Returns the metadata with the new durable offset.
 */
async function writeChunk(
  req: TusRequest,
  ref: FileRef,
  known: FileMeta | undefined,
  offset: number,
  deps: TusDeps,
): Promise<FileMeta> {
  let meta = known ?? (await load(ref, deps))
  if (meta.concat?.kind === 'final') throw new PsiError('FORBIDDEN', 'A final upload cannot be patched')
  // PsiTransfer's answer (its client and scripts know it); an empty PATCH stays a harmless repeat.
  if (meta.complete && intHeader(req, 'content-length') !== 0) {
    throw new PsiError('INVALID_INPUT', 'Upload already completed')
  }
  if (meta.offset !== offset) throw new OffsetMismatchError(meta.offset, offset)
  let maxSize = deps.limits?.maxSize ?? null
  if (meta.uploadLength === null) {
    // A deferred length escapes limits checked at creation (a bucket's size): ask again.
    const allowed = (await deps.hooks.maxDeferredLength?.(meta)) ?? null
    if (allowed !== null && (maxSize === null || allowed < maxSize)) maxSize = Math.max(allowed, 0)
  }

  const newLength = intHeader(req, 'upload-length')
  if (newLength !== undefined) {
    if (meta.uploadLength === null) {
      if (newLength < meta.offset)
        throw new PsiError('INVALID_INPUT', 'Upload-Length is smaller than the bytes already received')
      if (maxSize !== null && newLength > maxSize) throw sizeLimitError(maxSize)
      meta = await deps.store.update(ref, { uploadLength: newLength })
    } else if (newLength !== meta.uploadLength) {
      throw new PsiError('INVALID_INPUT', 'Upload-Length cannot be changed once set')
    }
  }

  // Bytes this request may still write: up to the declared length, or the size limit.
  const room =
    meta.uploadLength !== null
      ? meta.uploadLength - offset
      : maxSize !== null
        ? maxSize - offset
        : Number.POSITIVE_INFINITY
  const contentLength = intHeader(req, 'content-length')
  if (contentLength !== undefined && contentLength > room) {
    throw meta.uploadLength !== null
      ? new PsiError('TOO_LARGE', 'The request body goes beyond the upload length')
      : sizeLimitError(maxSize ?? 0)
  }

  const append = async (body: AsyncIterable<Uint8Array>): Promise<number> => {
    let written = 0
    const counted = limitBody(body, room, bodyTooLarge, (n) => {
      written += n
    })
    try {
      return await deps.store.append(ref, counted, offset, req.signal ? { signal: req.signal } : {})
    } finally {
      if (written > 0) deps.hooks.onBytes?.(written)
    }
  }
  const checksum = req.headers.get('upload-checksum')
  const newOffset =
    checksum === null
      ? await append(req.body ?? emptyBody())
      : await withVerifiedChunk(req, checksum, room, contentLength, deps, append)
  if (contentLength !== undefined && newOffset - offset < contentLength) {
    // The body ended early (client went away): the durable bytes stand, the client resumes.
    throw new PsiError('ABORTED', 'The request body ended before Content-Length bytes arrived')
  }
  meta = { ...meta, offset: newOffset }
  if (meta.uploadLength !== null && newOffset === meta.uploadLength)
    meta = await finishUpload(ref, meta, deps)
  return meta
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}

const bodyTooLarge = () => new PsiError('TOO_LARGE', 'The request body goes beyond the upload length')

/** {@link limitBody} without a limit: only the body-error translation. */
function asAborted(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return limitBody(body, Number.POSITIVE_INFINITY, bodyTooLarge, () => {})
}

/**
 * Reads a checksummed chunk fully into one buffer, verifies it, and hands it to `use` (the
 * append) as the body; a chunk that fails verification is dropped whole (460). The buffer is
 * reserved in the checksum budget before the first byte is read (the most the chunk may take)
 * and given back when `use` is done or anything fails; a request that finds no room in time is
 * answered 503 with `Retry-After`.
 */
async function withVerifiedChunk<T>(
  req: TusRequest,
  header: string,
  room: number,
  contentLength: number | undefined,
  deps: TusDeps,
  use: (body: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  const [algorithm = '', expected = '', ...rest] = header.trim().split(/\s+/)
  if (rest.length > 0 || !expected)
    throw new PsiError('INVALID_INPUT', 'Upload-Checksum must be "<algorithm> <base64>"')
  const makeHasher = checksums(deps)[algorithm.toLowerCase()]
  if (!makeHasher) throw new PsiError('INVALID_INPUT', `Unsupported checksum algorithm "${algorithm}"`)
  const budget = deps.checksumBudget ?? defaultChecksumBudget()
  const maxChunk = Math.min(deps.limits?.maxChecksumChunk ?? DEFAULT_MAX_CHECKSUM_CHUNK, budget.capacity)
  const tooLarge = () => new PsiError('TOO_LARGE', `Checksummed chunks are limited to ${maxChunk} bytes`)
  // Content-Length beyond `room` was refused before; without one, reserve the most it may be.
  if (contentLength !== undefined && contentLength > maxChunk) throw tooLarge()
  const size = contentLength ?? Math.min(maxChunk, room)
  const reservation = await budget.reserve(size, {
    waitMs: deps.limits?.checksumWaitMs ?? DEFAULT_CHECKSUM_WAIT_MS,
    ...(req.signal ? { signal: req.signal } : {}),
  })
  if (!reservation) {
    throw new PsiError('BUSY', 'The server is busy verifying other checksummed chunks; retry shortly', {
      details: { retryAfter: CHECKSUM_RETRY_AFTER_S },
    })
  }
  // The reservation is held while the body arrives: bound that time (see TusLimits).
  const graceMs = deps.limits?.checksumGraceMs ?? DEFAULT_CHECKSUM_GRACE_MS
  const minRate = deps.limits?.checksumMinRate ?? DEFAULT_CHECKSUM_MIN_RATE
  const slow = new AbortController()
  const timer = setTimeout(() => slow.abort(), graceMs + Math.ceil((size / minRate) * 1000))
  try {
    // One buffer of the reserved size (pages the body does not fill are never touched).
    const buffer = new Uint8Array(size)
    const hasher = makeHasher()
    let filled = 0
    const body = abortable(asAborted(req.body ?? emptyBody()), slow.signal)
    for await (const chunk of tooSlowAs408(body, slow.signal)) {
      if (filled + chunk.byteLength > size) {
        if (contentLength !== undefined)
          throw new PsiError('INVALID_INPUT', 'The request body is longer than its Content-Length')
        throw filled + chunk.byteLength > room
          ? new PsiError('TOO_LARGE', 'The request body goes beyond the upload length')
          : tooLarge()
      }
      // Copy: the producer may reuse its buffer once we ask for the next chunk.
      buffer.set(chunk, filled)
      hasher.update(buffer.subarray(filled, filled + chunk.byteLength))
      filled += chunk.byteLength
    }
    const actual = toBase64(await hasher.digest())
    if (actual !== expected)
      throw new PsiError('CHECKSUM_MISMATCH', 'Checksum mismatch; the chunk was discarded')
    return await use(slices(buffer.subarray(0, filled)))
  } finally {
    clearTimeout(timer)
    reservation.release()
  }
}

/** The body, failing with TIMEOUT (408) instead of ABORTED when `slow` fired. */
async function* tooSlowAs408(body: AsyncIterable<Uint8Array>, slow: AbortSignal): AsyncIterable<Uint8Array> {
  try {
    yield* body
  } catch (err) {
    if (slow.aborted) {
      throw new PsiError('TIMEOUT', 'The checksummed chunk arrived too slowly; send smaller chunks', {
        cause: err,
      })
    }
    throw err
  }
}

/** A buffer as a body of views of at most {@link BODY_SLICE} bytes (stores get usual chunk sizes). */
async function* slices(buffer: Uint8Array): AsyncIterable<Uint8Array> {
  for (let at = 0; at < buffer.byteLength; at += BODY_SLICE) yield buffer.subarray(at, at + BODY_SLICE)
}

// ---------------------------------------------------------------------------------------------
// DELETE (termination)

async function terminate(req: TusRequest, ref: FileRef, deps: TusDeps): Promise<TusResponse> {
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
