import { useI18n } from '../../i18n/context.js'
import { formatEta, formatSpeed } from '../../lib/format.js'
import { Progress } from '../../ui/Progress.js'
import type { UploadQueue } from '../../upload/queue.js'
import type { RunPhase } from './useUploadRun.js'

interface Props {
  phase: RunPhase
  queue: UploadQueue | null
  sent: number
  total: number
  onRetryLock(): void
}

/** The whole upload's progress and speed, pause/resume for all files, and finishing (locking) the bucket. */
export function OverallProgress({ phase, queue, sent, total, onRetryLock }: Props) {
  const { t, locale } = useI18n()
  return (
    <section class="card" aria-labelledby="overall-title">
      <h2 id="overall-title">{t('overallProgress')}</h2>
      <Progress value={sent} max={total} label={t('overallProgress')} />
      {queue && queue.rate > 0 && (
        <p class="muted" aria-live="off">
          {t('speedEta', {
            speed: formatSpeed(queue.rate, locale),
            eta: formatEta(queue.eta ?? Number.NaN, locale),
          })}
        </p>
      )}
      {phase.kind === 'locking' && <p role="status">{t('finishing')}</p>}
      {phase.kind === 'lockFailed' && (
        <div>
          <p class="error" role="alert">
            {phase.message}
          </p>
          <button type="button" class="btn" onClick={onRetryLock}>
            {t('retry')}
          </button>
        </div>
      )}
      {phase.kind === 'uploading' && queue && (
        <div class="actions">
          {queue.paused ? (
            <button type="button" class="btn" onClick={() => queue.resumeAll()}>
              {t('resume')}
            </button>
          ) : (
            <button type="button" class="btn" onClick={() => queue.pauseAll()}>
              {t('pause')}
            </button>
          )}
        </div>
      )}
    </section>
  )
}
