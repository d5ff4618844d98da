import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import type { Api } from '../../api/client.js'
import { ApiError } from '../../api/http.js'
import type { ClientConfig } from '../../api/types.js'
import { useI18n } from '../../i18n/context.js'
import { storage } from '../../lib/storage.js'
import { type Preload, UPLOAD_PASS_KEY } from '../../preload.js'
import { errorText } from './messages.js'

export type ConfigState =
  | { kind: 'loading' }
  | { kind: 'needPass'; error?: string; busy: boolean }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; config: ClientConfig }

/**
 * config.json, asking for the upload password when the server wants one (kept for the tab's session).
 * `onConfig` runs in the same update that makes the state `ready`, so the page never renders a config
 * without the settings derived from it.
 */
export function useClientConfig(api: Api, preload: Preload, onConfig: (c: ClientConfig) => void) {
  const { t } = useI18n()
  const [state, setState] = useState<ConfigState>({ kind: 'loading' })
  const [uploadPass, setUploadPass] = useState<string | undefined>(
    () => storage('session')?.getItem(UPLOAD_PASS_KEY) ?? undefined,
  )
  const configured = useRef(onConfig)
  configured.current = onConfig

  const apply = useCallback((config: ClientConfig) => {
    configured.current(config)
    setState({ kind: 'ready', config })
  }, [])

  const failed = useCallback(
    (e: unknown, fromPrompt: boolean) => {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        storage('session')?.removeItem(UPLOAD_PASS_KEY)
        setState({ kind: 'needPass', busy: false, error: fromPrompt ? t('wrongPassword') : undefined })
      } else if (e instanceof ApiError && e.status === 429) {
        setState({ kind: 'needPass', busy: false, error: t('tooManyAttempts') })
      } else {
        setState({ kind: 'failed', message: errorText(e, t) })
      }
    },
    [t],
  )

  // First load: config.json was requested before the first render (see preload.ts).
  useEffect(() => {
    ;(preload.config ?? api.config(uploadPass)).then(apply, (e) => failed(e, false))
  }, [])

  const submitUploadPass = (pass: string) => {
    setState({ kind: 'needPass', busy: true })
    api.config(pass).then(
      (c) => {
        storage('session')?.setItem(UPLOAD_PASS_KEY, pass)
        setUploadPass(pass)
        apply(c)
      },
      (e) => failed(e, true),
    )
  }

  return { state, uploadPass, submitUploadPass }
}
