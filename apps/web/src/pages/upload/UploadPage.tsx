import { useCallback } from 'preact/hooks'
import { useI18n } from '../../i18n/context.js'
import { storage } from '../../lib/storage.js'
import type { PickedFile } from '../../upload/collect.js'
import type { PageProps } from '../page.js'
import { DonePanel } from './DonePanel.js'
import { FilesCard } from './FilesCard.js'
import { LoadFailed } from './LoadFailed.js'
import { limitProblems } from './messages.js'
import { OverallProgress } from './OverallProgress.js'
import { PickerCard } from './PickerCard.js'
import { ResumeBanner } from './ResumeBanner.js'
import { SettingsForm } from './SettingsForm.js'
import { UploadPassScreen } from './UploadPassScreen.js'
import { useBucketDraft } from './useBucketDraft.js'
import { useClientConfig } from './useClientConfig.js'
import { useDropZone } from './useDropZone.js'
import { useLeaveGuard } from './useLeaveGuard.js'
import { useOnline } from './useOnline.js'
import { useRetentionOptions } from './useRetentionOptions.js'
import { useUploadRun } from './useUploadRun.js'

export function UploadPage({ api, preload }: PageProps) {
  const { t, locale } = useI18n()
  const local = storage('local')
  const draft = useBucketDraft(local)
  const { state, uploadPass, submitUploadPass } = useClientConfig(api, preload, draft.applyConfig)
  const config = state.kind === 'ready' ? state.config : null
  const retentions = useRetentionOptions(api, config)
  const run = useUploadRun({ api, config, uploadPass, draft, local })
  const editing = config !== null && run.phase.kind === 'edit'

  const addFiles = useCallback(
    (picked: PickedFile[]) => {
      if (editing && picked.length > 0) draft.addFiles(picked)
    },
    [editing, draft.addFiles],
  )
  const dragging = useDropZone(editing, addFiles)
  const online = useOnline(run.online)
  useLeaveGuard(run.busy, t('leaveWarning'))

  if (state.kind === 'loading') return <p class="muted">{t('loading')}</p>
  if (state.kind === 'needPass')
    return <UploadPassScreen error={state.error} busy={state.busy} onSubmit={submitUploadPass} />
  if (state.kind === 'failed' || !config)
    return <LoadFailed message={state.kind === 'failed' ? state.message : t('networkError')} />
  const { phase, queue } = run
  if (phase.kind === 'done') {
    return (
      <DonePanel
        {...phase}
        api={api}
        mailAvailable={config.mail === true}
        mailTemplate={config.mailTemplate}
        showQr={!config.disableQrCode}
        sharesUrl={api.url('manage/').href}
        onNew={() => void run.reset(false)}
      />
    )
  }

  const problems = limitProblems(draft.entries, config, t, locale)
  const waitingForFiles = draft.entries.some((e) => e.status === 'needsFile')
  const canUpload = editing && draft.entries.length > 0 && problems.length === 0 && !waitingForFiles
  const shown = queue ? queue.entries : draft.entries
  const total = shown.reduce((s, e) => s + e.size, 0)

  return (
    <div class="upload">
      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          {t('dropOverlay')}
        </div>
      )}
      {!online && (
        <p class="banner warn" role="status">
          {t('offlineBanner')}
        </p>
      )}
      {draft.restored && editing && (
        <ResumeBanner createdAt={draft.restored.createdAt} onStartOver={() => void run.reset(true)} />
      )}

      {editing && <PickerCard notices={draft.notices} onFiles={addFiles} />}

      <FilesCard
        entries={shown}
        total={total}
        editable={editing}
        problems={problems}
        onComment={draft.setComment}
        onRemove={draft.remove}
        onPause={(id) => queue?.pause(id)}
        onResume={(id) => queue?.resume(id)}
        onRetry={(id) => queue?.retry(id)}
      />

      {editing ? (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault()
            if (canUpload) run.start()
          }}
        >
          <SettingsForm
            retentions={retentions}
            retention={draft.retention}
            onRetention={draft.setRetention}
            maxAge={config.maxAge}
            password={draft.password}
            onPassword={draft.changePassword}
            maxDownloads={draft.maxDownloads}
            onMaxDownloads={draft.setMaxDownloads}
            passwordRequired={config.requireBucketPassword}
            passwordError={draft.passwordError}
            locked={draft.restored !== null}
            e2eAvailable={config.e2e === true}
            encrypt={draft.encrypt}
            onEncrypt={draft.setEncrypt}
            mailAvailable={config.mail === true}
            notifyEmail={draft.notifyEmail}
            onNotifyEmail={draft.changeNotifyEmail}
            notifyError={draft.notifyError}
          />
          <div class="actions">
            <button type="submit" class="btn btn-primary btn-large" disabled={!canUpload}>
              {t('upload')}
            </button>
          </div>
          <p>
            <a href={api.url('request/').pathname}>{t('requestFilesTitle')}</a>
          </p>
        </form>
      ) : (
        <OverallProgress
          phase={phase}
          queue={queue}
          sent={queue ? queue.sent : 0}
          total={total}
          onRetryLock={run.retryLock}
        />
      )}
    </div>
  )
}
