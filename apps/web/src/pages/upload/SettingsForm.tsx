import { useI18n } from '../../i18n/context.js'
import { generatePassword } from '../../lib/password.js'
import { ONE_TIME } from '../../lib/retention.js'
import { PasswordField } from '../../ui/PasswordField.js'

interface Props {
  retentions: ReadonlyArray<{ value: string; label: string }>
  retention: string
  onRetention(value: string): void
  password: string
  onPassword(value: string): void
  /** Complete downloads each file allows (`''`: no limit). */
  maxDownloads: string
  onMaxDownloads(value: string): void
  passwordRequired: boolean
  passwordError?: string
  /** Settings of a resumed upload are fixed: the server has them already. */
  locked: boolean
  /** The server offers end-to-end encryption; `encrypt` is the person's choice. */
  e2eAvailable: boolean
  encrypt: boolean
  onEncrypt(value: boolean): void
  /** The server sends e-mail: the uploader may leave an address for the first-download notice. */
  mailAvailable: boolean
  notifyEmail: string
  onNotifyEmail(value: string): void
  notifyError?: string
}

export function SettingsForm(p: Props) {
  const { t } = useI18n()
  return (
    <fieldset class="settings" disabled={p.locked}>
      <legend>{t('settings')}</legend>
      <div class="field">
        <label for="retention">{t('retention')}</label>
        <select
          id="retention"
          value={p.retention}
          onChange={(e) => p.onRetention((e.currentTarget as HTMLSelectElement).value)}
          aria-describedby={p.retention === ONE_TIME ? 'retention-hint' : undefined}
        >
          {p.retentions.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
        {p.retention === ONE_TIME && (
          <p class="hint" id="retention-hint">
            {t('oneTimeHint')}
          </p>
        )}
      </div>
      {p.retention !== ONE_TIME && (
        <div class="field">
          <label for="max-downloads">{t('maxDownloads')}</label>
          <input
            id="max-downloads"
            type="number"
            inputMode="numeric"
            min={1}
            max={10000}
            step={1}
            value={p.maxDownloads}
            onInput={(e) =>
              p.onMaxDownloads(
                (e.currentTarget as HTMLInputElement).value.replace(/\D/g, '').replace(/^0+/, ''),
              )
            }
            aria-describedby="max-downloads-hint"
          />
          <p class="hint" id="max-downloads-hint">
            {t('maxDownloadsHint')}
          </p>
        </div>
      )}
      <PasswordField
        id="bucket-password"
        label={t('bucketPassword')}
        value={p.password}
        onInput={p.onPassword}
        autoComplete="new-password"
        hint={p.passwordRequired ? t('passwordRequiredHint') : t('passwordOptionalHint')}
        error={p.passwordError}
        required={p.passwordRequired}
        disabled={p.locked}
      >
        <button
          type="button"
          class="btn"
          onClick={() => p.onPassword(generatePassword())}
          disabled={p.locked}
          title={t('generatePassword')}
        >
          {t('generatePassword')}
        </button>
      </PasswordField>
      {p.e2eAvailable && (
        <div class="field">
          <label class="check">
            <input
              id="encrypt"
              type="checkbox"
              checked={p.encrypt}
              onChange={(e) => p.onEncrypt((e.currentTarget as HTMLInputElement).checked)}
              aria-describedby="encrypt-hint"
            />
            {t('e2eEncrypt')}
          </label>
          <p class="hint" id="encrypt-hint">
            {t('e2eEncryptHint')}
          </p>
        </div>
      )}
      {p.mailAvailable && (
        <div class="field mail-form">
          <label for="notify-email">{t('notifyEmail')}</label>
          <input
            id="notify-email"
            type="email"
            autocomplete="email"
            spellcheck={false}
            maxLength={254}
            value={p.notifyEmail}
            onInput={(e) => p.onNotifyEmail((e.currentTarget as HTMLInputElement).value)}
            aria-invalid={p.notifyError ? true : undefined}
            aria-describedby={p.notifyError ? 'notify-email-hint notify-email-error' : 'notify-email-hint'}
          />
          <p class="hint" id="notify-email-hint">
            {t('notifyHint')}
          </p>
          {p.notifyError && (
            <p class="status error" id="notify-email-error" role="alert">
              {p.notifyError}
            </p>
          )}
        </div>
      )}
    </fieldset>
  )
}
