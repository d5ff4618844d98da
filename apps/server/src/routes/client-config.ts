/**
 * `GET {B}config.json` (what the web client needs to know) and `GET {B}lang.json` (PsiTransfer's
 * translation object and ours in one body).
 * @module
 */
import type { Context } from 'hono'
import type { ClientConfigBody } from '../api/schemas.js'
import { compatLangJson } from '../compat/lang.js'
import { retentionOrder } from '../config.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { LANGUAGES, pickLanguage } from '../i18n.js'
import { requireServicePassword } from '../security/auth.js'

export async function clientConfig(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  const { config } = deps
  await requireServicePassword(c, deps, config.uploadPass, 'upload')
  const order = retentionOrder(config.retentions)
  const retentions: Record<string, string> = {}
  for (const k of order) retentions[k] = config.retentions[k] as string
  c.header('Cache-Control', 'no-store')
  return c.json({
    retentions,
    /** Display order of `retentions` (JSON objects put numeric keys first, whatever the source order). */
    retentionOrder: order,
    defaultRetention: config.defaultRetention,
    /** The uploader may pick an expiry date (Upload-Metadata `expiresAt`) up to `maxAge` seconds ahead. */
    customExpiry: config.customExpiry,
    /** Seconds a file may live at most (`null`: no limit). */
    maxAge: config.maxAge,
    /** The retention `until-deleted` is accepted (files without expiry). */
    untilDeleted: config.allowNoExpiry && config.maxAge === null,
    mailTemplate: config.mailTemplate,
    requireBucketPassword: config.requireBucketPassword,
    maxFileSize: config.maxFileSize,
    maxBucketSize: config.maxBucketSize,
    disableQrCode: config.disableQrCode,
    /** The web app may offer end-to-end encryption (docs/encryption.md). */
    e2e: config.e2e,
    /** The server can mail share links (`smtpUrl` is configured; `POST api/manage/{sid}/mail`). */
    mail: deps.mailer !== undefined,
    maxPreviewSize: config.maxPreviewSize,
    tusEndpoint: `${config.uploadAppPath}files/`,
    chunkSize: config.chunkSize,
    /**
     * Direct-to-S3 uploads, when the store offers them (`storage.directUpload`): files of at
     * least `minSize` bytes go through `endpoint` (API.md "Direct-to-S3 uploads"); else `null`.
     */
    directUpload: deps.store.directUpload
      ? { endpoint: `${config.baseUrl}api/direct/`, minSize: config.directUploadMinSize }
      : null,
    /** Length of the bucket ids the web client generates (PsiTransfer's setting). */
    randomDownloadSidLength: config.randomDownloadSidLength,
    defaultLanguage: config.defaultLanguage,
    languages: [...LANGUAGES],
  } satisfies ClientConfigBody)
}

export function langJson(c: Context<AppEnv>, deps: AppDeps): Response {
  const lang = pickLanguage(c.req.query('lang'), c.req.header('accept-language'), deps.config.defaultLanguage)
  c.header('Cache-Control', 'public, max-age=300')
  c.header('Vary', 'Accept-Language')
  // PsiTransfer's flat translation object (its pages read it) with our `{ lang, messages }` beside it.
  return c.json(compatLangJson(lang, deps.config.retentions))
}
