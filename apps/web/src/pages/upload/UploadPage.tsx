import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { PageProps } from '../../App.js'
import { ApiError } from '../../api/http.js'
import type { ClientConfig } from '../../api/types.js'
import { useI18n } from '../../i18n/context.js'
import { formatBytes, formatDate, formatEta, formatSpeed } from '../../lib/format.js'
import { newBucketId, newBucketToken, sidLength } from '../../lib/ids.js'
import { checkLimits } from '../../lib/limits.js'
import { isSendablePassword } from '../../lib/password.js'
import { displayPath } from '../../lib/paths.js'
import { expiryOf, ONE_TIME, retentionLabel, sortRetentions } from '../../lib/retention.js'
import { storage } from '../../lib/storage.js'
import { UPLOAD_PASS_KEY } from '../../preload.js'
import { Progress } from '../../ui/Progress.js'
import type { PickedFile } from '../../upload/collect.js'
import { fromFileList } from '../../upload/collect.js'
import { type QueueEntry, UploadQueue } from '../../upload/queue.js'
import {
  clearSession,
  loadSession,
  matchRestored,
  saveSession,
  storedUploadUrls,
  type UploadSession,
} from '../../upload/session.js'
import { tusFactory } from '../../upload/tus.js'
import { type DoneInfo, DonePanel } from './DonePanel.js'
import { FileList } from './FileList.js'
import { SettingsForm } from './SettingsForm.js'
import { UploadPassScreen } from './UploadPassScreen.js'
import { useDropZone } from './useDropZone.js'

type Phase =
  | { kind: 'loading' }
  | { kind: 'needPass'; error?: string; busy: boolean }
  | { kind: 'failed'; message: string }
  | { kind: 'edit' }
  | { kind: 'uploading' }
  | { kind: 'locking' }
  | { kind: 'lockFailed'; message: string }
  | ({ kind: 'done' } & DoneInfo)

let nextId = 1

function entryOf(p: PickedFile): QueueEntry {
  return {
    id: nextId++,
    file: p.file,
    name: p.name,
    relativePath: p.relativePath,
    size: p.file.size,
    type: p.file.type,
    lastModified: p.file.lastModified,
    comment: '',
    status: 'queued',
    sent: 0,
    rate: 0,
    eta: null,
  }
}

function restoredEntries(s: UploadSession): QueueEntry[] {
  return s.files.map((f) => ({
    id: nextId++,
    file: null,
    ...f,
    status: f.done ? 'done' : 'needsFile',
    sent: f.done ? f.size : 0,
    rate: 0,
    eta: null,
  }))
}

export function UploadPage({ api, preload }: PageProps) {
  const { t, locale, lang } = useI18n()
  const local = storage('local')
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' })
  const [config, setConfig] = useState<ClientConfig | null>(null)
  const [uploadPass, setUploadPass] = useState<string | undefined>(
    () => storage('session')?.getItem(UPLOAD_PASS_KEY) ?? undefined,
  )
  const [serverMessages, setServerMessages] = useState<Record<string, string>>({})
  const [restored, setRestored] = useState<UploadSession | null>(() => (local ? loadSession(local) : null))
  // Until config.json says how long ids are (randomDownloadSidLength), a default-length id; a
  // restored session keeps its own.
  const [sid, setSid] = useState(() => restored?.sid ?? newBucketId())
  const restoredSid = useRef(restored?.sid)
  const [entries, setEntries] = useState<QueueEntry[]>(() => (restored ? restoredEntries(restored) : []))
  const [retention, setRetention] = useState(restored?.retention ?? '')
  const [password, setPassword] = useState(restored?.password ?? '')
  const [passwordError, setPasswordError] = useState<string>()
  const [notices, setNotices] = useState<string[]>([])
  const [offline, setOffline] = useState(!navigator.onLine)
  const queueRef = useRef<UploadQueue | null>(null)
  const [, setTick] = useState(0)

  const applyConfig = useCallback((c: ClientConfig) => {
    setConfig(c)
    // Nothing was uploaded under the provisional id yet (the page waited for this config).
    const length = sidLength(c.randomDownloadSidLength)
    setSid((s) => (s === restoredSid.current || s.length === length ? s : newBucketId(length)))
    setRetention((r) =>
      r && r in c.retentions
        ? r
        : c.defaultRetention in c.retentions
          ? c.defaultRetention
          : (Object.keys(c.retentions)[0] ?? ''),
    )
    setPhase({ kind: 'edit' })
  }, [])

  const configFailed = useCallback(
    (e: unknown, fromPrompt: boolean) => {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        storage('session')?.removeItem(UPLOAD_PASS_KEY)
        setPhase({ kind: 'needPass', busy: false, error: fromPrompt ? t('wrongPassword') : undefined })
      } else if (e instanceof ApiError && e.status === 429) {
        setPhase({ kind: 'needPass', busy: false, error: t('tooManyAttempts') })
      } else {
        setPhase({ kind: 'failed', message: errorText(e, t) })
      }
    },
    [t],
  )

  // First load: config.json was requested before the first render (see preload.ts).
  useEffect(() => {
    ;(preload.config ?? api.config(uploadPass)).then(applyConfig, (e) => configFailed(e, false))
  }, [])

  // Server-side strings (retention labels) in the current language; the page works without them.
  useEffect(() => {
    if (!config) return
    api.lang(lang).then(
      (r) => setServerMessages(r.messages ?? {}),
      () => setServerMessages({}),
    )
  }, [api, lang, config])

  const submitUploadPass = (pass: string) => {
    setPhase({ kind: 'needPass', busy: true })
    api.config(pass).then(
      (c) => {
        storage('session')?.setItem(UPLOAD_PASS_KEY, pass)
        setUploadPass(pass)
        applyConfig(c)
      },
      (e) => configFailed(e, true),
    )
  }

  const retentions = useMemo(
    () =>
      config
        ? (
            config.retentionOrder?.filter((v) => v in config.retentions) ??
            sortRetentions(Object.keys(config.retentions))
          ).map((value) => ({
            value,
            label: retentionLabel(value, {
              serverMessages,
              configLabel: config.retentions[value],
              oneTimeLabel: t('oneTime'),
              locale,
            }),
          }))
        : [],
    [config, serverMessages, t, locale],
  )

  const editing = phase.kind === 'edit'

  const addFiles = useCallback(
    (picked: PickedFile[]) => {
      if (!editing || picked.length === 0) return
      const skipped: string[] = []
      setEntries((current) => {
        const next = current.map((e) => ({ ...e }))
        for (const p of picked) {
          const identity = {
            name: p.name,
            relativePath: p.relativePath,
            size: p.file.size,
            lastModified: p.file.lastModified,
          }
          const waiting = matchRestored(
            next.filter((e) => e.status === 'needsFile'),
            identity,
          )
          if (waiting) {
            waiting.file = p.file
            waiting.status = 'queued'
            continue
          }
          const dup = next.some(
            (e) =>
              e.name === p.name &&
              e.relativePath === p.relativePath &&
              e.size === p.file.size &&
              e.lastModified === p.file.lastModified,
          )
          if (dup) skipped.push(displayPath(p))
          else next.push(entryOf(p))
        }
        return next
      })
      setNotices(skipped.map((name) => t('duplicateSkipped', { name })))
    },
    [editing, t],
  )

  const dragging = useDropZone(editing, addFiles)

  // Re-render on queue progress at most once per frame.
  const frame = useRef(0)
  const refresh = useCallback(() => {
    if (frame.current) return
    frame.current = requestAnimationFrame(() => {
      frame.current = 0
      setTick((n) => n + 1)
    })
  }, [])

  useEffect(() => {
    const on = () => {
      setOffline(false)
      queueRef.current?.online()
    }
    const off = () => setOffline(true)
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (queueRef.current?.running) {
        e.preventDefault()
        e.returnValue = t('leaveWarning')
      }
    }
    window.addEventListener('online', on)
    window.addEventListener('offline', off)
    window.addEventListener('beforeunload', beforeUnload)
    return () => {
      window.removeEventListener('online', on)
      window.removeEventListener('offline', off)
      window.removeEventListener('beforeunload', beforeUnload)
    }
  }, [t])

  const problems = config
    ? checkLimits(
        entries.map((e) => ({ path: displayPath(e), size: e.size })),
        config,
      )
    : []
  const problemText = problems.map((p) =>
    p.kind === 'fileTooLarge'
      ? t('fileTooLarge', {
          name: p.path,
          size: formatBytes(p.size, locale),
          max: formatBytes(p.max, locale),
        })
      : t('bucketTooLarge', { size: formatBytes(p.total, locale), max: formatBytes(p.max, locale) }),
  )
  const waitingForFiles = entries.some((e) => e.status === 'needsFile')
  const canUpload = editing && entries.length > 0 && problems.length === 0 && !waitingForFiles

  const lock = async (c: ClientConfig) => {
    setPhase({ kind: 'locking' })
    try {
      // Only the bucket's uploader may lock it: the token its first creation answered.
      await api.lock(c.tusEndpoint, sid, uploadPass, queueRef.current?.bucketToken)
    } catch (e) {
      setPhase({ kind: 'lockFailed', message: errorText(e, t) })
      return
    }
    if (local) clearSession(local, sid)
    queueRef.current = null
    const oneTime = retention === ONE_TIME
    setPhase({
      kind: 'done',
      url: new URL(encodeURIComponent(sid), api.base).href,
      expiresAt: expiryOf(retention, Date.now()),
      oneTime,
      protected: password !== '',
    })
  }

  const startUpload = () => {
    if (!config || !canUpload) return
    const passwordProblem =
      config.requireBucketPassword && !password
        ? t('passwordMissing')
        : password && !isSendablePassword(password)
          ? t('passwordCharacters')
          : undefined
    if (passwordProblem) {
      setPasswordError(passwordProblem)
      document.getElementById('bucket-password')?.focus()
      return
    }
    setPasswordError(undefined)
    // The bucket may exist already (an earlier start, or a session restored after a reload);
    // a new one gets a token made here, saved with the session before its first request.
    const knownToken =
      queueRef.current?.bucketToken ??
      (restored?.sid === sid ? restored.bucketToken : undefined) ??
      (restored?.sid === sid ? undefined : newBucketToken())
    const session: UploadSession = {
      v: 1,
      sid,
      retention,
      password,
      ...(knownToken ? { bucketToken: knownToken } : {}),
      createdAt: restored?.createdAt || Date.now(),
      files: entries.map((e) => ({
        name: e.name,
        relativePath: e.relativePath,
        size: e.size,
        lastModified: e.lastModified,
        type: e.type,
        comment: e.comment,
        done: e.status === 'done',
      })),
    }
    if (local) saveSession(local, session)
    const queue = new UploadQueue(
      entries.map((e) => ({ ...e })),
      {
        sid,
        retention,
        password,
        ...(session.bucketToken ? { bucketToken: session.bucketToken } : {}),
        onBucketToken: (token) => {
          // Kept with the session: after a reload, the remaining files and the lock need it.
          session.bucketToken = token
          if (local) saveSession(local, session)
        },
        factory: tusFactory({
          endpoint: new URL(config.tusEndpoint, api.base).href,
          chunkSize: config.chunkSize && config.chunkSize > 0 ? config.chunkSize : 5_000_000,
          uploadPass,
        }),
        isOnline: () => navigator.onLine,
        onChange: refresh,
        onFileDone: (e) => {
          const f = session.files.find(
            (s) =>
              s.name === e.name &&
              s.relativePath === e.relativePath &&
              s.size === e.size &&
              s.lastModified === e.lastModified,
          )
          if (f) f.done = true
          if (local) saveSession(local, session)
        },
        onAllDone: () => void lock(config),
      },
    )
    queueRef.current = queue
    setPhase({ kind: 'uploading' })
    queue.pump()
  }

  const reset = async (terminate: boolean) => {
    const q = queueRef.current
    queueRef.current = null
    await q?.stop()
    if (local && terminate) {
      // Best effort: free the server from the abandoned partial uploads; the sweeper gets any we miss.
      for (const url of storedUploadUrls(local, sid)) api.terminate(url, uploadPass).catch(() => {})
    }
    if (local) clearSession(local, terminate ? sid : undefined)
    setRestored(null)
    setEntries([])
    restoredSid.current = undefined
    setSid(newBucketId(sidLength(config?.randomDownloadSidLength)))
    setPassword('')
    setNotices([])
    if (config)
      setRetention(config.defaultRetention in config.retentions ? config.defaultRetention : retention)
    setPhase(config ? { kind: 'edit' } : { kind: 'loading' })
  }

  // Move focus to the result so keyboard and screen reader users notice the change.
  useEffect(() => {
    if (phase.kind === 'done') document.getElementById('done-title')?.focus()
  }, [phase.kind])

  if (phase.kind === 'loading') return <p class="muted">{t('loading')}</p>
  if (phase.kind === 'needPass')
    return <UploadPassScreen error={phase.error} busy={phase.busy} onSubmit={submitUploadPass} />
  if (phase.kind === 'failed' || !config) {
    return (
      <div class="card">
        <p class="error" role="alert">
          {phase.kind === 'failed' ? phase.message : t('networkError')}
        </p>
        <button type="button" class="btn" onClick={() => location.reload()}>
          {t('retry')}
        </button>
      </div>
    )
  }
  if (phase.kind === 'done') {
    return (
      <DonePanel
        {...phase}
        mailTemplate={config.mailTemplate}
        showQr={!config.disableQrCode}
        onNew={() => void reset(false)}
      />
    )
  }

  const queue = queueRef.current
  const shown = queue ? queue.entries : entries
  const total = shown.reduce((s, e) => s + e.size, 0)
  const sent = queue ? queue.sent : 0

  return (
    <div class="upload">
      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          {t('dropOverlay')}
        </div>
      )}
      {offline && (
        <p class="banner warn" role="status">
          {t('offlineBanner')}
        </p>
      )}
      {restored && editing && (
        <div class="banner" role="status">
          <p>{t('resumeFound', { date: formatDate(restored.createdAt, locale) })}</p>
          <button type="button" class="btn" onClick={() => void reset(true)}>
            {t('startOver')}
          </button>
        </div>
      )}

      {editing && (
        <section class="card picker" aria-label={t('addFiles')}>
          <p>{t('dropHint')}</p>
          <div class="actions">
            <FilePickButton label={t('addFiles')} onFiles={addFiles} />
            <FilePickButton label={t('addFolder')} onFiles={addFiles} folder />
          </div>
          {notices.map((n) => (
            <p key={n} class="muted small" role="status">
              {n}
            </p>
          ))}
        </section>
      )}

      <section class="card" aria-labelledby="files-title">
        <h2 id="files-title">
          {t('files')}{' '}
          <span class="muted small">
            {t('fileCount', { count: shown.length })} · {t('totalSize', { size: formatBytes(total, locale) })}
          </span>
        </h2>
        {shown.length === 0 ? (
          <p class="muted">{t('noFiles')}</p>
        ) : (
          <FileList
            entries={shown}
            editable={editing}
            onComment={(id, comment) =>
              setEntries((es) => es.map((e) => (e.id === id ? { ...e, comment } : e)))
            }
            onRemove={(id) => setEntries((es) => es.filter((e) => e.id !== id))}
            onPause={(id) => queue?.pause(id)}
            onResume={(id) => queue?.resume(id)}
            onRetry={(id) => queue?.retry(id)}
          />
        )}
        {problemText.length > 0 && (
          <div class="error" role="alert">
            {problemText.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
      </section>

      {editing ? (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault()
            startUpload()
          }}
        >
          <SettingsForm
            retentions={retentions}
            retention={retention}
            onRetention={setRetention}
            password={password}
            onPassword={(v) => {
              setPassword(v)
              setPasswordError(undefined)
            }}
            passwordRequired={config.requireBucketPassword}
            passwordError={passwordError}
            locked={restored !== null}
          />
          <div class="actions">
            <button type="submit" class="btn btn-primary btn-large" disabled={!canUpload}>
              {t('upload')}
            </button>
          </div>
        </form>
      ) : (
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
              <button type="button" class="btn" onClick={() => void lock(config)}>
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
      )}
    </div>
  )
}

function FilePickButton({
  label,
  onFiles,
  folder,
}: {
  label: string
  onFiles(f: PickedFile[]): void
  folder?: boolean
}) {
  const ref = useRef<HTMLInputElement>(null)
  const id = folder ? 'pick-folder' : 'pick-files'
  return (
    <>
      <button type="button" class="btn" onClick={() => ref.current?.click()}>
        {label}
      </button>
      <input
        ref={ref}
        id={id}
        data-testid={id}
        type="file"
        class="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        multiple
        {...(folder ? { webkitdirectory: true } : {})}
        onChange={(e) => {
          const input = e.currentTarget as HTMLInputElement
          onFiles(fromFileList(input.files ?? []))
          input.value = ''
        }}
      />
    </>
  )
}

function errorText(e: unknown, t: ReturnType<typeof useI18n>['t']): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('networkError')
    if (e.status === 429) return t('tooManyAttempts')
    return t('serverError', { message: e.message })
  }
  return t('serverError', { message: e instanceof Error ? e.message : String(e) })
}
