import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { useI18n } from '../i18n/context.js'

interface Props {
  id: string
  label: string
  value: string
  onInput(value: string): void
  autoComplete?: string
  hint?: string
  error?: string
  required?: boolean
  disabled?: boolean
  autoFocus?: boolean
  children?: ComponentChildren
}

/** A labelled password input with a show/hide toggle; `children` go after the toggle (e.g. a generator). */
export function PasswordField(p: Props) {
  const { t } = useI18n()
  const [visible, setVisible] = useState(false)
  const describedBy = [p.hint ? `${p.id}-hint` : '', p.error ? `${p.id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      <div class="input-row">
        <input
          id={p.id}
          type={visible ? 'text' : 'password'}
          value={p.value}
          onInput={(e) => p.onInput((e.currentTarget as HTMLInputElement).value)}
          autocomplete={p.autoComplete ?? 'off'}
          aria-describedby={describedBy || undefined}
          aria-invalid={p.error ? true : undefined}
          required={p.required}
          disabled={p.disabled}
          autofocus={p.autoFocus}
          spellcheck={false}
        />
        <button
          type="button"
          class="btn btn-icon"
          onClick={() => setVisible(!visible)}
          aria-pressed={visible}
          aria-label={visible ? t('hidePassword') : t('showPassword')}
          title={visible ? t('hidePassword') : t('showPassword')}
          disabled={p.disabled}
        >
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path
              d={
                visible
                  ? 'M3 3l18 18M10.6 6.1A9.8 9.8 0 0 1 12 6c6 0 10 6 10 6a17 17 0 0 1-3.2 3.7M6.6 6.6C3.8 8.4 2 12 2 12s4 6 10 6c1.8 0 3.4-.5 4.8-1.3M9.9 9.9a3 3 0 0 0 4.2 4.2'
                  : 'M2 12s4-6 10-6 10 6 10 6-4 6-10 6S2 12 2 12zM12 9a3 3 0 1 0 .01 0'
              }
              fill="none"
              stroke="currentColor"
              stroke-width="1.8"
              stroke-linecap="round"
            />
          </svg>
        </button>
        {p.children}
      </div>
      {p.hint && (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      {p.error && (
        <p class="error" id={`${p.id}-error`} role="alert">
          {p.error}
        </p>
      )}
    </div>
  )
}
