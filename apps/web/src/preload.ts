import type { Api } from './api/client.js'
import type { Bucket, ClientConfig } from './api/types.js'
import type { Route } from './lib/router.js'
import { storage } from './lib/storage.js'

export const UPLOAD_PASS_KEY = 'psitransfer.uploadPass'

/** The first request a page needs, started before any component exists. Consumed once by the page. */
export interface Preload {
  config?: Promise<ClientConfig>
  bucket?: Promise<Bucket>
}

export function startPreload(api: Api, route: Route): Preload {
  const settle = <T>(p: Promise<T>) => {
    p.catch(() => {}) // handled by the page; avoid an unhandled-rejection warning meanwhile
    return p
  }
  if (route.page === 'upload') {
    const pass = storage('session')?.getItem(UPLOAD_PASS_KEY) ?? undefined
    return { config: settle(api.config(pass)) }
  }
  if (route.page === 'download') return { bucket: settle(api.bucket(route.sid)) }
  return {}
}
