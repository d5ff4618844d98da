import { useI18n } from '../../i18n/context.js'
import { fileKind } from '../../lib/filetype.js'
import { formatBytes, formatEta, formatSpeed } from '../../lib/format.js'
import { displayPath } from '../../lib/paths.js'
import { FileIcon } from '../../ui/FileIcon.js'
import { Progress } from '../../ui/Progress.js'
import type { QueueEntry } from '../../upload/queue.js'

interface Props {
  entries: readonly QueueEntry[]
  /** Before the upload starts: comments and removal are editable. */
  editable: boolean
  onComment(id: number, comment: string): void
  onRemove(id: number): void
  onPause(id: number): void
  onResume(id: number): void
  onRetry(id: number): void
}

export function FileList(p: Props) {
  const { t, locale } = useI18n()
  return (
    <ul class="file-list">
      {p.entries.map((e) => {
        const path = displayPath(e)
        const kind = fileKind(e.type, e.name)
        return (
          <li key={e.id} class={`file file-${e.status}`}>
            <FileIcon kind={kind} />
            <div class="file-main">
              <div class="file-head">
                <span class="file-name" title={path}>
                  {path}
                </span>
                <span class="file-size">{formatBytes(e.size, locale)}</span>
              </div>
              {p.editable && e.status !== 'done' ? (
                <input
                  class="file-comment"
                  type="text"
                  value={e.comment}
                  maxLength={500}
                  placeholder={t('commentPlaceholder')}
                  aria-label={t('commentFor', { name: path })}
                  disabled={e.status === 'needsFile'}
                  onInput={(ev) => p.onComment(e.id, (ev.currentTarget as HTMLInputElement).value)}
                />
              ) : (
                e.comment && <p class="file-comment-text">{e.comment}</p>
              )}
              <FileStatus entry={e} editable={p.editable} />
              {!p.editable && (
                <Progress value={e.sent} max={e.size} label={t('fileProgress', { name: path })} />
              )}
              {!p.editable && e.rate > 0 && e.status === 'uploading' && (
                <p class="muted small">
                  {t('speedEta', {
                    speed: formatSpeed(e.rate, locale),
                    eta: formatEta(e.eta ?? Number.NaN, locale),
                  })}
                </p>
              )}
            </div>
            <div class="file-actions">
              {p.editable && e.status !== 'done' && (
                <button
                  type="button"
                  class="btn btn-icon"
                  onClick={() => p.onRemove(e.id)}
                  aria-label={t('removeFile', { name: path })}
                  title={t('removeFile', { name: path })}
                >
                  <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                    <path
                      d="M6 6l12 12M18 6L6 18"
                      stroke="currentColor"
                      stroke-width="2"
                      stroke-linecap="round"
                    />
                  </svg>
                </button>
              )}
              {!p.editable &&
                (e.status === 'uploading' || e.status === 'queued' || e.status === 'retrying') && (
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => p.onPause(e.id)}
                    aria-label={t('pauseFile', { name: path })}
                  >
                    {t('pause')}
                  </button>
                )}
              {!p.editable && e.status === 'paused' && (
                <button
                  type="button"
                  class="btn btn-small"
                  onClick={() => p.onResume(e.id)}
                  aria-label={t('resumeFile', { name: path })}
                >
                  {t('resume')}
                </button>
              )}
              {!p.editable && (e.status === 'error' || e.status === 'offline') && (
                <button
                  type="button"
                  class="btn btn-small"
                  onClick={() => p.onRetry(e.id)}
                  aria-label={t('retryFile', { name: path })}
                >
                  {t('retry')}
                </button>
              )}
            </div>
          </li>
        )
      })}
    </ul>
  )
}

function FileStatus({ entry: e, editable }: { entry: QueueEntry; editable: boolean }) {
  const { t } = useI18n()
  if (e.status === 'needsFile') return <p class="status warn">{t('needsReadd')}</p>
  if (e.status === 'done') return <p class="status ok">{editable ? t('alreadyUploaded') : t('statusDone')}</p>
  if (editable) return null
  const text: Record<QueueEntry['status'], string> = {
    needsFile: t('needsReadd'),
    queued: t('statusQueued'),
    uploading: t('statusUploading'),
    retrying: t('statusRetrying'),
    paused: t('statusPaused'),
    offline: t('statusOffline'),
    error: t('statusError', { message: e.error ?? '' }),
    done: t('statusDone'),
  }
  const cls =
    e.status === 'error'
      ? 'status error'
      : e.status === 'retrying' || e.status === 'offline'
        ? 'status warn'
        : 'status'
  return <p class={cls}>{text[e.status]}</p>
}
