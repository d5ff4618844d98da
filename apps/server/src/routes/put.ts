/**
 * `PUT {B}{name}` (`curl -T file {B}`): one request creates a bucket with that file and
 * answers with its share link, and on a second line (and in `X-Manage-Url`) its private manage
 * link. `X-Max-Downloads: N` (or `?maxDownloads=N`) limits the file to N complete downloads;
 * `X-Retention` (`?retention=`) or `X-Expires-At` (`?expiresAt=`, a date) sets its expiry.
 * The body streams into the store; a failed upload is removed (a PUT cannot be resumed).
 * @module
 */
import {
  clientExtra,
  type FileMeta,
  formatFileRef,
  MAX_DOWNLOADS_KEY,
  type NewFile,
  newBucketId,
  newFileId,
  PsiError,
  parseFileName,
} from '@psitransfer/core'
import type { Context } from 'hono'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts, publicOrigin } from '../http/client.js'
import { bodySignal, requestBody } from '../http/send.js'
import { kdfRunner, requireServicePassword } from '../security/auth.js'
import { hashPassword } from '../security/passwords.js'
import { BUCKET_TOKEN_HEADER } from '../upload/bucket-ids.js'
import { uploadCompleted } from '../upload/complete.js'
import { issueManageToken, MANAGE_URL_HEADER, manageUrl } from '../upload/manage-secret.js'
import { checkFileSize, initialExpiry, uploadRetention } from '../upload/rules.js'

/** Stops the body with 413 once it passes `max` bytes (for bodies without Content-Length). */
async function* capped(body: AsyncIterable<Uint8Array>, max: number | null): AsyncGenerator<Uint8Array> {
  let seen = 0
  for await (const chunk of body) {
    seen += chunk.byteLength
    if (max !== null && seen > max) {
      throw new PsiError('TOO_LARGE', `File is larger than the maximum file size of ${max} bytes`)
    }
    yield chunk
  }
}

export async function putUpload(c: Context<AppEnv>, deps: AppDeps, rawName: string): Promise<Response> {
  const { config, store, clock } = deps
  await requireServicePassword(c, deps, config.uploadPass, 'upload')
  // Hono already percent-decoded the path parameter.
  const name = parseFileName(rawName)
  const lengthHeader = c.req.header('content-length')
  let length: number | null = null
  if (lengthHeader !== undefined) {
    if (!/^\d{1,16}$/.test(lengthHeader)) throw new PsiError('INVALID_INPUT', 'Invalid Content-Length')
    length = Number(lengthHeader)
  }
  checkFileSize(length, config)
  const createdAt = clock.now()
  // As in Upload-Metadata: a listed retention (or until-deleted), or a chosen expiry date.
  const retention = uploadRetention(
    {
      retention: c.req.header('x-retention') ?? c.req.query('retention'),
      expiresAt: c.req.header('x-expires-at') ?? c.req.query('expiresAt'),
    },
    createdAt,
    config,
  )
  const extra = clientExtra({
    [MAX_DOWNLOADS_KEY]: c.req.header('x-max-downloads') ?? c.req.query('maxDownloads') ?? '',
  })
  const password = c.req.header('x-download-pass') || undefined
  if (config.requireBucketPassword && !password) {
    throw new PsiError('INVALID_INPUT', 'A password is required (header x-download-pass)')
  }
  if (config.maxBucketSize !== null && length !== null && length > config.maxBucketSize) {
    throw new PsiError(
      'TOO_LARGE',
      `Bucket would be larger than the maximum bucket size of ${config.maxBucketSize} bytes`,
    )
  }
  // Hashing costs a KDF worker: admitted per client like every password check (429/503).
  const hash = password
    ? await kdfRunner(honoFacts(c, deps.logger), deps)(() => hashPassword(password))
    : undefined
  const ref = { sid: newBucketId(), key: newFileId() }
  // A fresh random id, marked used so that, once its file is gone, nobody uploads into it.
  const token = await deps.bucketIds.take(ref.sid)
  if (token === undefined) throw new PsiError('INTERNAL', 'Could not reserve a new bucket id; try again')
  const file: NewFile = {
    ...ref,
    name,
    relativePath: '',
    comment: '',
    type: c.req.header('content-type') ?? '',
    retention,
    ...(hash ? { password: hash } : {}),
    uploadLength: length,
    createdAt,
    expiresAt: initialExpiry(createdAt, retention, config),
    bucketLocked: true,
    extra,
  }
  const limit = Math.min(
    config.maxFileSize ?? Number.POSITIVE_INFINITY,
    config.maxBucketSize ?? Number.POSITIVE_INFINITY,
  )
  const body = capped(requestBody(c) ?? (async function* () {})(), Number.isFinite(limit) ? limit : null)
  const signal = bodySignal(c)
  deps.metrics.activeUploads++
  let created = false
  try {
    let done: FileMeta
    if (length !== null && store.createComplete) {
      // A PUT is all or nothing anyway: with its length known, the store takes it in one go.
      done = await store.createComplete(file, body, signal ? { signal } : {})
      deps.metrics.inc('psitransfer_uploads_created_total')
      deps.metrics.inc('psitransfer_upload_bytes_total', {}, length)
    } else {
      await store.create(file)
      created = true
      deps.metrics.inc('psitransfer_uploads_created_total')
      const offset = await store.append(ref, body, 0, signal ? { signal } : {})
      deps.metrics.inc('psitransfer_upload_bytes_total', {}, offset)
      if (length !== null && offset !== length) {
        throw new PsiError('ABORTED', `The body ended after ${offset} of ${length} bytes`)
      }
      if (length === null) await store.update(ref, { uploadLength: offset })
      done = await store.complete(ref)
    }
    // The retention expiry, the counter and the webhook, as for a TUS upload.
    await uploadCompleted(deps, done)
  } catch (err) {
    if (created) await store.delete(ref).catch(() => {})
    await deps.bucketIds.release(ref.sid)
    throw err
  } finally {
    deps.metrics.activeUploads--
  }
  c.get('log')?.info({ id: formatFileRef(ref), name }, 'file uploaded with PUT')
  // As for TUS: the uploader's proof for the bucket (which PUT locks at once).
  c.header(BUCKET_TOKEN_HEADER, token)
  const origin = publicOrigin(c, config.trustProxy)
  const share = `${origin}${config.baseUrl}${ref.sid}\n`
  // Nobody else knows the new id yet: no bucket lock needed for the mark.
  const manage = await issueManageToken(deps, ref.sid, { locked: true }).catch((err: unknown) => {
    c.get('log')?.warn({ err, sid: ref.sid }, 'could not make a manage link')
    return undefined
  })
  if (manage === undefined) return c.text(share, 201)
  const url = manageUrl(origin, config.baseUrl, ref.sid, manage)
  c.header(MANAGE_URL_HEADER, url)
  // The share link stays the first line (scripts read it); the manage link is the owner's only.
  return c.text(`${share}Manage (keep private): ${url}\n`, 201)
}
