import { useI18n } from '../../i18n/context.js'
import { formatDate } from '../../lib/format.js'

/** Tells that an unfinished upload from an earlier visit was found, and offers to drop it. */
export function ResumeBanner({ createdAt, onStartOver }: { createdAt: number; onStartOver(): void }) {
  const { t, locale } = useI18n()
  return (
    <div class="banner" role="status">
      <p>{t('resumeFound', { date: formatDate(createdAt, locale) })}</p>
      <button type="button" class="btn" onClick={onStartOver}>
        {t('startOver')}
      </button>
    </div>
  )
}
