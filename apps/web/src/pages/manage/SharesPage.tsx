import { useState } from 'preact/hooks'
import { useI18n } from '../../i18n/context.js'
import { formatDate } from '../../lib/format.js'
import { forgetShare, loadShares } from '../../lib/shares.js'
import { storage } from '../../lib/storage.js'
import type { PageProps } from '../page.js'

/** "My shares": the manage links this browser keeps, each with a way to forget it. */
export function SharesPage({ api }: PageProps) {
  const { t, locale } = useI18n()
  const local = storage('local')
  const [shares, setShares] = useState(() => loadShares(local))
  if (shares.length === 0) {
    return (
      <section class="card">
        <p>{t('noShares')}</p>
        <p>
          <a href={api.base.pathname}>{t('toUploadPage')}</a>
        </p>
      </section>
    )
  }
  return (
    <section class="card">
      <p class="muted">{t('forgetHint')}</p>
      <ul class="shares">
        {shares.map((s) => (
          <li key={s.sid} class="share">
            <div class="share-main">
              <code>{s.sid}</code>
              <span class="muted small">
                {' '}
                {formatDate(s.createdAt, locale)}
                {s.expiresAt ? ` – ${formatDate(s.expiresAt, locale)}` : ''}
              </span>
              {s.names.length > 0 && <p class="small share-names">{s.names.join(', ')}</p>}
            </div>
            <div class="actions">
              <a
                class="btn btn-small"
                href={`${api.url(`manage/${encodeURIComponent(s.sid)}`).pathname}#${s.token}`}
              >
                {t('manage')}
                <span class="sr-only"> {s.sid}</span>
              </a>
              <button
                type="button"
                class="btn btn-small"
                aria-label={t('forgetShare', { sid: s.sid })}
                onClick={() => {
                  forgetShare(local, s.sid)
                  setShares(loadShares(local))
                }}
              >
                {t('forget')}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  )
}
