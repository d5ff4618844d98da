import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../../api/http.js'
import {
  deleteManagedBucket,
  deleteManagedFile,
  editBucket,
  type ManagedBucket,
  type ManageEdit,
  manageState,
} from '../../api/manage.js'
import { closeRequest } from '../../api/requests.js'
import { useI18n } from '../../i18n/context.js'
import { formatBytes, formatDate } from '../../lib/format.js'
import { looksLikeAddress } from '../../lib/mail.js'
import { displayPath } from '../../lib/paths.js'
import { localInput } from '../../lib/retention.js'
import { forgetShare, loadShares, rememberShare } from '../../lib/shares.js'
import { storage } from '../../lib/storage.js'
import { CopyButton } from '../../ui/CopyButton.js'
import { PasswordField } from '../../ui/PasswordField.js'
import type { PageProps } from '../page.js'
import { addFilesToShare } from './addFiles.js'
import { ShareMailForm } from './ShareMailForm.js'

type Phase =
  | { kind: 'loading' }
  | { kind: 'invalid' }
  | { kind: 'deleted' }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; bucket: ManagedBucket; busy: boolean; notice?: string; error?: string }

/** One share, managed with the secret in the link's fragment (never sent in a URL). */
export function ManagePage({ api, route }: PageProps) {
  const { t, locale, lang } = useI18n()
  const sid = route.page === 'manage' ? route.sid : ''
  const local = storage('local')
  // A link without the secret (the first-download notice mails one) opens with the secret this
  // browser kept for the share.
  const token =
    (typeof location === 'undefined' ? '' : decodeURIComponent(location.hash.slice(1))) ||
    (loadShares(local).find((s) => s.sid === sid)?.token ?? '')
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' })
  const [expiry, setExpiry] = useState('')
  const [password, setPassword] = useState('')
  const [adding, setAdding] = useState<File[]>([])
  const [addPassword, setAddPassword] = useState('')
  const [uploading, setUploading] = useState<string>()
  const [notifyEmail, setNotifyEmail] = useState('')
  const [notifyError, setNotifyError] = useState<string>()

  const failure = (e: unknown): Phase =>
    e instanceof ApiError && [401, 403, 404].includes(e.status)
      ? { kind: 'invalid' }
      : {
          kind: 'failed',
          message:
            e instanceof ApiError && e.status !== 0
              ? t('serverError', { message: e.message })
              : t('networkError'),
        }

  const show = (bucket: ManagedBucket, notice?: string) => {
    setPhase({ kind: 'ready', bucket, busy: false, ...(notice ? { notice } : {}) })
    if (bucket.expiresAt) setExpiry(localInput(bucket.expiresAt))
    setNotifyEmail(bucket.notifyEmail ?? '')
    setNotifyError(undefined)
    // Opened on another device (or after forgetting it): this browser keeps it from now on.
    rememberShare(local, {
      sid,
      token,
      createdAt: Math.min(...bucket.files.map((f) => f.createdAt), Date.now()),
      expiresAt: bucket.expiresAt,
      names: bucket.files.slice(0, 5).map((f) => f.name),
    })
  }

  useEffect(() => {
    if (!token) return setPhase({ kind: 'invalid' })
    manageState(api, sid, token).then(show, (e) => setPhase(failure(e)))
  }, [sid, token])

  if (phase.kind === 'loading') return <p class="muted">{t('loading')}</p>
  if (phase.kind === 'invalid' || phase.kind === 'deleted' || phase.kind === 'failed') {
    const text =
      phase.kind === 'invalid'
        ? t('manageLinkInvalid')
        : phase.kind === 'deleted'
          ? t('shareDeleted')
          : phase.message
    return (
      <section class="card">
        <p role={phase.kind === 'deleted' ? 'status' : 'alert'}>{text}</p>
        <p>
          <a href={api.url('manage/').pathname}>{t('mySharesTitle')}</a>
        </p>
      </section>
    )
  }

  const { bucket, busy } = phase
  const date = (ms: number | null) => (ms ? formatDate(ms, locale) : t('never'))
  const caps = bucket.files.map((f) => f.maxExpiresAt).filter((c): c is number => c !== null)
  const latest = caps.length > 0 ? Math.min(...caps) : null
  // Files without expiry that are not one-time: kept until someone deletes them.
  const keptUntilDeleted = bucket.files.some((f) => f.expiresAt === null && !f.oneTime)

  const run = async (action: () => Promise<ManagedBucket | null>, notice: string) => {
    setPhase({ ...phase, busy: true, notice: undefined, error: undefined })
    try {
      const next = await action()
      if (next) show(next, notice)
      else {
        forgetShare(local, sid)
        setPhase({ kind: 'deleted' })
      }
    } catch (e) {
      const f = failure(e)
      if (f.kind === 'failed') setPhase({ ...phase, busy: false, error: f.message })
      else setPhase(f)
    }
  }
  const edit = (change: ManageEdit) => run(() => editBucket(api, sid, token, change), t('changesSaved'))

  return (
    <div class="manage" aria-busy={busy}>
      <section class="card">
        <div class="field">
          <label for="manage-share-link">{t('shareLink')}</label>
          <div class="input-row">
            <input id="manage-share-link" type="url" readOnly value={bucket.shareUrl} />
            <CopyButton text={bucket.shareUrl} label={t('copyLink')} class="btn" />
          </div>
        </div>
        <p>
          {bucket.expiresAt
            ? t('expiresAt', { date: formatDate(bucket.expiresAt, locale) })
            : keptUntilDeleted
              ? t('keptUntilDeleted')
              : ''}{' '}
          {bucket.protected ? t('passwordNote') : ''}
        </p>
        {phase.notice && (
          <p class="notice" role="status">
            {phase.notice}
          </p>
        )}
        {phase.error && (
          <p class="error" role="alert">
            {phase.error}
          </p>
        )}
      </section>

      {bucket.request && (
        <section class="card" aria-labelledby="manage-request">
          <h2 id="manage-request">{t('requestSection')}</h2>
          <p>
            {bucket.request.closed || bucket.request.expired
              ? t('requestStateClosed')
              : t('requestStateOpen')}
          </p>
          <ul class="request-limits">
            <li>{t('requestReceived', { count: bucket.request.files })}</li>
            {bucket.request.filesLeft !== null && (
              <li>{t('requestFilesLeft', { count: bucket.request.filesLeft })}</li>
            )}
            {bucket.request.bytesLeft !== null && (
              <li>{t('requestSpaceLeft', { size: formatBytes(bucket.request.bytesLeft, locale) })}</li>
            )}
            {bucket.request.expiresAt !== null && (
              <li>{t('requestOpenUntil', { date: formatDate(bucket.request.expiresAt, locale) })}</li>
            )}
          </ul>
          {!bucket.request.closed && !bucket.request.expired && (
            <button
              type="button"
              class="btn btn-danger"
              disabled={busy}
              onClick={() => {
                if (!window.confirm(t('confirmCloseRequest'))) return
                void run(async () => {
                  await closeRequest(api, sid, token)
                  return manageState(api, sid, token)
                }, t('changesSaved'))
              }}
            >
              {t('closeRequest')}
            </button>
          )}
        </section>
      )}

      {bucket.files.length > 0 && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section class="card table-wrap" tabIndex={0} aria-label={t('files')}>
          <table class="files-table">
            <thead>
              <tr>
                <th scope="col">{t('name')}</th>
                <th scope="col">{t('size')}</th>
                <th scope="col">{t('downloads')}</th>
                <th scope="col">{t('downloadsLeftColumn')}</th>
                <th scope="col">{t('lastDownload')}</th>
                <th scope="col">{t('expires')}</th>
                <th scope="col">
                  <span class="sr-only">{t('delete')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {bucket.files.map((f) => {
                const path = displayPath({ name: f.name, relativePath: f.relativePath })
                return (
                  <tr key={f.key}>
                    <th scope="row">
                      <span class="file-name">{path}</span>
                    </th>
                    <td>{formatBytes(f.size, locale)}</td>
                    <td>{f.downloads}</td>
                    <td>{f.downloadsLeft === null ? t('unlimited') : f.downloadsLeft}</td>
                    <td>{date(f.lastDownload)}</td>
                    <td>
                      {f.expiresAt !== null
                        ? date(f.expiresAt)
                        : f.oneTime
                          ? t('expiresAfterDownload')
                          : t('keptUntilDeleted')}
                    </td>
                    <td>
                      <button
                        type="button"
                        class="btn btn-small btn-danger"
                        disabled={busy}
                        aria-label={t('deleteFile', { name: path })}
                        onClick={() => {
                          if (!window.confirm(t('confirmDeleteFile', { name: path }))) return
                          void run(async () => {
                            await deleteManagedFile(api, sid, token, f.key)
                            return manageState(api, sid, token)
                          }, t('changesSaved'))
                        }}
                      >
                        {t('delete')}
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
      )}

      {bucket.files.length > 0 && (
        <>
          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault()
              const ms = new Date(expiry).getTime()
              if (Number.isFinite(ms)) void edit({ expiresAt: ms })
            }}
          >
            <div class="field">
              <label for="manage-expiry">{t('newExpiry')}</label>
              <input
                id="manage-expiry"
                type="datetime-local"
                value={expiry}
                min={localInput(Date.now())}
                {...(latest !== null ? { max: localInput(latest) } : {})}
                aria-describedby={latest !== null ? 'manage-expiry-hint' : undefined}
                onInput={(e) => setExpiry((e.currentTarget as HTMLInputElement).value)}
              />
              {latest !== null && (
                <p class="hint" id="manage-expiry-hint">
                  {t('expiryLimit', { date: formatDate(latest, locale) })}
                </p>
              )}
            </div>
            <button type="submit" class="btn" disabled={busy || !expiry}>
              {t('changeExpiry')}
            </button>
          </form>

          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault()
              if (password) void edit({ password }).then(() => setPassword(''))
            }}
          >
            <PasswordField
              id="manage-password"
              label={t('newPassword')}
              value={password}
              onInput={setPassword}
              autoComplete="new-password"
            />
            <div class="actions">
              <button type="submit" class="btn" disabled={busy || !password}>
                {t('setPassword')}
              </button>
              {bucket.protected && (
                <button
                  type="button"
                  class="btn"
                  disabled={busy}
                  onClick={() => void edit({ password: null })}
                >
                  {t('removePassword')}
                </button>
              )}
            </div>
          </form>

          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault()
              if (adding.length === 0) return
              void run(async () => {
                try {
                  return await addFilesToShare(api, bucket, token, adding, addPassword, setUploading)
                } finally {
                  setUploading(undefined)
                  setAdding([])
                  // The picker is uncontrolled: empty it for the next files.
                  const picker = document.getElementById('manage-add') as HTMLInputElement | null
                  if (picker) picker.value = ''
                  setAddPassword('')
                }
              }, t('changesSaved'))
            }}
          >
            <div class="field">
              <label for="manage-add">{t('addToShare')}</label>
              <input
                id="manage-add"
                type="file"
                multiple
                disabled={busy}
                onChange={(e) => setAdding([...((e.currentTarget as HTMLInputElement).files ?? [])])}
              />
            </div>
            {bucket.protected && (
              <PasswordField
                id="manage-add-password"
                label={t('bucketPassword')}
                value={addPassword}
                onInput={setAddPassword}
                autoComplete="off"
                required
              />
            )}
            {uploading && (
              <p class="muted" role="status">
                {t('statusUploading')}: {uploading}
              </p>
            )}
            <button
              type="submit"
              class="btn"
              disabled={busy || adding.length === 0 || (bucket.protected && !addPassword)}
            >
              {t('upload')}
            </button>
          </form>

          {bucket.mail && (
            <form
              class="card mail-form"
              noValidate
              aria-labelledby="notify-title"
              onSubmit={(e) => {
                e.preventDefault()
                const address = notifyEmail.trim()
                if (!looksLikeAddress(address)) {
                  setNotifyError(t('mailInvalid'))
                  document.getElementById('manage-notify')?.focus()
                  return
                }
                void edit({ notifyEmail: address, lang })
              }}
            >
              <h2 id="notify-title">{t('notifyTitle')}</h2>
              <div class="field">
                <label for="manage-notify">{t('notifyEmail')}</label>
                <input
                  id="manage-notify"
                  type="email"
                  autocomplete="email"
                  spellcheck={false}
                  maxLength={254}
                  value={notifyEmail}
                  aria-invalid={notifyError ? true : undefined}
                  aria-describedby={
                    notifyError ? 'manage-notify-hint manage-notify-error' : 'manage-notify-hint'
                  }
                  onInput={(e) => {
                    setNotifyEmail((e.currentTarget as HTMLInputElement).value)
                    setNotifyError(undefined)
                  }}
                />
                <p class="hint" id="manage-notify-hint">
                  {bucket.firstDownloadAt
                    ? t('notifyDone', { date: formatDate(bucket.firstDownloadAt, locale) })
                    : bucket.notifyEmail
                      ? t('notifyActive', { email: bucket.notifyEmail })
                      : t('notifyHint')}
                </p>
                {notifyError && (
                  <p class="status error" id="manage-notify-error" role="alert">
                    {notifyError}
                  </p>
                )}
              </div>
              <div class="actions">
                <button type="submit" class="btn" disabled={busy || !notifyEmail.trim()}>
                  {t('notifySave')}
                </button>
                {bucket.notifyEmail && (
                  <button
                    type="button"
                    class="btn"
                    disabled={busy}
                    onClick={() => void edit({ notifyEmail: null })}
                  >
                    {t('notifyRemove')}
                  </button>
                )}
              </div>
            </form>
          )}

          {bucket.mail && (
            <section class="card">
              <ShareMailForm api={api} sid={sid} token={token} id="manage-mail" />
            </section>
          )}

          <section class="card">
            <button
              type="button"
              class="btn btn-danger"
              disabled={busy}
              onClick={() => {
                if (!window.confirm(t('confirmDeleteShare'))) return
                void run(async () => {
                  await deleteManagedBucket(api, sid, token)
                  return null
                }, '')
              }}
            >
              {t('deleteShare')}
            </button>
          </section>
        </>
      )}
      <p>
        <a href={api.url('manage/').pathname}>{t('mySharesTitle')}</a>
      </p>
    </div>
  )
}
