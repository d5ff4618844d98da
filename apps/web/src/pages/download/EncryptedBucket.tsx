import { useEffect, useState } from 'preact/hooks'
import type { Bucket } from '../../api/types.js'
import type { DecryptFailure } from '../../e2e/decrypt.js'
import { linkKey, openItems } from '../../e2e/download.js'
import { useI18n } from '../../i18n/context.js'
import type { MessageKey } from '../../i18n/index.js'

type State =
  | { kind: 'opening' }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; bucket: Bucket; key: Uint8Array }

/** Translation key of a decryption failure. */
export function failureText(f: DecryptFailure | 'unsupported' | 'missing' | 'malformed'): MessageKey {
  switch (f) {
    case 'wrong-key':
      return 'e2eWrongKey'
    case 'damaged':
      return 'e2eDamaged'
    case 'unsupported':
      return 'e2eUnsupported'
    case 'missing':
      return 'e2eKeyMissing'
    case 'malformed':
      return 'e2eKeyMalformed'
    default:
      return 'networkError'
  }
}

/**
 * An end-to-end encrypted bucket: takes the key from the link's fragment and opens the sealed names
 * before showing the files; a missing, damaged or wrong key is said plainly instead.
 */
export function EncryptedBucket({
  bucket,
  children,
}: {
  bucket: Bucket
  children: (bucket: Bucket, key: Uint8Array) => preact.ComponentChildren
}) {
  const { t } = useI18n()
  const [state, setState] = useState<State>({ kind: 'opening' })

  useEffect(() => {
    const link = linkKey(location.href)
    if (link.kind !== 'ok') {
      setState({ kind: 'failed', message: t(failureText(link.kind)) })
      return
    }
    openItems(link.key, bucket.items).then(
      (r) =>
        setState(
          r.ok
            ? { kind: 'ready', bucket: { ...bucket, items: r.items }, key: link.key }
            : { kind: 'failed', message: t(failureText(r.failure)) },
        ),
      () => setState({ kind: 'failed', message: t('e2eDamaged') }),
    )
  }, [bucket])

  if (state.kind === 'opening') return <p class="muted">{t('loading')}</p>
  if (state.kind === 'failed')
    return (
      <div class="card">
        <p class="error" role="alert" data-testid="e2e-error">
          {state.message}
        </p>
      </div>
    )
  return <>{children(state.bucket, state.key)}</>
}
