/**
 * The uploader's manage API, `{B}api/manage/{sid}`, authenticated by the bucket's manage secret
 * (header `X-Manage-Token`, see `upload/manage-secret.ts`):
 * - `POST`: a new manage secret, for the bucket's uploader (`X-Bucket-Token`, or the current
 *   manage secret); the old one stops working. 201 `{manageToken, manageUrl}`.
 * - `GET`: the bucket's state: files with download counts, limits, last download, expiry.
 * - `PATCH` `{expiresAt?, password?, locked?, notifyEmail?, lang?}`: new expiry (capped per file
 *   at `createdAt + maxAge`), new password (`null` removes it), lock or unlock (unlocked, the
 *   holder of the manage secret adds files with it as `X-Bucket-Token`, then locks again), the
 *   uploader's own address for the first-download notice (`null` removes it; `lang` its
 *   language; see `upload/download-notice.ts`). Answers the state.
 * - `DELETE`: every file of the bucket; `DELETE …/files/{key}`: one file.
 * - `POST …/mail` `{to, message?, lang?}`: the server mails the share link (never the manage
 *   link) to `to`, when `smtpUrl` is configured; 202 once queued, 10 per bucket and hour.
 * Edits run under the bucket's lock (admission sees them whole) and each file's lock (download
 * claims write the same records), both shared across instances on shared stores.
 * @module
 */
import {
  type BucketId,
  downloadLimit,
  downloadsLeft,
  type FileMeta,
  isOneTime,
  isPsiError,
  NotFoundError,
  PsiError,
  parseBucketId,
  parseFileId,
  withLock,
} from '@psitransfer/core'
import type { Context, Hono } from 'hono'
import {
  type MailQueuedBody,
  ManageEdit,
  type ManageEditBody,
  type ManageLinkBody,
  ManageMail,
  type ManageStateBody,
  parseBody,
  readJson,
} from '../api/schemas.js'
import { fileSize, liveFiles, servableFiles } from '../bucket.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts, publicOrigin } from '../http/client.js'
import { pickLanguage } from '../i18n.js'
import { parseAddress } from '../mail/address.js'
import { shareMail } from '../mail/messages.js'
import { failureDelay, kdfRunner } from '../security/auth.js'
import { hashPassword } from '../security/passwords.js'
import { BUCKET_TOKEN_HEADER } from '../upload/bucket-ids.js'
import { completedOrAsIs } from '../upload/complete.js'
import { noticeOf, setNoticeAddress } from '../upload/download-notice.js'
import { isEncrypted } from '../upload/encrypted.js'
import {
  issueManageToken,
  MANAGE_TOKEN_HEADER,
  MANAGE_URL_HEADER,
  manageUrl,
  verifyManageToken,
} from '../upload/manage-secret.js'
import { changeRequest, readRequest, requestView } from '../upload/requests.js'
import { bucketLockId } from '../upload/rules.js'
import { withFileLock } from './download-claims.js'

/** Registers the routes below `{B}api/manage/`. */
export function registerManageRoutes(app: Hono<AppEnv>, deps: AppDeps, base: string): void {
  const path = `${base}api/manage/:sid`
  const sidOf = (c: Context<AppEnv>) => c.req.param('sid') ?? ''
  app.post(path, (c) => issueToken(c, deps, sidOf(c)))
  app.get(path, (c) => manageState(c, deps, sidOf(c)))
  app.patch(path, (c) => editBucket(c, deps, sidOf(c)))
  app.delete(path, (c) => deleteBucket(c, deps, sidOf(c)))
  app.delete(`${path}/files/:key`, (c) => deleteFile(c, deps, sidOf(c), c.req.param('key') ?? ''))
  app.post(`${path}/mail`, (c) => mailShareLink(c, deps, sidOf(c)))
}

async function requireManager(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<BucketId> {
  const sid = parseBucketId(rawSid)
  c.header('Cache-Control', 'no-store')
  const token = c.req.header(MANAGE_TOKEN_HEADER)
  if (!token) throw new PsiError('UNAUTHORIZED', `Send the bucket's manage secret in ${MANAGE_TOKEN_HEADER}`)
  if (!(await verifyManageToken(deps, sid, token))) {
    await failureDelay(deps)
    throw new PsiError('FORBIDDEN', 'This manage link is wrong or has expired')
  }
  return sid
}

function underBucketLock<T>(c: Context<AppEnv>, deps: AppDeps, sid: BucketId, fn: () => Promise<T>) {
  return withLock(deps.bucketLocker, bucketLockId(sid), { waitMs: 15_000, signal: c.req.raw.signal }, fn)
}

async function issueToken(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = parseBucketId(rawSid)
  c.header('Cache-Control', 'no-store')
  const proof = c.req.header(BUCKET_TOKEN_HEADER) || c.req.header(MANAGE_TOKEN_HEADER)
  const state = await deps.bucketIds.check(sid, proof)
  if (state === 'fresh') throw new NotFoundError('Bucket not found or expired')
  if (state !== 'owner') {
    await failureDelay(deps)
    throw new PsiError(
      'FORBIDDEN',
      `Only the bucket's uploader gets a manage link (send ${BUCKET_TOKEN_HEADER} or ${MANAGE_TOKEN_HEADER})`,
    )
  }
  const token = await underBucketLock(c, deps, sid, () => issueManageToken(deps, sid, { locked: true }))
  if (!token) throw new NotFoundError('Bucket not found or expired')
  const url = manageUrl(publicOrigin(c, deps.config.trustProxy), deps.config.baseUrl, sid, token)
  c.header(MANAGE_URL_HEADER, url)
  return c.json({ manageToken: token, manageUrl: url } satisfies ManageLinkBody, 201)
}

/** Latest expiry the owner may set for a file (`null`: no `maxAge`, no cap). */
function expiryCap(deps: AppDeps, meta: FileMeta): number | null {
  return deps.config.maxAge === null ? null : meta.createdAt + deps.config.maxAge * 1000
}

async function stateOf(c: Context<AppEnv>, deps: AppDeps, sid: BucketId): Promise<ManageStateBody> {
  const now = deps.clock.now()
  const files = await servableFiles(deps.store, sid, now, (m) => completedOrAsIs(deps, m))
  const expiries = files.map((f) => f.expiresAt)
  // The upload request this bucket was made for, if any (its files arrive through it).
  const request = await readRequest(deps, sid)
  return {
    sid,
    shareUrl: `${publicOrigin(c, deps.config.trustProxy)}${deps.config.baseUrl}${sid}`,
    locked: files.some((f) => f.bucketLocked),
    protected: files.some((f) => !!f.password),
    expiresAt: files.length === 0 || expiries.includes(null) ? null : Math.max(...(expiries as number[])),
    maxAge: deps.config.maxAge,
    request: request ? await requestView(deps, sid, request) : null,
    /** The server sends e-mail (share links, the first-download notice). */
    mail: deps.mailer !== undefined,
    // The uploader's own notice settings (only ever shown here, to the manage secret's holder).
    ...noticeOf((await deps.bucketIds.markRecord(sid))?.extra),
    files: files.map((f) => ({
      key: f.key,
      name: f.name,
      relativePath: f.relativePath,
      type: f.type,
      size: fileSize(f),
      createdAt: f.createdAt,
      expiresAt: f.expiresAt,
      maxExpiresAt: expiryCap(deps, f),
      oneTime: isOneTime(f),
      downloads: f.downloads,
      lastDownload: f.lastDownload,
      downloadLimit: downloadLimit(f),
      downloadsLeft: downloadsLeft(f),
    })),
  }
}

async function manageState(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = await requireManager(c, deps, rawSid)
  return c.json(await stateOf(c, deps, sid))
}

async function editBucket(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = await requireManager(c, deps, rawSid)
  const edit: ManageEditBody = parseBody(
    ManageEdit,
    await readJson(c.req),
    '{expiresAt?, password?, locked?, notifyEmail?, lang?}',
  )
  const now = deps.clock.now()
  if (edit.expiresAt !== undefined && edit.expiresAt <= now) {
    throw new PsiError('INVALID_INPUT', 'The new expiry must lie in the future; delete the bucket instead')
  }
  if (edit.password === null && deps.config.requireBucketPassword) {
    throw new PsiError('INVALID_INPUT', 'This server requires a password for every bucket')
  }
  // The notice address: one plain address (nothing that could add a header or recipient).
  // `null` or empty removes it.
  let notify: string | null | undefined
  if (edit.notifyEmail !== undefined)
    notify = edit.notifyEmail?.trim() ? parseAddress(edit.notifyEmail) : null
  if (typeof notify === 'string' && !deps.mailer) {
    throw new PsiError('INVALID_INPUT', 'This server sends no e-mail (smtpUrl is not configured)')
  }
  const fileEdit = edit.expiresAt !== undefined || edit.password !== undefined || edit.locked !== undefined
  // Hashing costs a KDF worker: admitted per client, and done before the bucket's lock is taken.
  const newPassword = edit.password
  const hash =
    typeof newPassword === 'string'
      ? await kdfRunner(honoFacts(c, deps.logger), deps)(() => hashPassword(newPassword))
      : undefined
  await underBucketLock(c, deps, sid, async () => {
    const files = await liveFiles(deps.store, sid, deps.clock.now())
    if (files.length === 0) throw new NotFoundError('This bucket has no files left')
    if (notify !== undefined) {
      const lang = pickLanguage(edit.lang, c.req.header('accept-language'), deps.config.defaultLanguage)
      await setNoticeAddress(deps, sid, notify, lang)
    }
    if (!fileEdit) return
    // Locking goes to the shared ledger first (admissions read it), unlocking last.
    if (edit.locked === true) await deps.buckets.ledgers?.lock(sid)
    for (const f of files) {
      await withFileLock(deps, f, async () => {
        const current = await deps.store.info(f)
        const cap = expiryCap(deps, current)
        await deps.store.update(f, {
          ...(edit.locked !== undefined ? { bucketLocked: edit.locked } : {}),
          ...(edit.password !== undefined ? { password: hash } : {}),
          // Unfinished uploads keep their upload expiry; completion sets their retention.
          ...(edit.expiresAt !== undefined && current.complete
            ? { expiresAt: cap === null ? edit.expiresAt : Math.min(edit.expiresAt, cap) }
            : {}),
        })
      }).catch((err: unknown) => {
        // Deleted meanwhile (downloaded for the last time): nothing to change.
        if (!(isPsiError(err) && err.code === 'NOT_FOUND')) throw err
      })
    }
    // Files still to come through the bucket's upload request get the new password too.
    if (edit.password !== undefined) await changeRequest(deps, sid, (r) => ({ ...r, password: hash ?? null }))
    // The shared ledger counts expiry, password and lock: it must follow the files.
    if (edit.locked !== true) await deps.buckets.ledgers?.rebuild(sid)
    deps.buckets.invalidate(sid)
  })
  // The keys only: never the password or the address.
  c.get('log')?.info({ sid, edit: Object.keys(edit) }, 'bucket changed through its manage link')
  return c.json(await stateOf(c, deps, sid))
}

async function deleteRefs(deps: AppDeps, sid: BucketId, files: readonly FileMeta[]): Promise<void> {
  let failed = 0
  for (const f of files) {
    await deps.store.delete(f).catch((err: unknown) => {
      if (isPsiError(err) && err.code === 'NOT_FOUND') return
      failed++
      deps.logger.warn({ err, sid, key: f.key }, 'manage delete: a file could not be deleted')
    })
  }
  deps.buckets.invalidate(sid)
  if (failed > 0)
    throw new PsiError('STORE_UNAVAILABLE', `${failed} of ${files.length} files could not be deleted; retry`)
}

async function deleteBucket(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = await requireManager(c, deps, rawSid)
  const files: FileMeta[] = []
  for await (const m of deps.store.list({ sid })) if (m.sid === sid) files.push(m)
  if (files.length === 0) throw new NotFoundError('This bucket has no files left')
  // The bucket id stays taken (its mark lives on until maxAge): nobody else uploads into it.
  await deleteRefs(deps, sid, files)
  c.get('log')?.info({ sid, files: files.length }, 'bucket deleted through its manage link')
  return c.body(null, 204)
}

async function deleteFile(
  c: Context<AppEnv>,
  deps: AppDeps,
  rawSid: string,
  rawKey: string,
): Promise<Response> {
  const sid = await requireManager(c, deps, rawSid)
  const key = parseFileId(rawKey)
  const meta = await deps.store.info({ sid, key }).catch((err: unknown) => {
    if (isPsiError(err) && err.code === 'NOT_FOUND') throw new NotFoundError('File not found')
    throw err
  })
  await deleteRefs(deps, sid, [meta])
  c.get('log')?.info({ sid, key }, 'file deleted through its manage link')
  return c.body(null, 204)
}

/** `POST …/mail`: the share link by mail, from the server (see the module comment). */
async function mailShareLink(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = await requireManager(c, deps, rawSid)
  const { mailer } = deps
  if (!mailer) throw new NotFoundError('This server sends no e-mail (smtpUrl is not configured)')
  const mail = parseBody(ManageMail, await readJson(c.req), '{to, message?, lang?}')
  const state = await stateOf(c, deps, sid)
  if (state.files.length === 0) throw new NotFoundError('Bucket not found or expired')
  const files = await servableFiles(deps.store, sid, deps.clock.now())
  if (files.some(isEncrypted)) {
    // Its link is useless without the key, and the key must never reach the server.
    throw new PsiError(
      'INVALID_INPUT',
      'This share is end-to-end encrypted: its key never reaches the server, so the server cannot mail a working link. Send the link yourself.',
    )
  }
  const lang = pickLanguage(mail.lang, c.req.header('accept-language'), deps.config.defaultLanguage)
  const content = shareMail(lang, {
    link: state.shareUrl,
    message: mail.message,
    expires: state.expiresAt,
  })
  // The address is checked (400) before the quota counts it.
  parseAddress(mail.to)
  if (!mailer.take(sid))
    throw new PsiError('RATE_LIMITED', 'Too many mails for this share; try again in an hour')
  mailer.send('share', mail.to, lang, content)
  return c.json({ queued: true } satisfies MailQueuedBody, 202)
}
