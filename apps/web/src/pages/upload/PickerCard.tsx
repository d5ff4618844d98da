import { useI18n } from '../../i18n/context.js'
import type { PickedFile } from '../../upload/collect.js'
import { FilePickButton } from './FilePickButton.js'

/** Where files and folders are added, with notes about files that were not (duplicates). */
export function PickerCard({
  notices,
  onFiles,
}: {
  notices: readonly string[]
  onFiles(f: PickedFile[]): void
}) {
  const { t } = useI18n()
  return (
    <section class="card picker" aria-label={t('addFiles')}>
      <p>{t('dropHint')}</p>
      <div class="actions">
        <FilePickButton label={t('addFiles')} onFiles={onFiles} />
        <FilePickButton label={t('addFolder')} onFiles={onFiles} folder />
      </div>
      {notices.map((n) => (
        <p key={n} class="muted small" role="status">
          {n}
        </p>
      ))}
    </section>
  )
}
