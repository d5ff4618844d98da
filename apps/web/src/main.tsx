import { render } from 'preact'
import { App, loadPage } from './App.js'
import { Api } from './api/client.js'
import { detectLanguage, loadMessages } from './i18n/index.js'
import { appBase, routeOf, uploadPathOf } from './lib/router.js'
import { storage } from './lib/storage.js'
import { startPreload } from './preload.js'
import './styles.css'

const base = appBase(import.meta.url, document)
const route = routeOf(location.pathname, base.pathname, uploadPathOf(document))
const lang = detectLanguage(storage('local')?.getItem('psitransfer.lang') ?? null, navigator.languages ?? [])
const api = new Api(base)

// No waterfall: the page's first request (config.json or the bucket list), the language chunk and the
// page's chunk all start now, and the first render waits only for the two static chunks.
const preload = startPreload(api, route)
Promise.all([loadMessages(lang), loadPage(route)]).then(([messages, Page]) => {
  render(
    <App
      api={api}
      route={route}
      initialLang={lang}
      initialMessages={messages}
      Page={Page}
      preload={preload}
    />,
    document.getElementById('app')!,
  )
})
