import { useEffect, useRef, useState } from 'preact/hooks'
import type { BucketItem } from '../../api/types.js'
import { useI18n } from '../../i18n/context.js'
import { previewKind } from '../../lib/filetype.js'
import { displayPath } from '../../lib/paths.js'
import { inlineUrl, pdfEmbeddable, readText } from './preview.js'

interface Props {
  items: readonly BucketItem[]
  index: number
  maxPreviewSize: number
  urlOf(url: string): string
  /** Decrypts an end-to-end encrypted item into memory (it fits maxPreviewSize). */
  decrypted?: (item: BucketItem, signal: AbortSignal) => Promise<Blob>
  onIndex(index: number): void
  onClose(): void
}

/**
 * A modal <dialog> (focus trapped, Esc closes) that previews one file at a time; ← and → move between
 * previewable files. Nothing uploaded is ever rendered as a document of this origin: text is inserted as
 * a text node, images/media/PDF load from `inline=1` responses that the server serves with CSP sandbox.
 */
export function PreviewModal({ items, index, maxPreviewSize, urlOf, decrypted, onIndex, onClose }: Props) {
  const { t } = useI18n()
  const ref = useRef<HTMLDialogElement>(null)
  const item = items[index]!
  const kind = previewKind({ ...item }, maxPreviewSize)
  const src = inlineUrl(urlOf(item.url))
  const path = displayPath({ name: item.name, relativePath: item.relativePath ?? '' })

  useEffect(() => {
    const d = ref.current
    if (d && !d.open) d.showModal()
    return () => d?.close()
  }, [])

  const go = (delta: number) => onIndex((index + delta + items.length) % items.length)

  const onKeyDown = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement
    // Media elements use the arrow keys for seeking.
    if (target.tagName === 'VIDEO' || target.tagName === 'AUDIO') return
    if (e.key === 'ArrowRight') {
      e.preventDefault()
      go(1)
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault()
      go(-1)
    }
  }

  return (
    <dialog
      ref={ref}
      class="preview"
      aria-labelledby="preview-title"
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose() // backdrop click
      }}
    >
      <div class="preview-head">
        <h2 id="preview-title" title={path}>
          {path}
        </h2>
        <span class="muted small">
          {index + 1} / {items.length}
        </span>
        <button
          type="button"
          class="btn btn-icon"
          onClick={onClose}
          aria-label={t('close')}
          title={t('close')}
        >
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
          </svg>
        </button>
      </div>
      <div class="preview-body">
        {item.encrypted && decrypted && (
          <DecryptedPreview key={item.key} item={item} kind={kind} path={path} decrypted={decrypted} />
        )}
        {!item.encrypted && kind === 'image' && <img key={src} src={src} alt={path} />}
        {!item.encrypted && kind === 'video' && (
          // biome-ignore lint/a11y/useMediaCaption: uploaded videos come without caption tracks
          <video key={src} src={src} controls preload="metadata" />
        )}
        {!item.encrypted && kind === 'audio' && (
          // biome-ignore lint/a11y/useMediaCaption: uploaded audio comes without caption tracks
          <audio key={src} src={src} controls preload="metadata" />
        )}
        {!item.encrypted && kind === 'pdf' && <PdfPreview key={src} src={src} title={path} />}
        {!item.encrypted && kind === 'text' && <TextPreview key={src} src={src} limit={maxPreviewSize} />}
      </div>
      <div class="preview-foot">
        <button type="button" class="btn" onClick={() => go(-1)} disabled={items.length < 2}>
          ← {t('previous')}
        </button>
        <span class="muted small hide-narrow">{t('previewKeysHint')}</span>
        <button type="button" class="btn" onClick={() => go(1)} disabled={items.length < 2}>
          {t('next')} →
        </button>
      </div>
    </dialog>
  )
}

/**
 * An end-to-end encrypted file, decrypted into memory and shown from a blob: URL (text as a text
 * node); a damaged file or a wrong key shows the preview error instead of partial content.
 */
function DecryptedPreview({
  item,
  kind,
  path,
  decrypted,
}: {
  item: BucketItem
  kind: ReturnType<typeof previewKind>
  path: string
  decrypted: (item: BucketItem, signal: AbortSignal) => Promise<Blob>
}) {
  const { t } = useI18n()
  const [state, setState] = useState<{ url?: string; text?: string; failed?: boolean }>({})
  useEffect(() => {
    const ctrl = new AbortController()
    let url: string | undefined
    decrypted(item, ctrl.signal)
      .then(async (blob) => {
        if (kind === 'text') return { text: await blob.text() }
        url = URL.createObjectURL(blob)
        return { url }
      })
      .then(
        (r) => !ctrl.signal.aborted && setState(r),
        () => !ctrl.signal.aborted && setState({ failed: true }),
      )
    return () => {
      ctrl.abort()
      if (url) URL.revokeObjectURL(url)
    }
  }, [item.key])
  if (state.failed) return <p class="error">{t('previewFailed')}</p>
  if (state.text !== undefined)
    return (
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the scrollable text must be reachable by keyboard
      <pre class="wrap" tabIndex={0} data-testid="text-preview">
        {state.text}
      </pre>
    )
  if (!state.url) return <p class="muted">{t('loading')}</p>
  if (kind === 'image') return <img src={state.url} alt={path} />
  if (kind === 'video')
    // biome-ignore lint/a11y/useMediaCaption: uploaded videos come without caption tracks
    return <video src={state.url} controls preload="metadata" />
  if (kind === 'audio')
    // biome-ignore lint/a11y/useMediaCaption: uploaded audio comes without caption tracks
    return <audio src={state.url} controls preload="metadata" />
  return <p class="muted">{t('previewFailed')}</p>
}

function TextPreview({ src, limit }: { src: string; limit: number }) {
  const { t } = useI18n()
  const [state, setState] = useState<{ text?: string; truncated?: boolean; failed?: boolean }>({})
  const [wrap, setWrap] = useState(true)

  useEffect(() => {
    const ctrl = new AbortController()
    fetch(src, { signal: ctrl.signal, credentials: 'same-origin' })
      .then((res) => {
        if (!res.ok) throw new Error(String(res.status))
        return readText(res, limit)
      })
      .then(
        (r) => setState(r),
        () => !ctrl.signal.aborted && setState({ failed: true }),
      )
    return () => ctrl.abort()
  }, [src, limit])

  if (state.failed) return <p class="error">{t('previewFailed')}</p>
  if (state.text === undefined) return <p class="muted">{t('loading')}</p>
  return (
    <div class="text-preview">
      <label class="check">
        <input
          type="checkbox"
          checked={wrap}
          onChange={(e) => setWrap((e.currentTarget as HTMLInputElement).checked)}
        />
        {t('wrapLines')}
      </label>
      {state.truncated && <p class="muted small">{t('previewTruncated')}</p>}
      {/* A text child: Preact sets it as a text node, so markup in the file stays text. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the scrollable text must be reachable by keyboard */}
      <pre class={wrap ? 'wrap' : 'nowrap'} tabIndex={0} data-testid="text-preview">
        {state.text}
      </pre>
    </div>
  )
}

/** A PDF in an iframe when the server's headers allow it; otherwise a link to open it on its own. */
function PdfPreview({ src, title }: { src: string; title: string }) {
  const { t } = useI18n()
  const [embed, setEmbed] = useState<boolean | null>(null)

  useEffect(() => {
    const ctrl = new AbortController()
    fetch(src, { method: 'HEAD', signal: ctrl.signal, credentials: 'same-origin' })
      .then((res) => setEmbed(res.ok && pdfEmbeddable(res.headers)))
      .catch(() => !ctrl.signal.aborted && setEmbed(false))
    return () => ctrl.abort()
  }, [src])

  if (embed === null) return <p class="muted">{t('loading')}</p>
  return (
    <>
      {embed ? (
        <iframe src={src} title={title} class="preview-pdf" />
      ) : (
        <p class="muted">{t('previewFailed')}</p>
      )}
      <a href={src} target="_blank" rel="noopener noreferrer">
        {t('openInNewTab')}
      </a>
    </>
  )
}
