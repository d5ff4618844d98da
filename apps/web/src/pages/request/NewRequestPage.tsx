import { useState } from 'preact/hooks'
import { createRequest, type MadeRequest, type NewRequest } from '../../api/requests.js'
import { useI18n } from '../../i18n/context.js'
import { rememberShare } from '../../lib/shares.js'
import { storage } from '../../lib/storage.js'
import { CopyButton } from '../../ui/CopyButton.js'
import { PasswordField } from '../../ui/PasswordField.js'
import type { PageProps } from '../page.js'
import { LoadFailed } from '../upload/LoadFailed.js'
import { errorText } from '../upload/messages.js'
import { UploadPassScreen } from '../upload/UploadPassScreen.js'
import { useClientConfig } from '../upload/useClientConfig.js'
import { useRetentionOptions } from '../upload/useRetentionOptions.js'

const MB = 1024 * 1024
const noop = () => {}

/** "Request files": whoever may upload makes a link others upload through (`{B}request/`). */
export function NewRequestPage({ api, preload }: PageProps) {
  const { t, lang } = useI18n()
  const { state, uploadPass, submitUploadPass } = useClientConfig(api, preload, noop)
  const config = state.kind === 'ready' ? state.config : null
  const retentions = useRetentionOptions(api, config)
  const [message, setMessage] = useState('')
  const [maxFiles, setMaxFiles] = useState('')
  const [maxMb, setMaxMb] = useState('')
  const [until, setUntil] = useState('')
  const [retention, setRetention] = useState('')
  const [notify, setNotify] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [made, setMade] = useState<MadeRequest>()

  if (state.kind === 'loading') return <p class="muted">{t('loading')}</p>
  if (state.kind === 'needPass')
    return <UploadPassScreen error={state.error} busy={state.busy} onSubmit={submitUploadPass} />
  if (state.kind === 'failed' || !config)
    return <LoadFailed message={state.kind === 'failed' ? state.message : t('networkError')} />

  if (made) {
    return (
      <section class="card" aria-labelledby="request-made">
        <h2 id="request-made">{t('requestMade')}</h2>
        <div class="field">
          <label for="request-link">{t('requestLink')}</label>
          <div class="input-row">
            <input
              id="request-link"
              type="url"
              readOnly
              value={made.requestUrl}
              aria-describedby="request-link-hint"
            />
            <CopyButton text={made.requestUrl} label={t('copyLink')} class="btn" />
          </div>
          <p class="hint" id="request-link-hint">
            {t('requestLinkHint')}
          </p>
        </div>
        <div class="field">
          <label for="request-manage-link">{t('manageLink')}</label>
          <div class="input-row">
            <input id="request-manage-link" type="url" readOnly value={made.manageUrl} />
            <CopyButton text={made.manageUrl} label={t('copyManageLink')} class="btn" />
          </div>
        </div>
        {made.password && (
          <p class="notice" role="status">
            {t('requestPasswordMade', { password: made.password })}
          </p>
        )}
      </section>
    )
  }

  const number = (text: string) => (text.trim() === '' ? undefined : Number(text))
  const submit = async () => {
    const body: NewRequest = { lang }
    const files = number(maxFiles)
    const mb = number(maxMb)
    if (files !== undefined) body.maxFiles = files
    if (mb !== undefined) body.maxBytes = Math.round(mb * MB)
    if (until) body.expiresAt = new Date(until).getTime()
    if (retention || config.defaultRetention) body.retention = retention || config.defaultRetention
    if (message.trim()) body.message = message.trim()
    if (notify.trim()) body.notify = notify.trim()
    if (password) body.password = password
    setBusy(true)
    setError(undefined)
    try {
      const answer = await createRequest(api, body, uploadPass)
      // The requester manages the bucket like their own shares: "My shares" keeps it.
      rememberShare(storage('local'), {
        sid: answer.sid,
        token: answer.manageToken,
        createdAt: Date.now(),
        expiresAt: null,
        names: [],
      })
      setMade(answer)
    } catch (e) {
      setError(errorText(e, t))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      class="card"
      aria-busy={busy}
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <p>{t('requestFilesIntro')}</p>
      <div class="field">
        <label for="request-message">{t('requestMessage')}</label>
        <textarea
          id="request-message"
          rows={3}
          maxLength={2000}
          value={message}
          onInput={(e) => setMessage((e.currentTarget as HTMLTextAreaElement).value)}
        />
      </div>
      <div class="field">
        <label for="request-max-files">{t('requestMaxFiles')}</label>
        <input
          id="request-max-files"
          type="number"
          min={1}
          step={1}
          inputMode="numeric"
          value={maxFiles}
          aria-describedby="request-limit-hint"
          onInput={(e) => setMaxFiles((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for="request-max-size">{t('requestMaxSize')}</label>
        <input
          id="request-max-size"
          type="number"
          min={1}
          step="any"
          inputMode="decimal"
          value={maxMb}
          aria-describedby="request-limit-hint"
          onInput={(e) => setMaxMb((e.currentTarget as HTMLInputElement).value)}
        />
        <p class="hint" id="request-limit-hint">
          {t('requestLimitHint')}
        </p>
      </div>
      <div class="field">
        <label for="request-until">{t('requestUntil')}</label>
        <input
          id="request-until"
          type="datetime-local"
          value={until}
          onInput={(e) => setUntil((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for="request-retention">{t('retention')}</label>
        <select
          id="request-retention"
          value={retention || config.defaultRetention}
          onChange={(e) => setRetention((e.currentTarget as HTMLSelectElement).value)}
        >
          {retentions.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      {config.mail && (
        <div class="field">
          <label for="request-notify">{t('requestNotify')}</label>
          <input
            id="request-notify"
            type="email"
            autoComplete="email"
            value={notify}
            onInput={(e) => setNotify((e.currentTarget as HTMLInputElement).value)}
          />
        </div>
      )}
      <PasswordField
        id="request-password"
        label={t('requestPassword')}
        hint={t('requestPasswordHint')}
        value={password}
        onInput={setPassword}
        autoComplete="new-password"
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {t('requestCreate')}
        </button>
      </div>
    </form>
  )
}
