import { useI18n } from '../../i18n/context.js'
import { formatDate } from '../../lib/format.js'
import { generatePassword } from '../../lib/password.js'
import {
  CUSTOM,
  customDate,
  customProblem,
  customRange,
  customRetention,
  fromLocalInput,
  isCustom,
  localInput,
  ONE_TIME,
  UNTIL_DELETED,
} from '../../lib/retention.js'
import { PasswordField } from '../../ui/PasswordField.js'

interface Props {
  retentions: ReadonlyArray<{ value: string; label: string }>
  /** A listed retention, `until-deleted`, or a chosen date (`at:<ms>`). */
  retention: string
  onRetention(value: string): void
  /** The server's `maxAge` in seconds (the latest date one may choose), `null`: none. */
  maxAge: number | null | undefined
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

/** A day from now on the hour (or the latest allowed moment): what "Custom date…" starts with. */
function suggestedDate(maxAge: number | null | undefined, now: number): number {
  const { max } = customRange(maxAge, now)
  const day = Math.ceil((now + 86_400_000) / 3_600_000) * 3_600_000
  return max === null ? day : Math.min(day, Math.floor(max / 60_000) * 60_000)
}

export function SettingsForm(p: Props) {
  const { t, locale } = useI18n()
  const custom = isCustom(p.retention)
  const now = Date.now()
  const range = customRange(p.maxAge, now)
  const chosen = customDate(p.retention)
  const problem = customProblem(p.retention, p.maxAge, now)
  const limit = range.max === null ? undefined : t('expiryLimit', { date: formatDate(range.max, locale) })
  // Why the date cannot be used, else the latest one allowed (none without maxAge).
  const dateNote = problem === 'past' ? t('customExpiryPast') : limit
  const hint =
    p.retention === ONE_TIME
      ? t('oneTimeHint')
      : p.retention === UNTIL_DELETED
        ? t('untilDeletedHint')
        : undefined
  return (
    <fieldset class="settings" disabled={p.locked}>
      <legend>{t('settings')}</legend>
      <div class="field">
        <label for="retention">{t('retention')}</label>
        <select
          id="retention"
          value={custom ? CUSTOM : p.retention}
          onChange={(e) => {
            const value = (e.currentTarget as HTMLSelectElement).value
            p.onRetention(value === CUSTOM ? customRetention(suggestedDate(p.maxAge, Date.now())) : value)
          }}
          aria-describedby={hint ? 'retention-hint' : undefined}
        >
          {p.retentions.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
        {hint && (
          <p class="hint" id="retention-hint">
            {hint}
          </p>
        )}
      </div>
      {custom && (
        <div class="field">
          <label for="custom-expiry">{t('customExpiryDate')}</label>
          <input
            id="custom-expiry"
            type="datetime-local"
            required
            min={localInput(range.min)}
            {...(range.max !== null ? { max: localInput(range.max) } : {})}
            value={chosen === null ? '' : localInput(chosen)}
            onInput={(e) =>
              p.onRetention(customRetention(fromLocalInput((e.currentTarget as HTMLInputElement).value)))
            }
            aria-invalid={problem !== null}
            aria-describedby={dateNote ? 'custom-expiry-hint' : undefined}
          />
          {dateNote && (
            <p
              class={problem ? 'error' : 'hint'}
              id="custom-expiry-hint"
              role={problem ? 'alert' : undefined}
            >
              {dateNote}
            </p>
          )}
        </div>
      )}
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
