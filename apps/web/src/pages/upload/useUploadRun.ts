import { decodeKey, linkWithKey } from '@psitransfer/e2e'
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { Api } from '../../api/client.js'
import { editBucket, issueManageLink } from '../../api/manage.js'
import type { ClientConfig } from '../../api/types.js'
import { newE2ESession } from '../../e2e/session.js'
import { encryptingFactory, saltOf } from '../../e2e/upload.js'
import { useI18n } from '../../i18n/context.js'
import { newBucketToken } from '../../lib/ids.js'
import { looksLikeAddress } from '../../lib/mail.js'
import { customProblem, expiryOf, ONE_TIME, UNTIL_DELETED } from '../../lib/retention.js'
import { rememberShare } from '../../lib/shares.js'
import { withDirectUploads } from '../../upload/direct-s3.js'
import { UploadQueue } from '../../upload/queue.js'
import { clearSession, saveSession, storedUploadUrls, type UploadSession } from '../../upload/session.js'
import { tusFactory } from '../../upload/tus.js'
import { mailErrorText } from '../manage/ShareMailForm.js'
import type { DoneInfo } from './DonePanel.js'
import { sameFile, sessionFiles } from './entries.js'
import { errorText, passwordProblem } from './messages.js'
import type { BucketDraft } from './useBucketDraft.js'
import { useFrameRefresh } from './useFrameRefresh.js'

export type RunPhase =
  | { kind: 'edit' }
  | { kind: 'uploading' }
  | { kind: 'locking' }
  | { kind: 'lockFailed'; message: string }
  | ({ kind: 'done' } & DoneInfo)

interface Options {
  api: Api
  config: ClientConfig | null
  uploadPass: string | undefined
  draft: BucketDraft
  local: Storage | null
}

/**
 * Uploading the draft: the queue that sends its files, the session saved so a reload can continue, the
 * lock that finishes the bucket, and starting over.
 */
export function useUploadRun({ api, config, uploadPass, draft, local }: Options) {
  const { t, lang } = useI18n()
  const [phase, setPhase] = useState<RunPhase>({ kind: 'edit' })
  const queueRef = useRef<UploadQueue | null>(null)
  // The bucket key of an encrypted upload: it goes into the share link's fragment, nowhere else.
  const keyRef = useRef<Uint8Array | null>(null)
  // Re-render on queue progress at most once per frame.
  const refresh = useFrameRefresh()
  const { sid, retention, password, maxDownloads, restored, entries } = draft
  const notifyEmail = config?.mail ? draft.notifyEmail.trim() : ''

  const lock = async (c: ClientConfig) => {
    setPhase({ kind: 'locking' })
    try {
      // Only the bucket's uploader may lock it: the token its first creation answered.
      await api.lock(c.tusEndpoint, sid, uploadPass, queueRef.current?.bucketToken)
    } catch (e) {
      setPhase({ kind: 'lockFailed', message: errorText(e, t) })
      return
    }
    if (local) clearSession(local, sid)
    const names = queueRef.current?.entries.map((e) => e.name) ?? []
    const token = queueRef.current?.bucketToken
    queueRef.current = null
    const expiresAt = expiryOf(retention, Date.now())
    // The uploader's manage link, kept in this browser ("My shares"); the share works without it.
    const manage = token ? await issueManageLink(api, sid, token).catch(() => undefined) : undefined
    if (manage) {
      rememberShare(local, {
        sid,
        token: manage.manageToken,
        createdAt: Date.now(),
        expiresAt,
        names: names.slice(0, 5),
      })
    }
    // The first-download notice: the uploader's own address goes with the bucket (manage API).
    let notify: { notifyTo: string } | { notifyError: string } | undefined
    if (notifyEmail && manage) {
      notify = await editBucket(api, sid, manage.manageToken, { notifyEmail, lang }).then(
        () => ({ notifyTo: notifyEmail }),
        (e: unknown) => ({ notifyError: t('notifyFailed', { message: mailErrorText(e, t) }) }),
      )
    } else if (notifyEmail) notify = { notifyError: t('notifyFailed', { message: t('networkError') }) }
    const url = new URL(encodeURIComponent(sid), api.base).href
    setPhase({
      kind: 'done',
      url: keyRef.current ? linkWithKey(url, keyRef.current) : url,
      encrypted: keyRef.current !== null,
      expiresAt,
      oneTime: retention === ONE_TIME,
      untilDeleted: retention === UNTIL_DELETED,
      protected: password !== '',
      sid,
      ...(manage ? { manageUrl: manage.manageUrl, manageToken: manage.manageToken } : {}),
      ...notify,
      ...(retention !== ONE_TIME && maxDownloads ? { maxDownloads: Number(maxDownloads) } : {}),
    })
  }

  const start = () => {
    if (!config) return
    const problem = passwordProblem(password, config.requireBucketPassword, t)
    if (problem) {
      draft.setPasswordError(problem)
      document.getElementById('bucket-password')?.focus()
      return
    }
    draft.setPasswordError(undefined)
    // A chosen date that passed while the page was open (the form shows why). A resumed
    // session's settings are fixed: the server judges its files.
    if (!restored && customProblem(retention, config.maxAge, Date.now())) {
      document.getElementById('custom-expiry')?.focus()
      return
    }
    if (notifyEmail && !looksLikeAddress(notifyEmail)) {
      draft.setNotifyError(t('mailInvalid'))
      document.getElementById('notify-email')?.focus()
      return
    }
    // The bucket may exist already (an earlier start, or a session restored after a reload);
    // a new one gets a token made here, saved with the session before its first request.
    const knownToken =
      queueRef.current?.bucketToken ??
      (restored?.sid === sid ? restored.bucketToken : undefined) ??
      (restored?.sid === sid ? undefined : newBucketToken())
    const session: UploadSession = {
      v: 1,
      sid,
      retention,
      ...(maxDownloads ? { maxDownloads } : {}),
      ...(notifyEmail ? { notifyEmail } : {}),
      password,
      ...(knownToken ? { bucketToken: knownToken } : {}),
      createdAt: restored?.createdAt || Date.now(),
      files: sessionFiles(entries),
    }
    // Encrypted: the key (and the salts) of the restored session, else a new key for the new bucket.
    if (config.e2e && draft.encrypt)
      session.e2e = (restored?.sid === sid ? restored.e2e : undefined) ?? newE2ESession()
    const e2e = session.e2e
    keyRef.current = e2e ? decodeKey(e2e.key) : null
    if (local) saveSession(local, session)
    const tus = tusFactory({
      endpoint: new URL(config.tusEndpoint, api.base).href,
      chunkSize: config.chunkSize && config.chunkSize > 0 ? config.chunkSize : 5_000_000,
      uploadPass,
    })
    const queue = new UploadQueue(
      entries.map((e) => ({ ...e })),
      {
        sid,
        retention,
        // One-time is the limit 1 already.
        ...(maxDownloads && retention !== ONE_TIME ? { maxDownloads } : {}),
        password,
        ...(session.bucketToken ? { bucketToken: session.bucketToken } : {}),
        onBucketToken: (token) => {
          // Kept with the session: after a reload, the remaining files and the lock need it.
          session.bucketToken = token
          if (local) saveSession(local, session)
        },
        // Encrypted files go through TUS (their ciphertext is made chunk by chunk); plain large
        // files straight to S3 when the server offers it, with TUS as the fallback.
        factory: e2e
          ? encryptingFactory(tus, {
              key: decodeKey(e2e.key),
              saltFor: (fp) => saltOf(e2e, fp, () => local && saveSession(local, session)),
            })
          : withDirectUploads(config.directUpload, api.base, tus, {
              ...(uploadPass ? { uploadPass } : {}),
              storage: local,
            }),
        isOnline: () => navigator.onLine,
        onChange: refresh,
        onFileDone: (e) => {
          const f = session.files.find((s) => sameFile(s, e))
          if (f) f.done = true
          if (local) saveSession(local, session)
        },
        onAllDone: () => void lock(config),
      },
    )
    queueRef.current = queue
    setPhase({ kind: 'uploading' })
    queue.pump()
  }

  /** Stops everything and begins a new bucket; `terminate` also abandons the unfinished one on the server. */
  const reset = async (terminate: boolean) => {
    const q = queueRef.current
    queueRef.current = null
    await q?.stop()
    if (local && terminate) {
      // Best effort: free the server from the abandoned partial uploads; the sweeper gets any we miss.
      for (const url of storedUploadUrls(local, sid)) api.terminate(url, uploadPass).catch(() => {})
    }
    if (local) clearSession(local, terminate ? sid : undefined)
    draft.clear(config)
    setPhase({ kind: 'edit' })
  }

  // Move focus to the result so keyboard and screen reader users notice the change. A layout effect
  // moves it in the same commit that shows the panel, before a key press can land on the old focus.
  useLayoutEffect(() => {
    if (phase.kind === 'done') document.getElementById('done-title')?.focus()
  }, [phase.kind])

  return {
    phase,
    /** The running (or last started) queue; `null` while editing and after the bucket is finished. */
    queue: queueRef.current,
    /** Whether leaving the page now would abandon uploads in progress. */
    busy: () => queueRef.current?.running === true,
    online: () => queueRef.current?.online(),
    start,
    retryLock: () => {
      if (config) void lock(config)
    },
    reset,
  }
}
