import type { FunctionComponent } from 'preact'
import type { Api } from '../api/client.js'
import type { Route } from '../lib/router.js'
import type { Preload } from '../preload.js'

/** What the app shell hands every page (the pages import this, not the shell that loads them). */
export interface PageProps {
  api: Api
  route: Route
  preload: Preload
}
export type PageComponent = FunctionComponent<PageProps>
