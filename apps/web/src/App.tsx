import type { ComponentChildren } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import type { Api } from './api/client.js'
import { type I18n, I18nContext } from './i18n/context.js'
import { intlLocale, type Lang, loadMessages, type Messages, translator } from './i18n/index.js'
import type { Route } from './lib/router.js'
import { storage } from './lib/storage.js'
import type { PageComponent } from './pages/page.js'
import { UploadPage } from './pages/upload/UploadPage.js'
import type { Preload } from './preload.js'
import { LangSwitch } from './ui/LangSwitch.js'

/** The download and admin pages are separate chunks: the upload page (the budgeted one) never loads them. */
export async function loadPage(route: Route): Promise<PageComponent | null> {
  if (route.page === 'download') return (await import('./pages/download/DownloadPage.js')).DownloadPage
  if (route.page === 'admin') return (await import('./pages/admin/AdminPage.js')).AdminPage
  if (route.page === 'manage') return (await import('./pages/manage/ManagePage.js')).ManagePage
  if (route.page === 'shares') return (await import('./pages/manage/SharesPage.js')).SharesPage
  if (route.page === 'newRequest') return (await import('./pages/request/NewRequestPage.js')).NewRequestPage
  if (route.page === 'request') return (await import('./pages/request/RequestPage.js')).RequestPage
  if (route.page === 'upload') return UploadPage
  return null
}

interface Props {
  api: Api
  route: Route
  initialLang: Lang
  initialMessages: Messages
  Page: PageComponent | null
  preload: Preload
}

export function App({ api, route, initialLang, initialMessages, Page, preload }: Props) {
  const [lang, setLangState] = useState(initialLang)
  const [messages, setMessages] = useState(initialMessages)

  const i18n = useMemo<I18n>(() => {
    const setLang = (next: Lang) => {
      storage('local')?.setItem('psitransfer.lang', next)
      loadMessages(next).then((m) => {
        setMessages(m)
        setLangState(next)
      })
    }
    return { lang, locale: intlLocale(lang), t: translator(messages), setLang }
  }, [lang, messages])
  const t = i18n.t

  const title =
    route.page === 'upload'
      ? t('uploadTitle')
      : route.page === 'download'
        ? t('downloadTitle')
        : route.page === 'admin'
          ? t('adminTitle')
          : route.page === 'manage'
            ? t('manageTitle')
            : route.page === 'shares'
              ? t('mySharesTitle')
              : route.page === 'newRequest'
                ? t('requestFilesTitle')
                : route.page === 'request'
                  ? t('requestPageTitle')
                  : t('notFoundPage')

  useEffect(() => {
    document.documentElement.lang = i18n.locale
    document.title = `${title} · ${t('appName')}`
  }, [i18n.locale, title, t])

  let content: ComponentChildren
  if (Page) {
    content = <Page api={api} route={route} preload={preload} />
  } else {
    content = (
      <p>
        <a href={api.base.pathname}>{t('toUploadPage')}</a>
      </p>
    )
  }

  return (
    <I18nContext.Provider value={i18n}>
      <header class="topbar">
        <a class="brand" href={api.base.pathname}>
          <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">
            <path
              d="M12 3v12M7 8l5-5 5 5M4 15v5h16v-5"
              fill="none"
              stroke="currentColor"
              stroke-width="2"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
          <span>{t('appName')}</span>
        </a>
        <LangSwitch />
      </header>
      <main id="main" class={route.page === 'admin' ? 'main-wide' : undefined}>
        <h1>{title}</h1>
        {content}
      </main>
    </I18nContext.Provider>
  )
}
