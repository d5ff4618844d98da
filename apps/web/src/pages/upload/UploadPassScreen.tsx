import { useState } from 'preact/hooks'
import { useI18n } from '../../i18n/context.js'
import { PasswordField } from '../../ui/PasswordField.js'

interface Props {
  error?: string
  busy: boolean
  onSubmit(password: string): void
}

/** Shown when config.json answers 401/403: the service requires an upload password. */
export function UploadPassScreen({ error, busy, onSubmit }: Props) {
  const { t } = useI18n()
  const [pass, setPass] = useState('')
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault()
        if (pass) onSubmit(pass)
      }}
    >
      <h2>{t('uploadPasswordTitle')}</h2>
      <p>{t('uploadPasswordPrompt')}</p>
      <PasswordField
        id="upload-pass"
        label={t('uploadPassword')}
        value={pass}
        onInput={setPass}
        autoComplete="current-password"
        error={error}
        required
        autoFocus
      />
      <button type="submit" class="btn btn-primary" disabled={busy || !pass}>
        {t('continue')}
      </button>
    </form>
  )
}
