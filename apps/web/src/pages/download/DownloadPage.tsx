import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../../api/http.js'
import type { Bucket, BucketItem } from '../../api/types.js'
import { decryptToBlob, isOpened, type SaveError, saveDecrypted } from '../../e2e/download.js'
import { useI18n } from '../../i18n/context.js'
import { fileKind, previewKind } from '../../lib/filetype.js'
import { formatBytes, formatDate } from '../../lib/format.js'
import { displayPath } from '../../lib/paths.js'
import { CopyButton } from '../../ui/CopyButton.js'
import { FileIcon } from '../../ui/FileIcon.js'
import { PasswordField } from '../../ui/PasswordField.js'
import type { PageProps } from '../page.js'
import { EncryptedBucket, failureText } from './EncryptedBucket.js'
import { PreviewModal } from './PreviewModal.js'

type Phase =
  | { kind: 'loading' }
  | { kind: 'password'; error?: string; busy: boolean }
  | { kind: 'notFound' }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; bucket: Bucket }

export function DownloadPage({ api, route, preload }: PageProps) {
  const { t } = useI18n()
  const sid = route.page === 'download' ? route.sid : ''
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' })
  const [password, setPassword] = useState('')

  const failed = (e: unknown, withPassword: boolean) => {
    if (e instanceof ApiError && e.status === 401) {
      setPhase({ kind: 'password', busy: false, error: withPassword ? t('wrongPassword') : undefined })
    } else if (e instanceof ApiError && e.status === 429) {
      setPhase({ kind: 'password', busy: false, error: t('tooManyAttempts') })
    } else if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
      setPhase({ kind: 'notFound' })
    } else {
      const message =
        e instanceof ApiError && e.status !== 0 ? t('serverError', { message: e.message }) : t('networkError')
      setPhase({ kind: 'failed', message })
    }
  }

  useEffect(() => {
    ;(preload.bucket ?? api.bucket(sid)).then(
      (bucket) => setPhase({ kind: 'ready', bucket }),
      (e) => failed(e, false),
    )
  }, [])

  const submit = (e: Event) => {
    e.preventDefault()
    if (!password) return
    setPhase({ kind: 'password', busy: true })
    api.bucket(sid, password).then(
      (bucket) => setPhase({ kind: 'ready', bucket }),
      (err) => failed(err, true),
    )
  }

  switch (phase.kind) {
    case 'loading':
      return <p class="muted">{t('loading')}</p>
    case 'notFound':
      return (
        <div class="card">
          <p role="alert">{t('bucketNotFound')}</p>
          <a href={api.base.pathname}>{t('toUploadPage')}</a>
        </div>
      )
    case 'failed':
      return (
        <div class="card">
          <p class="error" role="alert">
            {phase.message}
          </p>
          <button type="button" class="btn" onClick={() => location.reload()}>
            {t('retry')}
          </button>
        </div>
      )
    case 'password':
      return (
        <form class="card narrow" onSubmit={submit}>
          <p>{t('protectedPrompt')}</p>
          <PasswordField
            id="download-pass"
            label={t('password')}
            value={password}
            onInput={setPassword}
            autoComplete="current-password"
            error={phase.error}
            required
            autoFocus
          />
          <button type="submit" class="btn btn-primary" disabled={phase.busy || !password}>
            {t('continue')}
          </button>
        </form>
      )
    case 'ready':
      return phase.bucket.encrypted ? (
        <EncryptedBucket bucket={phase.bucket}>
          {(bucket, key) => <BucketView api={api} bucket={bucket} e2eKey={key} />}
        </EncryptedBucket>
      ) : (
        <BucketView api={api} bucket={phase.bucket} />
      )
  }
}

/** Progress or failure of a decrypting download, per file. */
type Saving = { bytes: number } | { error: string } | { done: true }

function BucketView({
  api,
  bucket,
  e2eKey,
}: {
  api: PageProps['api']
  bucket: Bucket
  /** The link's key when the bucket is end-to-end encrypted (items are then opened). */
  e2eKey?: Uint8Array
}) {
  const { t, locale } = useI18n()
  const [used, setUsed] = useState<ReadonlySet<string>>(new Set())
  const [previewIndex, setPreviewIndex] = useState<number | null>(null)
  const [saving, setSaving] = useState<Readonly<Record<string, Saving>>>({})
  const abs = (url: string) => new URL(url, api.base).href
  const maxPreview = bucket.config?.maxPreviewSize ?? 0
  // Encrypted files are previewed from memory: only up to maxPreviewSize, and no PDF (it would need a frame).
  const previewable = bucket.items.filter((i) => {
    const kind = previewKind({ ...i, type: i.type }, maxPreview)
    return kind !== null && (!isOpened(i) || (i.size <= maxPreview && kind !== 'pdf'))
  })
  const setSave = (key: string, s: Saving) => setSaving((all) => ({ ...all, [key]: s }))
  const save = (item: BucketItem) => {
    if (!e2eKey || !isOpened(item)) return
    if (item.oneTime) setUsed((s) => new Set(s).add(item.key))
    setSave(item.key, { bytes: 0 })
    saveDecrypted(api.base, item, e2eKey, abs(item.url), (bytes) => setSave(item.key, { bytes })).then(
      () => setSave(item.key, { done: true }),
      (err: SaveError) => setSave(item.key, { error: t(failureText(err.failure ?? 'network')) }),
    )
  }
  const totalSize = bucket.items.reduce((s, i) => s + i.size, 0)

  const consumed = (i: BucketItem) => i.oneTime && (i.downloaded || used.has(i.key))
  // An archive contains the one-time files too, so it uses them up like single downloads do.
  const archiveTaken = () =>
    setUsed((s) => new Set([...s, ...bucket.items.filter((i) => i.oneTime).map((i) => i.key)]))

  return (
    <>
      <section class="card">
        <p class="muted">
          {t('fileCount', { count: bucket.items.length })} ·{' '}
          {t('totalSize', { size: formatBytes(totalSize, locale) })}
        </p>
        {e2eKey && (
          <p class="e2e-note" data-testid="e2e-note">
            {t('e2eBucket')}
          </p>
        )}
        {/* Archives make sense while something is left to download; the server cannot archive encrypted files. */}
        <div class="actions" hidden={bucket.items.every(consumed) || bucket.encrypted === true}>
          <a class="btn btn-primary" href={abs(bucket.zipUrl)} download onClick={archiveTaken}>
            {t('downloadZip')}
          </a>
          <a class="btn" href={abs(bucket.tarGzUrl)} download onClick={archiveTaken}>
            {t('downloadTarGz')}
          </a>
        </div>
      </section>
      <ul class="file-list download-list">
        {bucket.items.map((item) => {
          const path = displayPath({ name: item.name, relativePath: item.relativePath ?? '' })
          const gone = consumed(item)
          const canPreview = previewable.includes(item)
          return (
            <li key={item.key} class={`file card${gone ? ' file-used' : ''}`}>
              <FileIcon kind={fileKind(item.type, item.name)} />
              <div class="file-main">
                <div class="file-head">
                  <span class="file-name" title={path}>
                    {path}
                  </span>
                  <span class="file-size">{formatBytes(item.size, locale)}</span>
                </div>
                {item.comment && <p class="file-comment-text">{item.comment}</p>}
                <p class="muted small">
                  {item.oneTime
                    ? `${t('expires')}: ${t('expiresAfterDownload')}`
                    : item.expiresAt
                      ? `${t('expires')}: ${formatDate(item.expiresAt, locale)}`
                      : t('keptUntilDeleted')}
                </p>
                {saving[item.key] && <SaveStatus state={saving[item.key]!} size={item.size} />}
                {!item.oneTime && typeof item.downloadsLeft === 'number' && (
                  <p class="badge">{t('downloadsLeft', { count: item.downloadsLeft })}</p>
                )}
                {item.oneTime && (
                  <p class={`badge${gone ? ' badge-used' : ''}`}>
                    {gone ? t('alreadyDownloaded') : `${t('oneTimeBadge')}: ${t('oneTimeWarning')}`}
                  </p>
                )}
              </div>
              <div class="file-actions">
                {canPreview && (
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => setPreviewIndex(previewable.indexOf(item))}
                    aria-label={t('previewFile', { name: path })}
                  >
                    {t('preview')}
                  </button>
                )}
                {gone ? (
                  <button
                    type="button"
                    class="btn btn-small"
                    disabled
                    aria-label={t('downloadFile', { name: path })}
                  >
                    {t('download')}
                  </button>
                ) : isOpened(item) ? (
                  <button
                    type="button"
                    class="btn btn-small btn-primary"
                    aria-label={t('downloadFile', { name: path })}
                    disabled={saving[item.key] !== undefined && 'bytes' in saving[item.key]!}
                    onClick={() => save(item)}
                  >
                    {t('download')}
                  </button>
                ) : (
                  <a
                    class="btn btn-small btn-primary"
                    href={abs(item.url)}
                    download={item.name}
                    aria-label={t('downloadFile', { name: path })}
                    onClick={() => {
                      if (item.oneTime) setUsed((s) => new Set(s).add(item.key))
                    }}
                  >
                    {t('download')}
                  </a>
                )}
                {!gone && (
                  <CopyButton
                    text={abs(item.url)}
                    label={t('copyFileLink', { name: path })}
                    class="btn btn-small"
                  />
                )}
              </div>
            </li>
          )
        })}
      </ul>
      {previewIndex !== null && previewable[previewIndex] && (
        <PreviewModal
          items={previewable}
          index={previewIndex}
          maxPreviewSize={maxPreview}
          urlOf={abs}
          {...(e2eKey
            ? {
                decrypted: (item: BucketItem, signal: AbortSignal) =>
                  isOpened(item)
                    ? decryptToBlob(item, e2eKey, abs(item.url), signal)
                    : Promise.reject(new Error('not encrypted')),
              }
            : {})}
          onIndex={setPreviewIndex}
          onClose={() => setPreviewIndex(null)}
        />
      )}
    </>
  )
}

function SaveStatus({ state, size }: { state: Saving; size: number }) {
  const { t } = useI18n()
  if ('error' in state)
    return (
      <p class="error small" role="alert">
        {state.error}
      </p>
    )
  if ('done' in state) return null
  const percent = size > 0 ? Math.floor((state.bytes / size) * 100) : 0
  return (
    <p class="muted small" role="status">
      {t('e2eDecrypting', { percent })}
    </p>
  )
}
