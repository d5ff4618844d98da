import { useEffect, useState } from 'preact/hooks'
import { Upload } from 'tus-js-client'
import { ApiError } from '../../api/http.js'
import { type RequestInfo, requestInfo } from '../../api/requests.js'
import { useI18n } from '../../i18n/context.js'
import { formatBytes, formatDate } from '../../lib/format.js'
import { failureOf } from '../../upload/tus.js'
import type { PageProps } from '../page.js'
import { errorText } from '../upload/messages.js'

type Phase =
  | { kind: 'loading' }
  | { kind: 'invalid' }
  | { kind: 'closed'; message: string }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; info: RequestInfo }

/**
 * An upload request's page (`{B}request/{sid}#{secret}`): the requester's message and limits,
 * and a picker whose files go over TUS with the secret (never in a URL). The person asked sees
 * only what they sent here, never the other files of the bucket.
 */
export function RequestPage({ api, route }: PageProps) {
  const { t, locale } = useI18n()
  const sid = route.page === 'request' ? route.sid : ''
  const token = typeof location === 'undefined' ? '' : decodeURIComponent(location.hash.slice(1))
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' })
  const [files, setFiles] = useState<File[]>([])
  const [sending, setSending] = useState<{ name: string; percent: number }>()
  const [sent, setSent] = useState<string[]>([])
  const [error, setError] = useState<string>()

  const load = () =>
    requestInfo(api, sid, token).then(
      (info) => setPhase({ kind: 'ready', info }),
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 410) setPhase({ kind: 'closed', message: e.message })
        else if (e instanceof ApiError && [401, 403, 404].includes(e.status)) setPhase({ kind: 'invalid' })
        else setPhase({ kind: 'failed', message: errorText(e, t) })
      },
    )

  useEffect(() => {
    if (!token) return setPhase({ kind: 'invalid' })
    void load()
  }, [sid, token])

  if (phase.kind === 'loading') return <p class="muted">{t('loading')}</p>
  if (phase.kind !== 'ready') {
    const text =
      phase.kind === 'invalid'
        ? t('requestInvalid')
        : phase.kind === 'closed'
          ? t('requestClosed')
          : phase.message
    return (
      <section class="card">
        <p role="alert">{text}</p>
        {sent.length > 0 && <SentList names={sent} />}
      </section>
    )
  }

  const { info } = phase
  const send = async () => {
    setError(undefined)
    const done: string[] = []
    try {
      for (const file of files) {
        setSending({ name: file.name, percent: 0 })
        await new Promise<void>((resolve, reject) => {
          new Upload(file, {
            endpoint: new URL(info.tusEndpoint, api.base).href,
            chunkSize: info.chunkSize,
            retryDelays: [0, 1000, 3000, 5000],
            metadata: { sid, name: file.name, type: file.type || 'application/octet-stream' },
            headers: { 'X-Request-Token': token },
            storeFingerprintForResuming: false,
            onProgress: (bytes, total) =>
              setSending({ name: file.name, percent: total > 0 ? Math.floor((bytes / total) * 100) : 100 }),
            onSuccess: () => resolve(),
            onError: (err) => {
              const f = failureOf(err)
              reject(new ApiError(f.status, f.status === 410 ? 'GONE' : 'UPLOAD', f.message))
            },
          }).start()
        })
        done.push(file.name)
        setSent((s) => [...s, file.name])
      }
      setFiles([])
      const picker = document.getElementById('request-files') as HTMLInputElement | null
      if (picker) picker.value = ''
    } catch (e) {
      if (e instanceof ApiError && e.status === 410) {
        setPhase({ kind: 'closed', message: e.message })
        return
      }
      setError(
        e instanceof ApiError && e.status === 413
          ? t('serverError', { message: e.message })
          : errorText(e, t),
      )
    } finally {
      setSending(undefined)
      // The limits left, as the server counts them now.
      if (done.length > 0) void load()
    }
  }

  const total = files.reduce((s, f) => s + f.size, 0)
  const tooMany = info.filesLeft !== null && files.length > info.filesLeft
  const tooBig = info.bytesLeft !== null && total > info.bytesLeft
  const oversized =
    info.maxFileSize === null ? undefined : files.find((f) => f.size > (info.maxFileSize as number))
  const fileTooBig = oversized !== undefined
  const busy = sending !== undefined

  return (
    <div class="request" aria-busy={busy}>
      <section class="card">
        {info.message && (
          <figure class="request-message">
            <figcaption>{t('requestFrom')}</figcaption>
            <blockquote>{info.message}</blockquote>
          </figure>
        )}
        <ul class="request-limits">
          {info.filesLeft !== null && <li>{t('requestFilesLeft', { count: info.filesLeft })}</li>}
          {info.bytesLeft !== null && (
            <li>{t('requestSpaceLeft', { size: formatBytes(info.bytesLeft, locale) })}</li>
          )}
          {info.expiresAt !== null && (
            <li>{t('requestOpenUntil', { date: formatDate(info.expiresAt, locale) })}</li>
          )}
        </ul>
      </section>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault()
          if (files.length > 0 && !tooMany && !tooBig && !fileTooBig) void send()
        }}
      >
        <div class="field">
          <label for="request-files">{t('requestChooseFiles')}</label>
          <input
            id="request-files"
            type="file"
            multiple
            disabled={busy}
            aria-describedby={tooMany || tooBig || fileTooBig ? 'request-files-problem' : undefined}
            onChange={(e) => setFiles([...((e.currentTarget as HTMLInputElement).files ?? [])])}
          />
          {(tooMany || tooBig || fileTooBig) && (
            <p class="error" id="request-files-problem">
              {tooMany
                ? t('requestFilesLeft', { count: info.filesLeft as number })
                : tooBig
                  ? t('requestSpaceLeft', { size: formatBytes(info.bytesLeft as number, locale) })
                  : t('fileTooLarge', {
                      name: oversized?.name ?? '',
                      size: formatBytes(oversized?.size ?? 0, locale),
                      max: formatBytes(info.maxFileSize as number, locale),
                    })}
            </p>
          )}
        </div>
        {sending && (
          <p class="muted" role="status">
            {t('statusUploading')}: {sending.name} ({sending.percent} %)
          </p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || files.length === 0 || tooMany || tooBig || fileTooBig}
        >
          {t('upload')}
        </button>
      </form>
      {sent.length > 0 && <SentList names={sent} />}
    </div>
  )
}

function SentList({ names }: { names: string[] }) {
  const { t } = useI18n()
  return (
    <section class="card" aria-labelledby="request-sent">
      <h2 id="request-sent">{t('requestSent')}</h2>
      <ul>
        {names.map((n, i) => (
          // The same name may be sent twice: the position keeps the keys apart.
          <li key={`${i}-${n}`}>{n}</li>
        ))}
      </ul>
    </section>
  )
}
