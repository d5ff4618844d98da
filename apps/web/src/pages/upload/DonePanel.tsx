import type { Api } from '../../api/client.js'
import { useI18n } from '../../i18n/context.js'
import { formatDate } from '../../lib/format.js'
import { buildMailto } from '../../lib/mail.js'
import { CopyButton } from '../../ui/CopyButton.js'
import { ShareMailForm } from '../manage/ShareMailForm.js'
import { Qr } from './Qr.js'

export interface DoneInfo {
  url: string
  expiresAt: number | null
  oneTime: boolean
  /** Kept until deleted (no expiry). */
  untilDeleted?: boolean
  protected: boolean
  /** End-to-end encrypted: the link holds the key. */
  encrypted?: boolean
  /** Complete downloads each file allows, when limited (besides one-time). */
  maxDownloads?: number
  /** The uploader's private manage link (absent when the server gave none). */
  manageUrl?: string
  /** The bucket id and its manage secret (for the server's mail route). */
  sid?: string
  manageToken?: string
  /** The address the first-download notice goes to, once the server took it. */
  notifyTo?: string
  /** Why the notice address could not be set (the upload itself succeeded). */
  notifyError?: string
}

interface Props extends DoneInfo {
  api: Api
  /** The server sends e-mail (config.json `mail`). */
  mailAvailable: boolean
  mailTemplate: string
  showQr: boolean
  /** The "My shares" page. */
  sharesUrl: string
  onNew(): void
}

export function DonePanel(p: Props) {
  const { t, locale } = useI18n()
  const expiry = p.oneTime
    ? t('expiresAfterDownload')
    : p.expiresAt
      ? t('expiresAt', { date: formatDate(p.expiresAt, locale) })
      : p.untilDeleted
        ? t('keptUntilDeleted')
        : ''
  const note = p.protected ? t('passwordNote') : undefined
  const mailto = buildMailto(p.mailTemplate || 'mailto:?body=%%URL%%', { url: p.url, expiry, note })
  const canShare = typeof navigator.share === 'function'
  return (
    <section class="card done" aria-labelledby="done-title">
      <h2 id="done-title" tabIndex={-1}>
        {t('doneTitle')}
      </h2>
      <div class="field">
        <label for="share-link">{t('shareLink')}</label>
        <div class="input-row">
          <input
            id="share-link"
            type="url"
            readOnly
            value={p.url}
            onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          />
          <CopyButton text={p.url} label={t('copyLink')} class="btn btn-primary" />
        </div>
      </div>
      {expiry && <p>{expiry}</p>}
      {p.maxDownloads !== undefined && <p>{t('downloadsLeft', { count: p.maxDownloads })}</p>}
      {note && <p class="muted">{note}</p>}
      {p.encrypted && <p class="muted">{t('e2eLinkNote')}</p>}
      {p.notifyTo && (
        <p class="status ok" role="status">
          {t('notifyActive', { email: p.notifyTo })}
        </p>
      )}
      {p.notifyError && (
        <p class="status error" role="alert">
          {p.notifyError}
        </p>
      )}
      <div class="actions">
        <a class="btn" href={mailto}>
          {t('sendMail')}
        </a>
        {canShare && (
          <button
            type="button"
            class="btn"
            onClick={() => navigator.share({ title: t('appName'), text: expiry, url: p.url }).catch(() => {})}
          >
            {t('shareNative')}
          </button>
        )}
        <button type="button" class="btn" onClick={p.onNew}>
          {t('newUpload')}
        </button>
      </div>
      {/* The key of an encrypted share never reaches the server: it cannot mail a working link. */}
      {p.mailAvailable && !p.encrypted && p.sid && p.manageToken && (
        <ShareMailForm api={p.api} sid={p.sid} token={p.manageToken} id="done-mail" />
      )}
      {p.manageUrl && (
        <div class="field manage-link">
          <label for="manage-link">{t('manageLink')}</label>
          <div class="input-row">
            <input
              id="manage-link"
              type="url"
              readOnly
              value={p.manageUrl}
              aria-describedby="manage-link-hint"
              onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
            />
            <CopyButton text={p.manageUrl} label={t('copyManageLink')} class="btn" />
          </div>
          <p class="hint" id="manage-link-hint">
            {t('manageLinkHint')} <a href={p.sharesUrl}>{t('mySharesTitle')}</a>
          </p>
        </div>
      )}
      {p.showQr && (
        <div class="qr-wrap">
          <Qr text={p.url} label={t('qrCode')} />
        </div>
      )}
    </section>
  )
}
