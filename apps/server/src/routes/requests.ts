/**
 * Upload requests (reverse shares, see `upload/requests.ts`), `{B}api/requests`:
 * - `POST` (whoever may upload: the upload password or the admin password in `x-passwd` when
 *   `uploadPass` is set, anyone otherwise) `{maxBytes?, maxFiles?, expiresAt?, retention?,
 *   message?, notify?, password?, lang?}` → 201 with the request link (for the people asked)
 *   and the manage link of the bucket the files land in (for the requester).
 * - `GET …/{sid}` with the request secret (`X-Request-Token`): what the request page shows;
 *   410 once closed or expired.
 * - `DELETE …/{sid}` with the bucket's manage secret (`X-Manage-Token`): closes the request;
 *   uploads already admitted may finish, new ones get 410.
 * The uploads themselves are TUS creations with `X-Request-Token` (`upload/hooks.ts`).
 * @module
 */
import { randomBytes } from 'node:crypto'
import {
  type BucketId,
  NotFoundError,
  newBucketId,
  PsiError,
  parseBucketId,
  withLock,
} from '@psitransfer/core'
import type { Context, Hono } from 'hono'
import { parseBody, RequestCreate } from '../api/schemas.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts, publicOrigin } from '../http/client.js'
import { pickLanguage } from '../i18n.js'
import { parseAddress } from '../mail/address.js'
import { failureDelay, kdfRunner, passwordCandidates, requireServicePassword } from '../security/auth.js'
import { hashPassword, safeEqual } from '../security/passwords.js'
import {
  MANAGE_TOKEN_HEADER,
  MANAGE_URL_HEADER,
  manageUrl,
  newManageSecret,
  verifyManageToken,
} from '../upload/manage-secret.js'
import {
  changeRequest,
  encodeRequest,
  newRequestSecret,
  REQUEST_TOKEN_HEADER,
  requestUrl,
  requestView,
  requireOpen,
  sha256Hex,
  type UploadRequest,
  verifyRequest,
} from '../upload/requests.js'
import { bucketLockId, parseRetention } from '../upload/rules.js'

/** Registers the routes below `{B}api/requests`. */
export function registerRequestRoutes(app: Hono<AppEnv>, deps: AppDeps, base: string): void {
  app.post(`${base}api/requests`, (c) => createRequest(c, deps))
  app.get(`${base}api/requests/:sid`, (c) => showRequest(c, deps, c.req.param('sid') ?? ''))
  app.delete(`${base}api/requests/:sid`, (c) => closeRequest(c, deps, c.req.param('sid') ?? ''))
}

/** Whoever may upload may ask for uploads; the admin password counts as the upload password. */
async function requireUploader(c: Context<AppEnv>, deps: AppDeps): Promise<void> {
  const { uploadPass, adminPass } = deps.config
  if (uploadPass === false) return
  const given = c.req.header('x-passwd')
  if (adminPass !== false && given && passwordCandidates(given).some((g) => safeEqual(g, adminPass))) return
  await requireServicePassword(c, deps, uploadPass, 'upload')
}

async function createRequest(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  c.header('Cache-Control', 'no-store')
  await requireUploader(c, deps)
  // An empty body asks with every default; a body that is not JSON gets the hint.
  const text = await c.req.text()
  let raw: unknown = {}
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text)
    } catch {
      raw = undefined
    }
  }
  const body = parseBody(
    RequestCreate,
    raw,
    'Send a JSON object: {maxBytes?, maxFiles?, expiresAt?, retention?, message?, notify?, password?, lang?}',
  )
  const { config } = deps
  const now = deps.clock.now()
  const retention = body.retention ?? config.defaultRetention
  parseRetention(retention, config)
  const latest = config.maxAge === null ? null : now + config.maxAge * 1000
  if (body.expiresAt != null) {
    if (body.expiresAt <= now) throw new PsiError('INVALID_INPUT', 'The request must expire in the future')
    if (latest !== null && body.expiresAt > latest) {
      throw new PsiError(
        'INVALID_INPUT',
        `The request may stay open at most ${Math.floor((config.maxAge ?? 0) / 86400)} days (maxAge)`,
        { details: { maxExpiresAt: latest } },
      )
    }
  }
  let notify: string | null = null
  if (body.notify != null && body.notify !== '') {
    if (!deps.mailer) {
      throw new PsiError('INVALID_INPUT', 'This server sends no e-mail: leave out the notification address')
    }
    notify = parseAddress(body.notify)
  }
  // The bucket is always protected (see `upload/requests.ts`): a password of the requester's,
  // or one made here and answered once.
  const generated = body.password === undefined ? randomBytes(9).toString('base64url') : undefined
  const password = body.password ?? (generated as string)
  const hash = await kdfRunner(honoFacts(c, deps.logger), deps)(() => hashPassword(password))
  const secret = newRequestSecret()
  const manage = newManageSecret(notify !== null)
  const origin = publicOrigin(c, config.trustProxy)
  const record: UploadRequest = {
    v: 1,
    secretSha256: sha256Hex(secret),
    createdAt: now,
    expiresAt: body.expiresAt ?? latest,
    maxBytes: body.maxBytes ?? null,
    maxFiles: body.maxFiles ?? null,
    retention,
    message: body.message ?? '',
    notify,
    lang: pickLanguage(body.lang, c.req.header('accept-language'), config.defaultLanguage),
    origin,
    password: hash,
    closedAt: null,
  }
  // A fresh id, taken with the request in its mark: one create, atomic on every store.
  let sid: BucketId | undefined
  for (let attempt = 0; attempt < 3 && !sid; attempt++) {
    const candidate = newBucketId()
    const taken = await deps.bucketIds.takeMark(candidate, undefined, {
      ...manage.extra,
      ...encodeRequest(record),
    })
    if (taken) sid = candidate
  }
  if (!sid) throw new PsiError('STORE_UNAVAILABLE', 'Could not make the request; try again')
  const manageLink = manageUrl(origin, config.baseUrl, sid, manage.token)
  c.header(MANAGE_URL_HEADER, manageLink)
  c.get('log')?.info({ sid }, 'upload request created')
  return c.json(
    {
      ...(await requestView(deps, sid, record)),
      requestUrl: requestUrl(origin, config.baseUrl, sid, secret),
      requestToken: secret,
      manageUrl: manageLink,
      manageToken: manage.token,
      shareUrl: `${origin}${config.baseUrl}${sid}`,
      ...(generated ? { password: generated } : {}),
    },
    201,
  )
}

async function showRequest(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = parseBucketId(rawSid)
  c.header('Cache-Control', 'no-store')
  const request = await verifyRequest(deps, sid, c.req.header(REQUEST_TOKEN_HEADER))
  requireOpen(request, deps.clock.now())
  return c.json(await requestView(deps, sid, request))
}

async function closeRequest(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  const sid = parseBucketId(rawSid)
  c.header('Cache-Control', 'no-store')
  const token = c.req.header(MANAGE_TOKEN_HEADER)
  if (!token) throw new PsiError('UNAUTHORIZED', `Send the bucket's manage secret in ${MANAGE_TOKEN_HEADER}`)
  if (!(await verifyManageToken(deps, sid, token))) {
    await failureDelay(deps)
    throw new PsiError('FORBIDDEN', 'This manage link is wrong or has expired')
  }
  // Under the bucket's lock: admissions read the request there, and the ledger is written there.
  const closed = await withLock(
    deps.bucketLocker,
    bucketLockId(sid),
    { waitMs: 15_000, signal: c.req.raw.signal },
    () => changeRequest(deps, sid, (r) => (r.closedAt === null ? { ...r, closedAt: deps.clock.now() } : r)),
  )
  if (!closed) throw new NotFoundError('This bucket has no upload request')
  c.get('log')?.info({ sid }, 'upload request closed')
  return c.body(null, 204)
}
