import { Fragment } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { Api } from '../../api/client.js'
import { ApiError } from '../../api/http.js'
import type { AdminBucket, AdminData } from '../../api/types.js'
import { useI18n } from '../../i18n/context.js'
import { formatBytes, formatDate } from '../../lib/format.js'
import { displayPath } from '../../lib/paths.js'
import { storage } from '../../lib/storage.js'
import { PasswordField } from '../../ui/PasswordField.js'
import type { PageProps } from '../page.js'

const ADMIN_PASS_KEY = 'psitransfer.adminPass'

type Phase =
  | { kind: 'login'; error?: string; busy: boolean }
  | { kind: 'disabled' }
  | { kind: 'ready'; data: AdminData; pass: string; busy: boolean; error?: string }

export function AdminPage({ api }: PageProps) {
  const { t } = useI18n()
  const [phase, setPhase] = useState<Phase>({ kind: 'login', busy: false })
  const [pass, setPass] = useState('')

  // Stay logged in across reloads of this tab (sessionStorage, gone with the tab).
  useEffect(() => {
    const saved = storage('session')?.getItem(ADMIN_PASS_KEY)
    if (saved) login(saved, false)
  }, [])

  function failed(e: unknown, typed: boolean) {
    if (e instanceof ApiError && e.status === 404) return setPhase({ kind: 'disabled' })
    storage('session')?.removeItem(ADMIN_PASS_KEY)
    const error =
      e instanceof ApiError && (e.status === 401 || e.status === 403)
        ? typed
          ? t('wrongPassword')
          : undefined
        : e instanceof ApiError && e.status === 429
          ? t('tooManyAttempts')
          : e instanceof ApiError && e.status !== 0
            ? t('serverError', { message: e.message })
            : t('networkError')
    setPhase({ kind: 'login', busy: false, error })
  }

  function login(password: string, typed: boolean) {
    setPhase({ kind: 'login', busy: true })
    api.adminData(password).then(
      (data) => {
        storage('session')?.setItem(ADMIN_PASS_KEY, password)
        setPhase({ kind: 'ready', data, pass: password, busy: false })
      },
      (e) => failed(e, typed),
    )
  }

  if (phase.kind === 'disabled') {
    return (
      <p class="card" role="alert">
        {t('adminDisabled')}
      </p>
    )
  }
  if (phase.kind === 'login') {
    return (
      <form
        class="card narrow"
        onSubmit={(e) => {
          e.preventDefault()
          if (pass) login(pass, true)
        }}
      >
        <PasswordField
          id="admin-pass"
          label={t('adminPassword')}
          value={pass}
          onInput={setPass}
          autoComplete="current-password"
          error={phase.error}
          required
          autoFocus
        />
        <button type="submit" class="btn btn-primary" disabled={phase.busy || !pass}>
          {t('login')}
        </button>
      </form>
    )
  }

  const run = async (action: () => Promise<unknown>) => {
    setPhase({ ...phase, busy: true, error: undefined })
    try {
      await action()
      const data = await api.adminData(phase.pass)
      setPhase({ kind: 'ready', data, pass: phase.pass, busy: false })
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return failed(e, false)
      setPhase({
        ...phase,
        busy: false,
        error:
          e instanceof ApiError && e.status === 0
            ? t('networkError')
            : t('serverError', { message: e instanceof Error ? e.message : String(e) }),
      })
    }
  }

  return (
    <AdminView
      api={api}
      phase={phase}
      onRefresh={() => run(async () => {})}
      onRun={run}
      onLogout={() => {
        storage('session')?.removeItem(ADMIN_PASS_KEY)
        setPass('')
        setPhase({ kind: 'login', busy: false })
      }}
    />
  )
}

interface ViewProps {
  api: Api
  phase: Extract<Phase, { kind: 'ready' }>
  onRefresh(): void
  onRun(action: () => Promise<unknown>): void
  onLogout(): void
}

function AdminView({ api, phase, onRefresh, onRun, onLogout }: ViewProps) {
  const { t, locale } = useI18n()
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set())
  const { data, pass, busy } = phase
  const date = (ms: number | null | undefined) => (ms ? formatDate(ms, locale) : '–')
  const toggle = (sid: string) =>
    setOpen((s) => {
      const n = new Set(s)
      if (n.has(sid)) n.delete(sid)
      else n.add(sid)
      return n
    })

  const deleteBucket = (b: AdminBucket) => {
    if (window.confirm(t('confirmDeleteBucket', { sid: b.sid, count: b.files.length }))) {
      onRun(() => api.deleteBucket(pass, b.sid))
    }
  }

  return (
    <section aria-busy={busy}>
      <div class="toolbar">
        <p>
          <strong>
            {t('totals', {
              buckets: data.totals.buckets,
              files: data.totals.files,
              size: formatBytes(data.totals.bytes, locale),
            })}
          </strong>
        </p>
        <div class="actions">
          <button type="button" class="btn" onClick={onRefresh} disabled={busy}>
            {t('refresh')}
          </button>
          <button type="button" class="btn" onClick={onLogout}>
            {t('logout')}
          </button>
        </div>
      </div>
      {phase.error && (
        <p class="error" role="alert">
          {phase.error}
        </p>
      )}
      {data.buckets.length === 0 ? (
        <p class="card">{t('noBuckets')}</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section class="table-wrap" tabIndex={0} aria-label={t('buckets')}>
          <table class="admin-table">
            <thead>
              <tr>
                <th scope="col">{t('bucket')}</th>
                <th scope="col">{t('created')}</th>
                <th scope="col">{t('lastDownload')}</th>
                <th scope="col">{t('expires')}</th>
                <th scope="col">{t('size')}</th>
                <th scope="col">{t('files')}</th>
                <th scope="col">{t('protected')}</th>
                <th scope="col">
                  <span class="sr-only">{t('delete')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.buckets.map((b) => {
                const expanded = open.has(b.sid)
                return (
                  <Fragment key={b.sid}>
                    <tr class={expanded ? 'expanded' : ''}>
                      <th scope="row">
                        <button
                          type="button"
                          class="btn-link"
                          aria-expanded={expanded}
                          aria-controls={`files-${b.sid}`}
                          aria-label={
                            expanded ? t('hideFiles', { sid: b.sid }) : t('showFiles', { sid: b.sid })
                          }
                          onClick={() => toggle(b.sid)}
                        >
                          <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> <code>{b.sid}</code>
                        </button>{' '}
                        <a href={new URL(encodeURIComponent(b.sid), api.base).pathname} class="small">
                          ↗<span class="sr-only">{b.sid}</span>
                        </a>
                      </th>
                      <td>{date(b.createdAt)}</td>
                      <td>{date(b.lastDownload)}</td>
                      <td>{b.expiresAt ? date(b.expiresAt) : t('never')}</td>
                      <td>{formatBytes(b.size, locale)}</td>
                      <td>{b.files.length}</td>
                      <td>{b.protected ? t('yes') : t('no')}</td>
                      <td>
                        <button
                          type="button"
                          class="btn btn-small btn-danger"
                          disabled={busy}
                          onClick={() => deleteBucket(b)}
                        >
                          {t('delete')}
                          <span class="sr-only"> {b.sid}</span>
                        </button>
                      </td>
                    </tr>
                    {expanded && (
                      <tr class="files-row" id={`files-${b.sid}`}>
                        <td colSpan={8}>
                          <BucketFiles
                            bucket={b}
                            busy={busy}
                            onDelete={(key) => onRun(() => api.deleteFile(pass, b.sid, key))}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                )
              })}
            </tbody>
          </table>
        </section>
      )}
    </section>
  )
}

function BucketFiles({
  bucket,
  busy,
  onDelete,
}: {
  bucket: AdminBucket
  busy: boolean
  onDelete(key: string): void
}) {
  const { t, locale } = useI18n()
  const date = (ms: number | null | undefined) => (ms ? formatDate(ms, locale) : '–')
  return (
    <table class="files-table">
      <caption class="sr-only">{t('files')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('name')}</th>
          <th scope="col">{t('size')}</th>
          <th scope="col">{t('created')}</th>
          <th scope="col">{t('expires')}</th>
          <th scope="col">{t('downloads')}</th>
          <th scope="col">
            <span class="sr-only">{t('delete')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {bucket.files.map((f) => {
          const path = displayPath({ name: f.name, relativePath: f.relativePath ?? '' })
          const length = f.uploadLength ?? f.size
          return (
            <tr key={f.key}>
              <th scope="row">
                <span class="file-name">{path}</span>
                {f.oneTime && <span class="badge">{t('oneTimeBadge')}</span>}
                {!f.complete && (
                  <span class="badge badge-warn">
                    {t('incomplete', {
                      percent: `${length ? Math.floor(((f.offset ?? 0) / length) * 100) : 0} %`,
                    })}
                  </span>
                )}
                {f.comment && <span class="muted small"> {f.comment}</span>}
              </th>
              <td>{formatBytes(f.size, locale)}</td>
              <td>{date(f.createdAt)}</td>
              <td>{f.oneTime ? t('oneTimeBadge') : f.expiresAt ? date(f.expiresAt) : t('never')}</td>
              <td>
                {f.downloads ?? '–'}
                {f.lastDownload ? <span class="muted small"> ({date(f.lastDownload)})</span> : null}
              </td>
              <td>
                <button
                  type="button"
                  class="btn btn-small btn-danger"
                  disabled={busy}
                  aria-label={t('deleteFile', { name: path })}
                  onClick={() => {
                    if (window.confirm(t('confirmDeleteFile', { name: path }))) onDelete(f.key)
                  }}
                >
                  {t('delete')}
                </button>
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
