import { useI18n } from '../../i18n/context.js'
import { formatBytes } from '../../lib/format.js'
import type { QueueEntry } from '../../upload/queue.js'
import { FileList } from './FileList.js'

interface Props {
  entries: readonly QueueEntry[]
  total: number
  editable: boolean
  /** Why the upload cannot start (size limits), one sentence each. */
  problems: readonly string[]
  onComment(id: number, comment: string): void
  onRemove(id: number): void
  onPause(id: number): void
  onResume(id: number): void
  onRetry(id: number): void
}

/** The bucket's files: count and total size, the list, and what is wrong with them. */
export function FilesCard({ entries, total, problems, ...list }: Props) {
  const { t, locale } = useI18n()
  return (
    <section class="card" aria-labelledby="files-title">
      <h2 id="files-title">
        {t('files')}{' '}
        <span class="muted small">
          {t('fileCount', { count: entries.length })} · {t('totalSize', { size: formatBytes(total, locale) })}
        </span>
      </h2>
      {entries.length === 0 ? <p class="muted">{t('noFiles')}</p> : <FileList entries={entries} {...list} />}
      {problems.length > 0 && (
        <div class="error" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
    </section>
  )
}
