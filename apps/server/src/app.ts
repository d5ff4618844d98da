/**
 * The Hono app with PsiTransfer's URL layout: {@link buildApp} puts the routes over the
 * services `deps.ts` built ({@link createApp} does both). No environment access here (main.ts
 * owns that), so tests build apps with `app.request()` and an in-memory store.
 * @module
 */
import { PsiError, parseFileRef, toPsiError } from '@psitransfer/core'
import { type Context, Hono } from 'hono'
import { fileErrorPage } from './compat/error-page.js'
import { type AppDeps, type CreateAppOptions, createDeps } from './deps.js'
import type { AppEnv } from './env.js'
import { closeScope, errorAnswer, openScope } from './http/request-scope.js'
import { adminData, adminDeleteBucket, adminDeleteFile, psiAdminData } from './routes/admin.js'
import { downloadArchive } from './routes/archive.js'
import { bucketListing } from './routes/bucket.js'
import { clientConfig, langJson } from './routes/client-config.js'
import { directRoutes } from './routes/direct.js'
import { downloadFile } from './routes/download.js'
import { healthz, metrics } from './routes/health.js'
import { registerManageRoutes } from './routes/manage.js'
import { openApiJson } from './routes/openapi.js'
import { putUpload } from './routes/put.js'
import { registerRequestRoutes } from './routes/requests.js'
import {
  RESUMABLE_COLLECTION_METHODS,
  RESUMABLE_UPLOAD_METHODS,
  resumableRequest,
} from './routes/resumable.js'
import { lockBucket, tusRequest } from './routes/tus.js'
import { createTusFastPath, type TusFastPath } from './routes/tus-fast.js'
import {
  isTusRequest,
  matchTusRequest,
  TUS_COLLECTION_METHODS,
  TUS_FILE_METHODS,
  type TusRoute,
} from './routes/tus-route.js'
import { appPage, asset } from './routes/web.js'

/** The app with every service built from `options` (see {@link createDeps}). */
export function createApp(options: CreateAppOptions): Hono<AppEnv> {
  return buildApp(createDeps(options)).app
}

export interface BuiltApp {
  app: Hono<AppEnv>
  /**
   * The TUS requests of the Node server, answered without Hono (see `routes/tus-fast.ts`); the
   * same handler code as the app's TUS routes. Returns false for any other request.
   */
  tusFastPath: TusFastPath
}

/** The routes over services already built (the composition root is `deps.ts`). */
export function buildApp(deps: AppDeps): BuiltApp {
  const { config, logger } = deps
  const B = config.baseUrl
  // Already resolved below B by the config (PsiTransfer: a sub-path of baseUrl).
  const U = config.uploadAppPath
  const app = new Hono<AppEnv>()

  // Request id, structured access log and request metrics (shared with the TUS fast path).
  app.use('*', async (c, next) => {
    const tus = isTusRequest(c.req.method, c.req.path, U, c.req.header('tus-resumable') !== undefined)
    const scope = openScope(logger, c.req.header('x-request-id'), tus)
    c.set('requestId', scope.requestId)
    c.set('log', scope.log)
    for (const [k, v] of Object.entries(scope.baseHeaders)) c.header(k, v)
    // Handlers that write to the Node response directly (downloads, TUS answers) send these too.
    c.set('baseHeaders', scope.baseHeaders)
    await next()
    const sent = c.get('sent')
    const errorCode = c.get('errorCode')
    closeScope(deps, scope, {
      method: c.req.method,
      path: c.req.path,
      status: sent?.status ?? c.res.status,
      ...(sent ? { bytes: sent.bytes } : {}),
      ...(errorCode ? { errorCode } : {}),
    })
  })

  // A browser navigating to a file or archive URL gets a small HTML page (as PsiTransfer shows
  // one); every other client keeps the JSON body.
  const errorPage = (c: Context<AppEnv>, error: Parameters<typeof fileErrorPage>[1]) =>
    fileErrorPage(
      {
        method: c.req.method,
        path: c.req.path,
        tus: c.req.header('tus-resumable') !== undefined,
        accept: c.req.header('accept'),
        acceptLanguage: c.req.header('accept-language'),
        langQuery: c.req.query('lang'),
      },
      error,
      {
        baseUrl: B,
        defaultLanguage: config.defaultLanguage,
        homeUrl: U,
        ...(c.get('requestId') ? { requestId: c.get('requestId') } : {}),
      },
    )

  app.onError((err, c) => {
    const answer = errorAnswer(err, c.get('log') ?? logger)
    c.set('errorCode', answer.code)
    for (const [k, v] of Object.entries(answer.headers)) c.header(k, v)
    const page = errorPage(c, { status: answer.status, code: answer.code, details: toPsiError(err).details })
    if (page) return c.html(page.body, page.status as 400, page.headers)
    return c.json(answer.body, answer.status as 400)
  })

  app.notFound((c) => {
    const page = errorPage(c, { status: 404, code: 'NOT_FOUND' })
    if (page) return c.html(page.body, 404, page.headers)
    return c.json({ code: 'NOT_FOUND', message: 'Not found' }, 404)
  })

  app.get('/healthz', (c) => healthz(c, deps))
  if (config.metrics || config.metricsToken) app.get('/metrics', (c) => metrics(c, deps))

  // The TUS endpoint and the bucket lock, by the route table the fast path also goes by.
  const tusRoute = (c: Context<AppEnv>, route: TusRoute) =>
    route.kind === 'lock' ? lockBucket(c, deps, route.sid) : tusRequest(c, deps, route.id)
  const marks = (c: Context<AppEnv>) => ({
    tusResumable: c.req.header('tus-resumable') !== undefined,
    // Only a PATCH can be the lock: other requests need not parse the query.
    lock: c.req.method === 'PATCH' && c.req.query('lock') !== undefined,
  })
  app.on([...TUS_COLLECTION_METHODS], [`${U}files`, `${U}files/`], (c) => {
    const route = matchTusRequest(config, c.req.method, c.req.path, marks(c))
    if (!route) throw new PsiError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed here`)
    return tusRoute(c, route)
  })

  // The IETF resumable-upload draft beside TUS (docs/resumable-upload.md), under a path of its own.
  app.on([...RESUMABLE_COLLECTION_METHODS], [`${U}uploads`, `${U}uploads/`], (c) =>
    resumableRequest(c, deps, undefined),
  )
  // Hono routes a HEAD by its GET routes: GET is registered for that and refused.
  app.on(['GET', ...RESUMABLE_UPLOAD_METHODS], `${U}uploads/:id`, (c) => {
    if (c.req.method === 'GET') throw new PsiError('METHOD_NOT_ALLOWED', 'GET is not allowed here')
    return resumableRequest(c, deps, c.req.param('id'))
  })

  // `files/:id` is shared by TUS (U) and downloads (B); with the default layout both are `/`.
  for (const prefix of new Set([U, B])) {
    const isDownload = prefix === B
    app.on(['GET', ...TUS_FILE_METHODS], `${prefix}files/:id`, (c) => {
      // Hono percent-decoded the id; the table sees it decoded.
      const id = c.req.param('id') ?? ''
      const method = c.req.method
      const route = matchTusRequest(config, method, `${prefix}files/${id}`, marks(c))
      if (route) return tusRoute(c, route)
      if (isDownload && (method === 'GET' || method === 'HEAD')) return download(c, id)
      throw new PsiError('METHOD_NOT_ALLOWED', `${method} is not allowed here`)
    })
  }

  const download = (c: Context<AppEnv>, id: string) => {
    const archive = /^(.+)\+\+([A-Za-z0-9]{1,64})\.(zip|tar\.gz)$/.exec(id)
    if (archive) {
      return downloadArchive(
        c,
        deps,
        archive[1] as string,
        archive[2] as string,
        archive[3] as 'zip' | 'tar.gz',
      )
    }
    return downloadFile(c, deps, parseFileRef(id))
  }

  // Direct-to-S3 uploads (only answered when the store offers them); before `{B}:name` and `{B}*`.
  directRoutes(app, `${B}api/direct`, deps)
  registerManageRoutes(app, deps, B)
  registerRequestRoutes(app, deps, B)
  // The web app's upload request pages: `request/` makes one, `request/{sid}` (the secret stays
  // in the fragment) is where the people asked upload.
  app.get(`${B}request/`, (c) => appPage(c, deps))
  app.get(`${B}request/:sid`, (c) => appPage(c, deps))
  // The web app's manage pages: `manage/` lists the browser's shares, `manage/{sid}` one of them.
  app.get(`${B}manage/`, (c) => appPage(c, deps))
  app.get(`${B}manage/:sid`, (c) => appPage(c, deps))
  app.get(`${B}config.json`, (c) => clientConfig(c, deps))
  app.get(`${B}lang.json`, (c) => langJson(c, deps))
  // The JSON API's contract (api/openapi.ts).
  app.get(`${B}api/openapi.json`, (c) => openApiJson(c, deps))
  // PsiTransfer's admin shape at its URL; our web admin's own shape under `api/`.
  app.get(`${B}admin/data.json`, (c) => psiAdminData(c, deps))
  app.get(`${B}api/admin/data.json`, (c) => adminData(c, deps))
  app.delete(`${B}admin/files/:id`, (c) => adminDeleteFile(c, deps, parseFileRef(c.req.param('id') ?? '')))
  app.delete(`${B}admin/buckets/:sid`, (c) => adminDeleteBucket(c, deps, c.req.param('sid') ?? ''))
  app.get(`${B}admin`, (c) => appPage(c, deps))
  if (U !== B) app.get(U, (c) => appPage(c, deps))
  // PsiTransfer sends the base URL to the upload page when that lives elsewhere.
  app.on(['GET', 'HEAD'], B, (c) => (U === B ? appPage(c, deps) : c.redirect(U, 302)))

  app.on(['GET', 'HEAD'], `${B}:name`, (c) => {
    const name = c.req.param('name') ?? ''
    const listing = /^(.+)\.json$/.exec(name)
    if (listing) return bucketListing(c, deps, listing[1] as string)
    // `{B}{sid}` is the download page; anything with a dot is a static file of the web build.
    if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) return appPage(c, deps)
    return asset(c, deps, name)
  })
  // The upload page at U loads the build's relative `./assets/…` from below U (U lies below B,
  // so this goes first).
  if (U !== B) app.on(['GET', 'HEAD'], `${U}*`, (c) => asset(c, deps, c.req.path.slice(U.length)))
  // The manage pages load the same relative `./assets/…` from below `{B}manage/`.
  app.on(['GET', 'HEAD'], `${B}manage/*`, (c) => asset(c, deps, c.req.path.slice(`${B}manage/`.length)))
  app.on(['GET', 'HEAD'], `${B}request/*`, (c) => asset(c, deps, c.req.path.slice(`${B}request/`.length)))
  app.on(['GET', 'HEAD'], `${B}*`, (c) => asset(c, deps, c.req.path.slice(B.length)))
  app.put(`${B}:name`, (c) => putUpload(c, deps, c.req.param('name') ?? ''))

  return { app, tusFastPath: createTusFastPath(deps) }
}
