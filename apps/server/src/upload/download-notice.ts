/**
 * The first-download notice: an uploader may leave their own address with the bucket (manage
 * PATCH `notifyEmail`); the first complete download of the bucket (any file, or an archive)
 * mails them once, in the language they chose; the `firstDownload` webhook
 * (`firstDownloadWebhook`) tells of it too, with or without an address.
 *
 * Everything lives in the bucket's mark (`bucket-ids.ts`), like the manage secret's hash: it
 * holds across instances and restarts, expires with the mark, and routes never see marks, so
 * the address is in no listing, archive or admin answer. "Once" is a flag in the mark
 * ({@link FIRST_DOWNLOAD_KEY}) claimed under the bucket's lock (`bucketLockId`, shared across
 * instances on shared stores): of parallel first downloads on any instances exactly one finds
 * it unset and sets it. The flag is claimed by the first download whether or not an address is
 * set, so a notice never claims a "first" download that was not the first.
 *
 * The mail goes to the uploader, so it may point to the manage page; the server keeps only the
 * manage secret's hash, so the link carries no secret: it opens in the browser that keeps the
 * share ("My shares"), and nobody else can use it.
 * @module
 */
import { type BucketId, type FileMeta, withLock } from '@psitransfer/core'
import { liveFiles, publicFile } from '../bucket.js'
import { type Language, normalizeLanguage } from '../i18n.js'
import type { Mailer } from '../mail/mailer.js'
import { downloadedMail } from '../mail/messages.js'
import type { UploadDeps } from './deps.js'
import { bucketLockId } from './rules.js'

/** Mark `extra` keys: the uploader's address (`''`: none), its language, the first download (ms). */
export const NOTIFY_EMAIL_KEY = 'notifyEmail'
export const NOTIFY_LANG_KEY = 'notifyLang'
export const FIRST_DOWNLOAD_KEY = 'firstDownloadAt'

export interface NoticeDeps extends UploadDeps {
  mailer?: Mailer
}

/** The notice settings of a mark's `extra`, as the manage state shows them to the uploader. */
export function noticeOf(extra: Record<string, string> | undefined): {
  notifyEmail: string | null
  firstDownloadAt: number | null
} {
  const at = Number(extra?.[FIRST_DOWNLOAD_KEY])
  return {
    notifyEmail: extra?.[NOTIFY_EMAIL_KEY] || null,
    firstDownloadAt: Number.isSafeInteger(at) && at > 0 ? at : null,
  }
}

/**
 * Sets the uploader's address (checked by the caller with `parseAddress`) or removes it
 * (`null`). Call under the bucket's lock, like every write of the mark. `false` without a mark.
 */
export function setNoticeAddress(
  deps: UploadDeps,
  sid: BucketId,
  address: string | null,
  lang: Language,
): Promise<boolean> {
  return deps.bucketIds.setMarkExtra(sid, {
    [NOTIFY_EMAIL_KEY]: address ?? '',
    [NOTIFY_LANG_KEY]: address ? lang : '',
  })
}

/**
 * Per server (keyed by its `bucketIds`): buckets whose first download was claimed, which never
 * changes back while the mark lives, so later downloads skip reading the mark.
 */
const seen = new WeakMap<object, Set<string>>()
const MAX_REMEMBERED = 10_000

function claimedSet(deps: UploadDeps): Set<string> {
  const known = seen.get(deps.bucketIds)
  if (known) return known
  const set = new Set<string>()
  seen.set(deps.bucketIds, set)
  return set
}

/**
 * After a complete download of `downloaded` (files of bucket `sid`): claims the bucket's first
 * download and, for the one caller that wins it, sends the notice and the webhook. `origin` is
 * the public origin of the request (for the manage page link). Never throws: a notice must not
 * break a download that already went out.
 */
export async function noticeFirstDownload(
  deps: NoticeDeps,
  sid: BucketId,
  downloaded: readonly FileMeta[],
  origin: string,
): Promise<void> {
  const { config, mailer } = deps
  // Nobody to tell: no read of the mark at all.
  if (!mailer && !config.firstDownloadWebhook) return
  const claimed = claimedSet(deps)
  if (claimed.has(sid)) return
  const remember = (id: string) => {
    if (claimed.size >= MAX_REMEMBERED) claimed.clear()
    claimed.add(id)
  }
  try {
    const before = await deps.bucketIds.markRecord(sid)
    if (!before) return
    if (noticeOf(before.extra).firstDownloadAt !== null) {
      remember(sid)
      return
    }
    const at = deps.clock.now()
    const won = await withLock(deps.bucketLocker, bucketLockId(sid), { waitMs: 15_000 }, async () => {
      // Read again under the lock: another download (here or on another instance) may have won.
      const mark = await deps.bucketIds.markRecord(sid)
      if (!mark || noticeOf(mark.extra).firstDownloadAt !== null) return undefined
      await deps.bucketIds.setMarkExtra(sid, { [FIRST_DOWNLOAD_KEY]: String(at) })
      return mark.extra
    })
    remember(sid)
    if (!won) return
    // The bucket's files as they are now, plus the downloaded ones (a one-time file is gone).
    const files = new Map<string, FileMeta>()
    for (const f of downloaded) files.set(f.key, f)
    for (const f of await liveFiles(deps.store, sid, at)) if (f.complete) files.set(f.key, f)
    const listed = [...files.values()].sort((a, b) => a.createdAt - b.createdAt)
    deps.webhooks.send(config.firstDownloadWebhook, 'firstDownload', {
      fid: sid,
      files: listed.map(publicFile),
      date: at,
    })
    const { notifyEmail } = noticeOf(won)
    if (!mailer || !notifyEmail) return
    const lang =
      normalizeLanguage(won[NOTIFY_LANG_KEY] ?? '') ?? normalizeLanguage(config.defaultLanguage) ?? 'en'
    const content = downloadedMail(lang, {
      at,
      files: listed.map((f) => (f.relativePath ? `${f.relativePath.replace(/\/$/, '')}/${f.name}` : f.name)),
      manageLink: `${origin}${config.baseUrl}manage/${sid}`,
    })
    mailer.send('downloaded', notifyEmail, lang, content)
  } catch (err) {
    deps.logger.warn({ err, sid }, 'the first-download notice could not be sent')
  }
}
