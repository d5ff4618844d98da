import { useI18n } from '../../i18n/context.js'

/** The page could not load its configuration: the reason, and a reload. */
export function LoadFailed({ message }: { message: string }) {
  const { t } = useI18n()
  return (
    <div class="card">
      <p class="error" role="alert">
        {message}
      </p>
      <button type="button" class="btn" onClick={() => location.reload()}>
        {t('retry')}
      </button>
    </div>
  )
}
