/**
 * The OpenAPI contract (`api/openapi.ts`, served at `{B}api/openapi.json`) against a real
 * listening server on the filesystem store, under a base URL: every JSON route is called with
 * real requests (successes and the main refusals) and every answer is validated against the
 * schema the served document gives for its path, method and status (ajv, JSON Schema 2020-12).
 * Objects in the document are closed, so a field the server sends without a schema fails too.
 *
 * Every route of the app is either in the document or listed in {@link NOT_JSON} with a reason:
 * a new route without a schema fails "every route of the app is described", naming it.
 *
 * Direct-to-S3 uploads run over a stand-in for S3's part storage on the filesystem store (the
 * bytes of "PUT" parts are appended to the file directly); the same routes against a real S3
 * server are `routes/direct.test.ts`.
 */
import { type DirectUpload, type FileRef, type NewFile, parseFileRef, type Store } from '@psitransfer/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPERATIONS } from './api/openapi.js'
import { apiContract, type Contract } from './test-support/contract.js'
import { type E2eServer, removeDir, startFsServer } from './test-support/e2e.js'
import { makeApp, type TestApp } from './test-support/harness.js'
import { lockBucket, newSid, newToken } from './test-support/sharing.js'
import { type SmtpSink, startSmtpSink } from './test-support/smtp-sink.js'

const B = '/psi/'
const ADMIN = 'admin-secret'
const UPLOAD_PASS = 'upload-secret'
const PART = 4

// biome-ignore lint/suspicious/noExplicitAny: answers are read once ajv checked them against their schema
type Json = any

/**
 * Routes of the app that answer no JSON (JSON only for their errors), by `METHOD path` or by
 * path for every method; `{B}`/`{U}` are the base URL and the upload path.
 */
const NOT_JSON: Record<string, string> = {
  '{U}files': 'TUS creation: PsiTransfer answers plain text',
  '{U}files/': 'TUS creation: PsiTransfer answers plain text',
  '{U}files/:id': 'TUS uploads: plain text (the lock PATCH too)',
  '{B}files/:id': 'downloads and archives: the bytes (HTML or JSON only for errors)',
  '{U}uploads': 'IETF resumable uploads: problem+json, not ours',
  '{U}uploads/': 'IETF resumable uploads: problem+json, not ours',
  '{U}uploads/:id': 'IETF resumable uploads: problem+json, not ours',
  '{U}': 'the upload page (HTML)',
  '{B}': 'the upload page, or a redirect to it',
  '{B}admin': 'the admin page (HTML)',
  '{B}manage/': "the web app's My shares page (HTML)",
  '{B}manage/:sid': "the web app's manage page (HTML)",
  '{B}request/': "the web app's page that makes an upload request (HTML)",
  '{B}request/:sid': "the web app's upload request page (HTML)",
  '{B}request/*': 'static files of the web build',
  'PUT {B}:name': 'curl -T: a text/plain answer for the terminal',
  '{U}*': 'static files of the web build',
  '{B}manage/*': 'static files of the web build',
  '{B}*': 'static files of the web build',
  '/metrics': 'Prometheus text',
}

/** Statuses of the document that these requests cannot bring about, with the reason. */
const UNREACHED: Record<string, string> = {
  'get /healthz 503': 'needs a store that does not answer (routes/health.test.ts)',
}

/** `METHOD {B}rest`, `METHOD {U}rest` or `METHOD /root-path` of an app route. */
function routeKey(method: string, path: string, base: string, upload: string): string {
  if (upload !== base && path.startsWith(upload)) return `${method} {U}${path.slice(upload.length)}`
  if (path.startsWith(base)) return `${method} {B}${path.slice(base.length)}`
  return `${method} ${path}`
}

/** Routes of `app` with neither an operation in the document nor a reason in {@link NOT_JSON}. */
function undescribedRoutes(app: TestApp['app'], base: string, upload: string): string[] {
  const documented = documentedRoutes()
  const missing: string[] = []
  for (const { method, path } of app.routes) {
    if (method === 'ALL') continue // middleware
    const key = routeKey(method, path, base, upload)
    const where = key.slice(key.indexOf(' ') + 1)
    const ok =
      documented.has(key) ||
      // Hono answers HEAD by the GET route.
      (method === 'HEAD' && documented.has(`GET ${where}`)) ||
      key in NOT_JSON ||
      where in NOT_JSON
    if (!ok) missing.push(`${key} (${path}) has no operation in api/openapi.ts (nor a reason in NOT_JSON)`)
  }
  return missing
}

function documentedRoutes(): Set<string> {
  return new Set(
    OPERATIONS.flatMap((op) =>
      op.routes.map((r) => `${op.method.toUpperCase()} ${op.root ? '/' : '{B}'}${r}`),
    ),
  )
}

describe('every route of the app is described', () => {
  // Upload path apart from the base URL, admin and metrics on: the app registers every route.
  const full = () => makeApp({ baseUrl: B, uploadAppPath: '/up/', adminPass: ADMIN, metrics: true })

  it('each JSON route has an operation in the document; every other route is listed with a reason', () => {
    const t = full()
    expect(t.config.uploadAppPath).toBe('/psi/up/')
    expect(undescribedRoutes(t.app, B, t.config.uploadAppPath)).toEqual([])
  })

  it('the document names no route the app does not have', () => {
    const t = full()
    const keys = new Set(t.app.routes.map((r) => routeKey(r.method, r.path, B, t.config.uploadAppPath)))
    expect([...documentedRoutes()].filter((k) => !keys.has(k))).toEqual([])
  })

  it('the guard itself works: a new route without an operation is named', () => {
    const t = full()
    t.app.get(`${B}api/reports/:id`, (c) => c.json({}))
    t.app.post(`${B}api/reports`, (c) => c.json({}))
    expect(undescribedRoutes(t.app, B, t.config.uploadAppPath)).toEqual([
      'GET {B}api/reports/:id (/psi/api/reports/:id) has no operation in api/openapi.ts (nor a reason in NOT_JSON)',
      'POST {B}api/reports (/psi/api/reports) has no operation in api/openapi.ts (nor a reason in NOT_JSON)',
    ])
  })
})

/**
 * Stand-in for S3's part storage on the filesystem store: `begin` creates the file as an
 * ordinary upload, "PUT" parts are the file's bytes appended by the test, `status` lists the
 * whole parts below the offset. Everything else is the real server.
 */
function withStandInDirect(store: Store): Store {
  const plan = (size: number) => ({ partSize: PART, partCount: Math.ceil(size / PART) })
  const direct: DirectUpload = {
    origins: ['http://127.0.0.1:9'],
    async begin(file: NewFile) {
      const meta = await store.create(file)
      return { ...plan(file.uploadLength ?? 0), meta }
    },
    async signPart(ref: FileRef, partNumber: number, { expiresIn }: { expiresIn: number }) {
      return `http://127.0.0.1:9/${ref.sid}/${ref.key}/${partNumber}?expires=${expiresIn}`
    },
    async status(ref: FileRef) {
      const meta = await store.info(ref)
      const size = meta.uploadLength ?? 0
      const { partSize, partCount } = plan(size)
      const parts = []
      for (let n = 1; n <= partCount; n++) {
        const end = Math.min(size, n * partSize)
        if (end <= meta.offset) parts.push({ partNumber: n, size: end - (n - 1) * partSize })
      }
      return { partSize, partCount, parts }
    },
  }
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'directUpload') return direct
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

describe('the JSON API answers as its OpenAPI document says (filesystem store, base URL /psi/)', () => {
  let sink: SmtpSink
  let server: E2eServer
  let guarded: E2eServer
  let contract: Contract
  const base = () => `${server.origin}/psi`

  beforeAll(async () => {
    sink = await startSmtpSink()
    server = await startFsServer({
      config: {
        baseUrl: B,
        adminPass: ADMIN,
        maxAge: 7 * 24 * 3600,
        smtpUrl: sink.url,
        mailFrom: 'f@example.com',
      },
      wrapStore: withStandInDirect,
    })
    guarded = await startFsServer({ config: { baseUrl: B, uploadPass: UPLOAD_PASS } })
    const res = await fetch(`${base()}/api/openapi.json`)
    expect(res.status).toBe(200)
    contract = apiContract(await res.json())
  })
  afterAll(async () => {
    await server?.close()
    await guarded?.close()
    if (server) removeDir(server.dir)
    if (guarded) removeDir(guarded.dir)
    await sink?.close()
  })

  const check = (res: Response, method: string, path: string) => contract.check(res, method, path)

  const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const admin = { 'x-passwd': ADMIN }

  const b64 = (s: string) => Buffer.from(s).toString('base64')

  /** TUS creation below the base URL; with `data`, its bytes too (following `Location`). */
  async function tus(sid: string, metadata: Record<string, string>, token?: string, data?: Buffer) {
    const md = { sid, retention: '3600', ...metadata }
    const created = await fetch(`${base()}/files/`, {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': String(data?.byteLength ?? 100),
        'Upload-Metadata': Object.entries(md)
          .map(([k, v]) => `${k} ${b64(v)}`)
          .join(','),
        ...(token ? { 'X-Bucket-Token': token } : {}),
      },
    })
    expect(created.status, await created.clone().text()).toBe(201)
    if (!data) return
    const patched = await fetch(new URL(created.headers.get('location') as string, server.origin), {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
      },
      body: new Uint8Array(data),
    })
    expect(patched.status, await patched.clone().text()).toBe(204)
  }

  /** A bucket of two files (one limited to 3 downloads), locked; resolves with its ids. */
  async function bucket(extra: Record<string, string> = {}) {
    const sid = newSid('api')
    const token = newToken()
    await tus(sid, { name: 'a.txt', comment: 'hi', ...extra }, token, Buffer.from('first file'))
    await tus(
      sid,
      { name: 'b.txt', relativePath: 'docs/2024', maxDownloads: '3', ...extra },
      token,
      Buffer.from('second'),
    )
    await lockBucket(base, 0, sid, token)
    return { sid, token }
  }

  it('serves itself with the base URL in servers', async () => {
    const res = await fetch(`${base()}/api/openapi.json`)
    const body = await check(res, 'get', '/api/openapi.json')
    expect(body.openapi).toMatch(/^3\.1\./)
    expect(body.servers).toEqual([{ url: '/psi' }])
    expect(body.paths['/healthz'].servers).toEqual([{ url: '/' }])
  })

  it('config.json and lang.json', async () => {
    const config = await check(await fetch(`${base()}/config.json`), 'get', '/config.json')
    expect(config.tusEndpoint).toBe('/psi/files/')
    expect(config.directUpload).toEqual({ endpoint: '/psi/api/direct/', minSize: expect.any(Number) })
    expect(config.mail).toBe(true)
    const at = (pass?: string) =>
      fetch(`${guarded.origin}/psi/config.json`, pass ? { headers: { 'x-passwd': pass } } : {})
    expect((await check(await at(), 'get', '/config.json')).code).toBe('UNAUTHORIZED')
    expect((await check(await at('wrong'), 'get', '/config.json')).code).toBe('FORBIDDEN')
    expect((await check(await at(UPLOAD_PASS), 'get', '/config.json')).directUpload).toBeNull()

    const de = await check(await fetch(`${base()}/lang.json?lang=de`), 'get', '/lang.json')
    expect(de.lang).toBe('de')
    const tw = await check(
      await fetch(`${base()}/lang.json`, { headers: { 'accept-language': 'zh-TW' } }),
      'get',
      '/lang.json',
    )
    expect(tw.langCode).toBe('zh-tw')
  })

  it('bucket listings: public, protected, unknown, malformed', async () => {
    const { sid } = await bucket()
    const listing = await check(await fetch(`${base()}/${sid}.json`), 'get', '/{sid}.json')
    expect(listing.items.map((i: Json) => i.name)).toEqual(['a.txt', 'b.txt'])
    expect(listing.items[1].downloadsLeft).toBe(3)
    expect(listing.items[0].metadata.buckedLocked).toBe(true)

    const secret = await bucket({ password: 'pw-1' })
    const refused = await check(await fetch(`${base()}/${secret.sid}.json`), 'get', '/{sid}.json')
    expect(refused.code).toBe('UNAUTHORIZED')
    const opened = await check(
      await fetch(`${base()}/${secret.sid}.json`, { headers: { 'x-download-pass': 'pw-1' } }),
      'get',
      '/{sid}.json',
    )
    expect(opened.protected).toBe(true)
    expect(opened.items[0].url).toContain('?token=')

    expect((await check(await fetch(`${base()}/nobody-here.json`), 'get', '/{sid}.json')).code).toBe(
      'NOT_FOUND',
    )
    expect((await check(await fetch(`${base()}/-bad.json`), 'get', '/{sid}.json')).code).toMatch(/^INVALID_/)
  })

  it('admin: both shapes (with an unfinished upload and a protected file), deletions, refusals', async () => {
    const { sid } = await bucket()
    await bucket({ password: 'pw-2' })
    // An upload that never got its bytes: listed by the admin as partial.
    const partial = newSid('partial')
    await tus(partial, { name: 'p.bin' })

    const psi = await check(
      await fetch(`${base()}/admin/data.json`, { headers: admin }),
      'get',
      '/admin/data.json',
    )
    expect(psi[partial][0].isPartial).toBe(true)
    expect(
      Object.values(psi)
        .flat()
        .some((r: Json) => r.metadata._password === true),
    ).toBe(true)
    const ours = await check(
      await fetch(`${base()}/api/admin/data.json`, { headers: admin }),
      'get',
      '/api/admin/data.json',
    )
    expect(ours.buckets.find((b: Json) => b.sid === partial).files[0].complete).toBe(false)
    expect(ours.totals.buckets).toBe(ours.buckets.length)

    for (const path of ['/admin/data.json', '/api/admin/data.json']) {
      expect((await check(await fetch(`${base()}${path}`), 'get', path)).code).toBe('UNAUTHORIZED')
      expect(
        (await check(await fetch(`${base()}${path}`, { headers: { 'x-passwd': 'no' } }), 'get', path)).code,
      ).toBe('FORBIDDEN')
    }

    const key = ours.buckets.find((b: Json) => b.sid === sid).files[0].key
    const del = (path: string) => fetch(`${base()}${path}`, { method: 'DELETE', headers: admin })
    await check(await del(`/admin/files/${sid}++${key}`), 'delete', '/admin/files/{id}')
    expect((await check(await del(`/admin/files/${sid}++${key}`), 'delete', '/admin/files/{id}')).code).toBe(
      'NOT_FOUND',
    )
    expect((await check(await del('/admin/files/no-separator'), 'delete', '/admin/files/{id}')).code).toMatch(
      /^INVALID_/,
    )
    await check(await del(`/admin/buckets/${sid}`), 'delete', '/admin/buckets/{sid}')
    expect((await check(await del(`/admin/buckets/${sid}`), 'delete', '/admin/buckets/{sid}')).code).toBe(
      'NOT_FOUND',
    )
  })

  it('manage links: issue, state, edits, mail, deletions, refusals', async () => {
    const { sid, token } = await bucket()
    const path = '/api/manage/{sid}'
    const url = `${base()}/api/manage/${sid}`
    const issued = await check(
      await fetch(url, { method: 'POST', headers: { 'X-Bucket-Token': token } }),
      'post',
      path,
    )
    const secret: string = issued.manageToken
    expect(issued.manageUrl).toBe(`${base()}/manage/${sid}#${secret}`)
    expect(
      (
        await check(
          await fetch(url, { method: 'POST', headers: { 'X-Bucket-Token': newToken() } }),
          'post',
          path,
        )
      ).code,
    ).toBe('FORBIDDEN')
    const stranger = `${base()}/api/manage/${newSid('none')}`
    expect(
      (
        await check(
          await fetch(stranger, { method: 'POST', headers: { 'X-Bucket-Token': newToken() } }),
          'post',
          path,
        )
      ).code,
    ).toBe('NOT_FOUND')
    // A second issue makes the first secret stop working; keep the newest.
    const again = await check(
      await fetch(url, { method: 'POST', headers: { 'X-Manage-Token': secret } }),
      'post',
      path,
    )
    const manage = { 'X-Manage-Token': again.manageToken as string }

    const state = await check(await fetch(url, { headers: manage }), 'get', path)
    expect(state.files.map((f: Json) => f.downloadLimit)).toEqual([null, 3])
    expect((await check(await fetch(url), 'get', path)).code).toBe('UNAUTHORIZED')
    expect((await check(await fetch(url, { headers: { 'X-Manage-Token': secret } }), 'get', path)).code).toBe(
      'FORBIDDEN',
    )

    const edited = await check(
      await fetch(url, json('PATCH', { locked: false, password: 'new-pw' }, manage)),
      'patch',
      path,
    )
    expect(edited).toMatchObject({ locked: false, protected: true })
    const removed = await check(
      await fetch(url, json('PATCH', { password: null, locked: true }, manage)),
      'patch',
      path,
    )
    expect(removed).toMatchObject({ locked: true, protected: false })
    for (const bad of [{ bogus: 1 }, { expiresAt: 1 }, { locked: 'yes' }, 'not json']) {
      const refused = await check(await fetch(url, json('PATCH', bad, manage)), 'patch', path)
      expect(refused.code, JSON.stringify(bad)).toBe('INVALID_INPUT')
    }

    const mail = `${url}/mail`
    expect(
      await check(
        await fetch(mail, json('POST', { to: 'anna@example.org', lang: 'de' }, manage)),
        'post',
        `${path}/mail`,
      ),
    ).toEqual({ queued: true })
    await sink.waitFor(1)
    const header = await check(
      await fetch(mail, json('POST', { to: 'a@example.org\r\nBcc: e@example.org' }, manage)),
      'post',
      `${path}/mail`,
    )
    expect(header.code).toBe('INVALID_INPUT')
    expect(
      (
        await check(
          await fetch(mail, json('POST', { to: 'a@example.org', cc: 'x' }, manage)),
          'post',
          `${path}/mail`,
        )
      ).code,
    ).toBe('INVALID_INPUT')

    const key = state.files[0].key
    const fileUrl = `${url}/files/${key}`
    await check(await fetch(fileUrl, { method: 'DELETE', headers: manage }), 'delete', `${path}/files/{key}`)
    expect(
      (
        await check(
          await fetch(fileUrl, { method: 'DELETE', headers: manage }),
          'delete',
          `${path}/files/{key}`,
        )
      ).code,
    ).toBe('NOT_FOUND')
    await check(await fetch(url, { method: 'DELETE', headers: manage }), 'delete', path)
    expect((await check(await fetch(url, { headers: manage }), 'get', path)).files).toEqual([])
    expect((await check(await fetch(url, { method: 'DELETE', headers: manage }), 'delete', path)).code).toBe(
      'NOT_FOUND',
    )
    expect(
      (await check(await fetch(url, json('PATCH', { locked: false }, manage)), 'patch', path)).code,
    ).toBe('NOT_FOUND')
  })

  it('upload requests: make, read, show on the manage link, close, refusals', async () => {
    const make = (body: unknown, origin = base(), headers: Record<string, string> = {}) =>
      fetch(`${origin}/api/requests`, json('POST', body, headers))
    const made = await check(
      await make({ maxFiles: 2, message: 'Your photos, please', notify: 'req@example.org' }),
      'post',
      '/api/requests',
    )
    expect(made).toMatchObject({ maxFiles: 2, filesLeft: 2, closed: false, notify: true })
    expect(typeof made.password).toBe('string')
    expect((await check(await make({ maxFiles: -1 }), 'post', '/api/requests')).code).toBe('INVALID_INPUT')
    expect((await check(await make({ nope: 1 }), 'post', '/api/requests')).code).toBe('INVALID_INPUT')
    expect((await check(await make({}, `${guarded.origin}/psi`), 'post', '/api/requests')).code).toBe(
      'UNAUTHORIZED',
    )

    const path = '/api/requests/{sid}'
    const url = `${base()}/api/requests/${made.sid}`
    const asked = { 'X-Request-Token': made.requestToken as string }
    expect((await check(await fetch(url, { headers: asked }), 'get', path)).message).toBe(
      'Your photos, please',
    )
    expect((await check(await fetch(url), 'get', path)).code).toMatch(/UNAUTHORIZED|FORBIDDEN/)
    const wrong = { 'X-Request-Token': 'A'.repeat(32) }
    expect((await check(await fetch(url, { headers: wrong }), 'get', path)).code).toBe('FORBIDDEN')

    const manage = { 'X-Manage-Token': made.manageToken as string }
    const state = await check(
      await fetch(`${base()}/api/manage/${made.sid}`, { headers: manage }),
      'get',
      '/api/manage/{sid}',
    )
    expect(state.request).toMatchObject({ sid: made.sid, maxFiles: 2 })
    expect((await check(await fetch(url, { method: 'DELETE' }), 'delete', path)).code).toBe('UNAUTHORIZED')
    await check(await fetch(url, { method: 'DELETE', headers: manage }), 'delete', path)
    expect((await check(await fetch(url, { headers: asked }), 'get', path)).code).toBe('GONE')
  })

  it('direct uploads: create, sign, status, complete, abandon, refusals', async () => {
    const sid = newSid('direct')
    const token = newToken()
    const owner = { 'X-Bucket-Token': token }
    const data = Buffer.from('0123456789')
    const create = (body: unknown, headers = owner) =>
      fetch(`${base()}/api/direct/`, json('POST', body, headers))
    const res = await create({ size: data.byteLength, metadata: { sid, name: 'd.bin', retention: '3600' } })
    expect(res.headers.get('x-bucket-token')).toBe(token)
    const created = await check(res, 'post', '/api/direct/')
    expect(created).toMatchObject({ partSize: PART, partCount: 3 })
    for (const bad of [
      { size: 0, metadata: { sid, name: 'x' } },
      { size: 5, metadata: { sid, name: 7 } },
      '[]',
    ]) {
      expect((await check(await create(bad), 'post', '/api/direct/')).code, JSON.stringify(bad)).toBe(
        'INVALID_INPUT',
      )
    }

    const at = (suffix = '') => `${base()}/api/direct/${created.id}${suffix}`
    const signed = await check(
      await fetch(at('/parts'), json('POST', { partNumbers: [1, 2, 3] }, owner)),
      'post',
      '/api/direct/{id}/parts',
    )
    expect(signed.urls).toHaveLength(3)
    expect(
      (
        await check(
          await fetch(at('/parts'), json('POST', { partNumbers: [] }, owner)),
          'post',
          '/api/direct/{id}/parts',
        )
      ).code,
    ).toBe('INVALID_INPUT')
    const before = await check(await fetch(at(), { headers: owner }), 'get', '/api/direct/{id}')
    expect(before.parts).toEqual([])
    expect((await check(await fetch(at()), 'get', '/api/direct/{id}')).code).toBe('FORBIDDEN')
    const early = await check(
      await fetch(at('/complete'), { method: 'POST', headers: owner }),
      'post',
      '/api/direct/{id}/complete',
    )
    expect(early.message).toBe('3 of 3 parts are missing')

    // The parts "arrive at S3": the stand-in keeps them as the file's bytes.
    await server.rawStore.append(parseFileRef(created.id), once(data), 0)
    const after = await check(await fetch(at(), { headers: owner }), 'get', '/api/direct/{id}')
    expect(after.parts.map((p: Json) => p.size)).toEqual([4, 4, 2])
    const done = await check(
      await fetch(at('/complete'), { method: 'POST', headers: owner }),
      'post',
      '/api/direct/{id}/complete',
    )
    expect(done).toMatchObject({ sid, name: 'd.bin', size: 10, protected: false })
    const finished = await check(
      await fetch(at(), { method: 'DELETE', headers: owner }),
      'delete',
      '/api/direct/{id}',
    )
    expect(finished.code).toBe('METHOD_NOT_ALLOWED')

    const other = await check(
      await create({ size: 3, metadata: { sid, name: 'e.bin', retention: '3600' } }),
      'post',
      '/api/direct/',
    )
    await check(
      await fetch(`${base()}/api/direct/${other.id}`, { method: 'DELETE', headers: owner }),
      'delete',
      '/api/direct/{id}',
    )
    expect(
      (
        await check(
          await fetch(`${base()}/api/direct/${other.id}`, { headers: owner }),
          'get',
          '/api/direct/{id}',
        )
      ).code,
    ).toBe('NOT_FOUND')
    const notOffered = await fetch(
      `${guarded.origin}/psi/api/direct/`,
      json('POST', { size: 1 }, { 'x-passwd': UPLOAD_PASS }),
    )
    expect((await check(notOffered, 'post', '/api/direct/')).code).toBe('NOT_FOUND')
  })

  it('health', async () => {
    const health = await check(await fetch(`${server.origin}/healthz`), 'get', '/healthz')
    expect(health).toEqual({ status: 'ok', store: 'filesystem' })
  })

  it('every answer of the document was seen (the tests above ran first)', () => {
    const expected = OPERATIONS.flatMap((op) =>
      Object.keys(op.replies).map((status) => `${op.method} ${op.path} ${status}`),
    ).filter((k) => !(k in UNREACHED))
    expect(expected.filter((k) => !contract.checked.has(k))).toEqual([])
  })
})
