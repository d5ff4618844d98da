/**
 * Direct-to-S3 uploads (`{B}api/direct/…`, API.md "Direct-to-S3 uploads"): for a store with
 * `directUpload` (S3 with `storage.directUpload`), the browser PUTs a file's parts to presigned
 * URLs and the server only creates the upload, signs, lists parts and completes.
 *
 * The rules are the TUS endpoint's, through the same code: creation runs the upload hooks
 * (upload password, bucket ownership and token, bucket password, `maxFileSize`/`maxBucketSize`,
 * unfinished-upload expiry), completion runs {@link completeUpload} (under the upload's lock:
 * retention expiry, counter and webhook exactly once). Every later request needs the upload
 * password and the bucket's upload token. An abandoned upload expires like an unfinished TUS
 * upload and the retention sweeper deletes it (the store aborts its multipart upload); one
 * whose parts all arrived is completed by the sweeper.
 * @module
 */
import {
  type DirectUpload,
  type DirectUploadStatus,
  type FileMeta,
  type FileRef,
  formatFileRef,
  isExpired,
  type NewFile,
  NotFoundError,
  newFileId,
  PsiError,
  parseFileRef,
  type TusRequest,
  UPLOAD_PROTOCOL_KEY,
  withLock,
} from '@psitransfer/core'
import { DirectCreate, DirectPartsRequest, parseBody } from '../api/schemas.js'
import { publicFile } from '../bucket.js'
import type { RequestFacts } from '../http/client.js'
import { checkServicePassword } from '../security/auth.js'
import { BUCKET_TOKEN_HEADER, isBucketMark } from './bucket-ids.js'
import { completeUpload } from './complete.js'
import type { UploadDeps } from './deps.js'
import { type CreateLockHolder, createUploadHooks, releaseBucketLock } from './hooks.js'

/** `extra.protocol` of direct uploads: no TUS or draft request may continue them. */
export const DIRECT_PROTOCOL = 'direct-s3'
/** Seconds a part URL is valid: long enough for one part on a slow link, short if it leaks. */
export const PART_URL_EXPIRY = 900

/** Headers as the routes hand them over (lower-case lookup). */
export interface DirectHeaders {
  get(name: string): string | null
}

export interface DirectCreated {
  id: string
  partSize: number
  partCount: number
  expiresAt: number | null
  /** The upload token of the bucket this creation took (answered as `X-Bucket-Token`). */
  bucketToken?: string
}

function offered(deps: UploadDeps): DirectUpload {
  const direct = deps.store.directUpload
  if (!direct) throw new NotFoundError('Direct uploads are not offered by this server')
  return direct
}

/**
 * `POST {B}api/direct/` with `{ size, metadata }` (`metadata`: the TUS `Upload-Metadata` keys,
 * `sid`, `name`, `retention`, `password`, …): creates the upload and answers its plan.
 */
export async function createDirect(
  req: RequestFacts,
  headers: DirectHeaders,
  body: unknown,
  deps: UploadDeps,
  signal?: AbortSignal,
): Promise<DirectCreated> {
  const direct = offered(deps)
  const holder: CreateLockHolder = {}
  const hooks = createUploadHooks(req, deps, holder)
  const request: TusRequest = { method: 'POST', headers, endpoint: '', ...(signal ? { signal } : {}) }
  await hooks.authorize?.(request, undefined)
  const input = parseBody(DirectCreate, body, '{size, metadata}')
  const size = input.size
  const metadata: Record<string, string> = { ...input.metadata }
  // Reserved: the protocol mark is set here, never by the client.
  delete metadata[UPLOAD_PROTOCOL_KEY]
  let created = false
  try {
    const decision = await hooks.onCreate({ metadata, uploadLength: size, request })
    const file: NewFile = {
      ...decision,
      key: newFileId(),
      uploadLength: size,
      extra: { ...decision.extra, [UPLOAD_PROTOCOL_KEY]: DIRECT_PROTOCOL },
    }
    const plan = await direct.begin(file)
    created = true
    hooks.onCreated?.(plan.meta)
    req.log.info({ sid: file.sid, key: file.key, size }, 'direct upload created')
    return {
      id: formatFileRef(plan.meta),
      partSize: plan.partSize,
      partCount: plan.partCount,
      expiresAt: plan.meta.expiresAt,
      ...(holder.took ? { bucketToken: holder.took.token } : {}),
    }
  } finally {
    if (holder.reservation) deps.buckets.cancel(holder.reservation)
    try {
      // A creation that did not create: the bucket's id is free again (as in answerTus).
      if (holder.took && !created) await deps.bucketIds.release(holder.took.sid)
    } finally {
      await releaseBucketLock(holder, req.log)
    }
  }
}

/**
 * The upload `id` for a request of its uploader: the upload password, the bucket's upload
 * token (share links contain `sid++key` of finished files, so the id alone proves nothing),
 * and a live direct upload.
 */
async function openUpload(
  req: RequestFacts,
  headers: DirectHeaders,
  id: string,
  deps: UploadDeps,
): Promise<{ ref: FileRef; meta: FileMeta; direct: DirectUpload }> {
  const direct = offered(deps)
  await checkServicePassword(req, deps, deps.config.uploadPass, 'upload')
  const ref = parseFileRef(id)
  if (isBucketMark(ref)) throw new NotFoundError('Upload not found')
  if ((await deps.bucketIds.check(ref.sid, headers.get(BUCKET_TOKEN_HEADER.toLowerCase()))) !== 'owner') {
    throw new PsiError(
      'FORBIDDEN',
      `Only the bucket's uploader can continue its uploads (send the ${BUCKET_TOKEN_HEADER} header its first upload answered)`,
    )
  }
  const meta = await deps.store.info(ref)
  if (meta.extra[UPLOAD_PROTOCOL_KEY] !== DIRECT_PROTOCOL) throw new NotFoundError('Not a direct upload')
  if (isExpired(meta, deps.clock.now())) throw new NotFoundError('Upload not found (it expired)')
  return { ref, meta, direct }
}

/** `POST {B}api/direct/{id}/parts` with `{ partNumbers }`: a URL to PUT each of them to. */
export async function signParts(
  req: RequestFacts,
  headers: DirectHeaders,
  id: string,
  body: unknown,
  deps: UploadDeps,
): Promise<{ expiresIn: number; urls: Array<{ partNumber: number; url: string }> }> {
  const numbers = parseBody(DirectPartsRequest, body, '{partNumbers}').partNumbers
  const { ref, meta, direct } = await openUpload(req, headers, id, deps)
  if (meta.complete) throw new PsiError('INVALID_INPUT', 'The upload is already complete')
  const urls = await Promise.all(
    [...new Set(numbers)].map(async (partNumber) => ({
      partNumber,
      url: await direct.signPart(ref, partNumber, { expiresIn: PART_URL_EXPIRY }),
    })),
  )
  return { expiresIn: PART_URL_EXPIRY, urls }
}

/** `GET {B}api/direct/{id}`: the plan and the parts S3 holds (to resume after a reload). */
export async function directStatus(
  req: RequestFacts,
  headers: DirectHeaders,
  id: string,
  deps: UploadDeps,
): Promise<DirectUploadStatus & { id: string; size: number; complete: boolean; expiresAt: number | null }> {
  const { ref, meta, direct } = await openUpload(req, headers, id, deps)
  const status = await direct.status(ref)
  return {
    id: formatFileRef(ref),
    size: meta.uploadLength ?? 0,
    complete: meta.complete,
    expiresAt: meta.expiresAt,
    ...status,
  }
}

/**
 * `POST {B}api/direct/{id}/complete`: once S3 holds every part, completes the upload the way a
 * TUS upload's last PATCH does. Missing parts: 400 (the status route lists what S3 holds).
 */
export async function completeDirect(
  req: RequestFacts,
  headers: DirectHeaders,
  id: string,
  deps: UploadDeps,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const { ref, meta, direct } = await openUpload(req, headers, id, deps)
  if (!meta.complete) {
    const status = await direct.status(ref)
    const have = new Set(status.parts.map((p) => p.partNumber))
    const missing: number[] = []
    for (let n = 1; n <= status.partCount; n++) if (!have.has(n)) missing.push(n)
    if (missing.length > 0) {
      throw new PsiError('INVALID_INPUT', `${missing.length} of ${status.partCount} parts are missing`)
    }
  }
  const done = await completeUpload(deps, ref, {
    known: meta,
    waitMs: 15_000,
    log: req.log,
    ...(signal ? { signal } : {}),
  })
  if (!done.complete) throw new PsiError('INTERNAL', 'The upload could not be completed')
  return publicFile(done)
}

/** `DELETE {B}api/direct/{id}`: abandons an unfinished upload (aborts its multipart upload). */
export async function abortDirect(
  req: RequestFacts,
  headers: DirectHeaders,
  id: string,
  deps: UploadDeps,
): Promise<void> {
  const { ref, meta } = await openUpload(req, headers, id, deps)
  if (meta.complete) {
    throw new PsiError(
      'METHOD_NOT_ALLOWED',
      'Finished files cannot be terminated; ask an admin to delete them',
    )
  }
  await withLock(deps.locker, formatFileRef(ref), { waitMs: 5000 }, () => deps.store.delete(ref))
  deps.buckets.invalidate(ref.sid)
  req.log.info({ sid: ref.sid, key: ref.key }, 'direct upload aborted')
}
