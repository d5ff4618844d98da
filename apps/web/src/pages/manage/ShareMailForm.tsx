import { useState } from 'preact/hooks'
import type { Api } from '../../api/client.js'
import { ApiError } from '../../api/http.js'
import { mailShareLink } from '../../api/manage.js'
import { useI18n } from '../../i18n/context.js'
import type { Translate } from '../../i18n/index.js'
import { looksLikeAddress } from '../../lib/mail.js'

/** What went wrong sending the link, in words for the uploader. */
export function mailErrorText(e: unknown, t: Translate): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('networkError')
    if (e.status === 429) return t('mailQuota')
    if (e.status === 400 && /address/i.test(e.message)) return t('mailInvalid')
    // The server says it sends no mail (smtpUrl was removed since the page loaded).
    if (e.status === 404 && /e-mail/.test(e.message)) return t('mailUnavailable')
    return t('serverError', { message: e.message })
  }
  return t('serverError', { message: e instanceof Error ? e.message : String(e) })
}

interface Props {
  api: Api
  sid: string
  /** The bucket's manage secret: the mail route takes it. */
  token: string
  /** Prefix of the element ids (the done panel and the manage page each have one form). */
  id: string
}

type State =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'sent'; to: string }
  | { kind: 'error'; message: string }

/**
 * "Send the link by e-mail": the server mails the share link (never the manage link) to one
 * address, with an optional message, in the page's language.
 */
export function ShareMailForm({ api, sid, token, id }: Props) {
  const { t, lang } = useI18n()
  const [to, setTo] = useState('')
  const [message, setMessage] = useState('')
  const [state, setState] = useState<State>({ kind: 'idle' })
  const invalid = state.kind === 'error' && state.message === t('mailInvalid')
  return (
    <form
      class="mail-form"
      noValidate
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault()
        const address = to.trim()
        if (!looksLikeAddress(address)) {
          setState({ kind: 'error', message: t('mailInvalid') })
          document.getElementById(`${id}-to`)?.focus()
          return
        }
        setState({ kind: 'sending' })
        mailShareLink(api, sid, token, { to: address, ...(message.trim() ? { message } : {}), lang }).then(
          () => {
            setState({ kind: 'sent', to: address })
            setTo('')
            setMessage('')
          },
          (err: unknown) => setState({ kind: 'error', message: mailErrorText(err, t) }),
        )
      }}
    >
      <h2 id={`${id}-title`}>{t('mailShareTitle')}</h2>
      <p class="hint" id={`${id}-hint`}>
        {t('mailShareHint')}
      </p>
      <div class="field">
        <label for={`${id}-to`}>{t('mailTo')}</label>
        <input
          id={`${id}-to`}
          type="email"
          autocomplete="email"
          spellcheck={false}
          value={to}
          maxLength={254}
          required
          aria-invalid={invalid ? true : undefined}
          aria-describedby={`${id}-hint${state.kind === 'error' ? ` ${id}-status` : ''}`}
          onInput={(e) => setTo((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for={`${id}-message`}>{t('mailMessage')}</label>
        <textarea
          id={`${id}-message`}
          value={message}
          maxLength={2000}
          rows={3}
          onInput={(e) => setMessage((e.currentTarget as HTMLTextAreaElement).value)}
        />
      </div>
      <div class="actions">
        <button type="submit" class="btn" disabled={state.kind === 'sending'}>
          {state.kind === 'sending' ? t('mailSending') : t('mailSend')}
        </button>
      </div>
      {state.kind === 'sent' && (
        <p class="status ok" role="status" id={`${id}-status`}>
          {t('mailSent', { to: state.to })}
        </p>
      )}
      {state.kind === 'error' && (
        <p class="status error" role="alert" id={`${id}-status`}>
          {state.message}
        </p>
      )}
    </form>
  )
}
