import { useEffect, useMemo, useState } from 'preact/hooks'
import { Upload } from 'tus-js-client'
import { ApiError } from '../../api/http.js'
import { type RequestInfo, requestInfo } from '../../api/requests.js'
import { useI18n } from '../../i18n/context.js'
import { formatBytes, formatDate } from '../../lib/format.js'
import { storage } from '../../lib/storage.js'
import { failureOf } from '../../upload/tus.js'
import type { PageProps } from '../page.js'
import { errorText } from '../upload/messages.js'
import { ResumeBanner } from '../upload/ResumeBanner.js'
import {
  clearRequestSession,
  loadRequestSession,
  type RequestSession,
  requestFingerprint,
  sameRequestFile,
  saveRequestSession,
} from './requestSession.js'

type Phase =
  | { kind: 'loading' }
  | { kind: 'invalid' }
  | { kind: 'closed'; message: string }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; info: RequestInfo }

/**
 * An upload request's page (`{B}request/{sid}#{secret}`): the requester's message and limits,
 * and a picker whose files go over TUS with the secret (never in a URL). The person asked sees
 * only what they sent here, never the other files of the bucket. Like the upload page, an upload
 * cut by a reload continues where it stopped once the same files are chosen again
 * (`requestSession.ts`: tus fingerprints and the list of files, never the secret).
 */
export function RequestPage({ api, route }: PageProps) {
  const { t, locale } = useI18n()
  const sid = route.page === 'request' ? route.sid : ''
  const token = typeof location === 'undefined' ? '' : decodeURIComponent(location.hash.slice(1))
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' })
  const local = useMemo(() => storage('local'), [])
  // An upload through this link that a reload (or a closed tab) cut short.
  const [restored, setRestored] = useState<RequestSession | null>(() => loadRequestSession(local, sid))
  const [files, setFiles] = useState<File[]>([])
  const [sending, setSending] = useState<{ name: string; percent: number }>()
  const [sent, setSent] = useState<string[]>(
    () => restored?.files.filter((f) => f.done).map((f) => f.name) ?? [],
  )
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
  // Files of the cut upload: chosen again, they continue (already counted by the server); those
  // it finished are not sent twice.
  const pending = restored?.files.filter((f) => !f.done) ?? []
  const toSend = files.filter((f) => !restored?.files.some((r) => r.done && sameRequestFile(r, f)))
  const resuming = (f: File) => pending.some((r) => sameRequestFile(r, f))
  const send = async () => {
    setError(undefined)
    const done: string[] = []
    // Saved before the first byte: a reload from here on finds what to continue.
    const session: RequestSession = restored ?? { v: 1, sid, createdAt: Date.now(), files: [] }
    for (const f of toSend) {
      if (!session.files.some((s) => sameRequestFile(s, f))) {
        session.files.push({ name: f.name, size: f.size, lastModified: f.lastModified, done: false })
      }
    }
    saveRequestSession(local, session)
    try {
      for (const file of toSend) {
        setSending({ name: file.name, percent: 0 })
        await new Promise<void>((resolve, reject) => {
          const upload = new Upload(file, {
            endpoint: new URL(info.tusEndpoint, api.base).href,
            chunkSize: info.chunkSize,
            retryDelays: [0, 1000, 3000, 5000],
            metadata: { sid, name: file.name, type: file.type || 'application/octet-stream' },
            headers: { 'X-Request-Token': token },
            // The upload URL is kept under a fingerprint scoped to this bucket (no secret in it).
            fingerprint: () => Promise.resolve(requestFingerprint(sid, file)),
            storeFingerprintForResuming: local !== null,
            removeFingerprintOnSuccess: true,
            onProgress: (bytes, total) =>
              setSending({ name: file.name, percent: total > 0 ? Math.floor((bytes / total) * 100) : 100 }),
            onSuccess: () => resolve(),
            onError: (err) => {
              const f = failureOf(err)
              reject(new ApiError(f.status, f.status === 410 ? 'GONE' : 'UPLOAD', f.message))
            },
          })
          // Continue this file's upload from an earlier page load, from the server's offset.
          const begin = async () => {
            const previous = local ? await upload.findPreviousUploads() : []
            const latest = previous.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0]
            if (latest) upload.resumeFromPreviousUpload(latest)
            upload.start()
          }
          begin().catch(reject)
        })
        const entry = session.files.find((s) => sameRequestFile(s, file))
        if (entry) entry.done = true
        saveRequestSession(local, session)
        done.push(file.name)
        setSent((s) => [...s, file.name])
      }
      // Everything arrived: nothing to continue after a reload.
      if (session.files.every((f) => f.done)) {
        clearRequestSession(local, sid)
        setRestored(null)
      } else setRestored({ ...session })
      setFiles([])
      const picker = document.getElementById('request-files') as HTMLInputElement | null
      if (picker) picker.value = ''
    } catch (e) {
      if (e instanceof ApiError && e.status === 410) {
        // The request takes nothing more: nothing left to continue.
        clearRequestSession(local, sid)
        setRestored(null)
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

  // The server counts the files of the cut upload already: only new ones count against the limits.
  const fresh = toSend.filter((f) => !resuming(f))
  const total = fresh.reduce((s, f) => s + f.size, 0)
  const tooMany = info.filesLeft !== null && fresh.length > info.filesLeft
  const tooBig = info.bytesLeft !== null && total > info.bytesLeft
  const oversized =
    info.maxFileSize === null ? undefined : toSend.find((f) => f.size > (info.maxFileSize as number))
  const fileTooBig = oversized !== undefined
  const busy = sending !== undefined

  return (
    <div class="request" aria-busy={busy}>
      {restored && pending.length > 0 && !busy && (
        <section class="card">
          <ResumeBanner
            createdAt={restored.createdAt}
            onStartOver={() => {
              // The cut uploads stay on the server until they expire (the link may not delete).
              clearRequestSession(local, sid)
              setRestored(null)
            }}
          />
          <ul class="request-resume">
            {pending.map((f) => (
              <li key={`${f.name}-${f.size}-${f.lastModified}`}>
                {f.name} ({formatBytes(f.size, locale)}):{' '}
                {files.some((p) => sameRequestFile(f, p)) ? t('statusQueued') : t('needsReadd')}
              </li>
            ))}
          </ul>
        </section>
      )}
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
          if (toSend.length > 0 && !tooMany && !tooBig && !fileTooBig) void send()
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
          disabled={busy || toSend.length === 0 || tooMany || tooBig || fileTooBig}
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
