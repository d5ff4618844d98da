import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listAll, PsiError, type Store } from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultWebRoot } from './deps.js'
import { bytesOf, makeApp, upload } from './test-support/harness.js'

describe('config.json and lang.json', () => {
  it('returns what the web client needs', async () => {
    const t = makeApp({
      maxFileSize: 100,
      disableQrCode: true,
      requireBucketPassword: true,
      uploadAppPath: '/up/',
    })
    const res = await t.request('/config.json')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      defaultRetention: '604800',
      requireBucketPassword: true,
      maxFileSize: 100,
      maxBucketSize: null,
      disableQrCode: true,
      maxPreviewSize: 2 * 1024 * 1024,
      tusEndpoint: '/up/files/',
      randomDownloadSidLength: 22,
      defaultLanguage: 'en',
    })
    expect(body.retentionOrder).toEqual(
      Object.keys(t.config.retentions).sort((a, b) =>
        a === 'one-time' ? -1 : b === 'one-time' ? 1 : Number(a) - Number(b),
      ),
    )
    expect((body.languages as string[]).length).toBe(16)
    expect(body.chunkSize).toBeGreaterThanOrEqual(5_000_000)
    expect(body.mailTemplate).toContain('%%URL%%')
    expect(JSON.stringify(body)).not.toMatch(/adminPass|uploadPass|secret/)
  })

  it('puts the TUS endpoint below baseUrl (PSITRANSFER_BASE_URL=/psi/ or /psi)', async () => {
    for (const baseUrl of ['/psi/', '/psi']) {
      const t = makeApp({ baseUrl, randomDownloadSidLength: 12 })
      const config = (await (await t.request('/psi/config.json')).json()) as Record<string, unknown>
      expect(config, baseUrl).toMatchObject({ tusEndpoint: '/psi/files/', randomDownloadSidLength: 12 })
      const sid = 'AbCdEfGhIjKl'
      const created = await t.request('/psi/files/', {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': '2',
          'Upload-Metadata': `sid ${btoa(sid)},name YS50eHQ=`,
          'Content-Type': 'application/offset+octet-stream',
        },
        body: bytesOf('ok'),
      })
      expect(created.status, baseUrl).toBe(201)
      expect(created.headers.get('location')).toMatch(new RegExp(`^/psi/files/${sid}\\+\\+`))
      const listing = (await (await t.request(`/psi/${sid}.json`)).json()) as {
        items: Array<{ url: string }>
      }
      expect(await (await t.request(listing.items[0]!.url)).text()).toBe('ok')
      expect(
        (await t.request('/files/', { method: 'POST', headers: { 'Tus-Resumable': '1.0.0' } })).status,
      ).toBe(404)
    }
  })

  it('needs x-passwd when uploadPass is set', async () => {
    const t = makeApp({ uploadPass: 'up' })
    const missing = await t.request('/config.json')
    expect(missing.status).toBe(401)
    expect(await missing.json()).toEqual({ code: 'UNAUTHORIZED', message: 'Upload password required' })
    expect((await t.request('/config.json', { headers: { 'x-passwd': 'no' } })).status).toBe(403)
    expect((await t.request('/config.json', { headers: { 'x-passwd': 'up' } })).status).toBe(200)
  })

  it('translates server strings by ?lang and Accept-Language', async () => {
    const t = makeApp({ defaultLanguage: 'fr' })
    const de = (await (await t.request('/lang.json?lang=de')).json()) as {
      lang: string
      messages: Record<string, string>
    }
    expect(de.lang).toBe('de')
    expect(de.messages['retention.3600']).toBe('1 Stunde')
    const ja = (await (
      await t.request('/lang.json', { headers: { 'Accept-Language': 'ja,en;q=0.5' } })
    ).json()) as {
      lang: string
    }
    expect(ja.lang).toBe('ja')
    const fallback = (await (await t.request('/lang.json')).json()) as {
      lang: string
      messages: Record<string, string>
    }
    expect(fallback.lang).toBe('fr')
    expect(fallback.messages['retention.one-time']).toBe('Téléchargement unique')
  })
})

describe('admin', () => {
  it('does not exist without adminPass', async () => {
    const t = makeApp()
    expect((await t.request('/admin/data.json')).status).toBe(404)
    expect((await t.request('/admin/buckets/bucket1', { method: 'DELETE' })).status).toBe(404)
  })

  it('lists buckets and files, and deletes files and buckets', async () => {
    const t = makeApp({ adminPass: 'root' })
    await upload(t, bytesOf('12345'), { name: 'a.txt', password: 'pw' })
    t.clock.advance(10)
    const { id } = await upload(t, bytesOf('678'), { name: 'b.txt', password: 'pw' })
    await upload(t, bytesOf('x'), { sid: 'other', retention: 'one-time' })
    await t.request('/files/', {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '99',
        'Upload-Metadata': 'sid b3RoZXI=,name cC50eHQ=',
      },
    })
    expect((await t.request('/admin/data.json')).status).toBe(401)
    expect((await t.request('/admin/data.json', { headers: { 'x-passwd': 'x' } })).status).toBe(403)
    const res = await t.request('/admin/data.json', { headers: { 'x-passwd': 'root' } })
    expect(res.status).toBe(200)
    const data = (await res.json()) as {
      buckets: Array<{ sid: string; size: number; protected: boolean; files: Array<Record<string, unknown>> }>
      totals: Record<string, number>
    }
    expect(data.totals).toEqual({ buckets: 2, files: 4, bytes: 5 + 3 + 1 + 99 })
    const b1 = data.buckets.find((b) => b.sid === 'bucket1')!
    expect(b1).toMatchObject({ size: 8, protected: true })
    expect(b1.files.map((f) => f.name)).toEqual(['a.txt', 'b.txt'])
    expect(b1.files[0]).toMatchObject({
      complete: true,
      offset: 5,
      uploadLength: 5,
      downloads: 0,
      oneTime: false,
    })
    const other = data.buckets.find((b) => b.sid === 'other')!
    expect(other.files.some((f) => f.complete === false && f.offset === 0)).toBe(true)
    expect(JSON.stringify(data)).not.toMatch(/argon|password"/)

    const auth = { 'x-passwd': 'root' }
    expect((await t.request(`/admin/files/${id}`, { method: 'DELETE', headers: auth })).status).toBe(204)
    expect((await t.request(`/admin/files/${id}`, { method: 'DELETE', headers: auth })).status).toBe(404)
    expect((await listAll(t.store, { sid: 'bucket1' as never })).map((f) => f.name)).toEqual(['a.txt'])
    expect((await t.request('/admin/buckets/other', { method: 'DELETE', headers: auth })).status).toBe(204)
    expect((await t.request('/admin/buckets/other', { method: 'DELETE', headers: auth })).status).toBe(404)
    expect((await t.request('/admin/buckets/other', { method: 'DELETE' })).status).toBe(401)
    expect(await listAll(t.store, { sid: 'other' as never })).toHaveLength(0)
  })
})

describe('curl PUT', () => {
  it('creates a bucket with the file and answers with its link', async () => {
    const t = makeApp({ fileUploadedWebhook: 'http://hooks.test/up' })
    const res = await t.request('http://psi.example/hello%20world.txt', {
      method: 'PUT',
      body: bytesOf('hi there'),
    })
    expect(res.status).toBe(201)
    const link = await res.text()
    expect(link).toMatch(/^http:\/\/psi\.example\/[A-Za-z0-9_-]+\n$/)
    const sid = link.trim().split('/').pop()!
    const listing = (await (await t.request(`/${sid}.json`)).json()) as {
      items: Array<{ name: string; url: string }>
    }
    expect(listing.items[0]!.name).toBe('hello world.txt')
    expect(await (await t.request(listing.items[0]!.url)).text()).toBe('hi there')
    const [file] = await listAll(t.store, {})
    // Nobody can add files to a PUT bucket.
    expect(file).toMatchObject({ bucketLocked: true, complete: true, uploadLength: 8, retention: 604800 })
    expect(file!.expiresAt).toBe(file!.createdAt + 604800_000)
  })

  it('honours retention, password, uploadPass and limits', async () => {
    const t = makeApp({ uploadPass: 'up', maxFileSize: 5 })
    expect((await t.request('/a.txt', { method: 'PUT', body: bytesOf('x') })).status).toBe(401)
    expect(
      (await t.request('/a.txt', { method: 'PUT', body: bytesOf('x'), headers: { 'x-passwd': 'no' } }))
        .status,
    ).toBe(403)
    const big = await t.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('123456'),
      headers: { 'x-passwd': 'up' },
    })
    expect(big.status).toBe(413)
    expect(await listAll(t.store, {})).toHaveLength(0)
    const withLength = await t.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('123456'),
      headers: { 'x-passwd': 'up', 'Content-Length': '6' },
    })
    expect(withLength.status).toBe(413)
    expect(
      (await t.request('/..', { method: 'PUT', body: bytesOf('x'), headers: { 'x-passwd': 'up' } })).status,
    ).not.toBe(201)
    const bad = await t.request('/a.txt?retention=7', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'x-passwd': 'up' },
    })
    expect(bad.status).toBe(400)
    const ok = await t.request('/a.txt?retention=one-time', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'x-passwd': 'up', 'x-download-pass': 'pw' },
    })
    expect(ok.status).toBe(201)
    const [file] = await listAll(t.store, {})
    expect(file).toMatchObject({ retention: 'one-time' })
    expect(file!.password).toMatch(/^\$argon2id/)
  })
})

describe('health, metrics, errors', () => {
  it('reports health and turns 503 when the store fails', async () => {
    const t = makeApp()
    const ok = await t.request('/healthz')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ status: 'ok', store: 'memory' })
    const broken = new Proxy(new MemoryStore(), {
      get(target, prop) {
        if (prop === 'info')
          return async () => {
            throw new PsiError('STORE_UNAVAILABLE', 'down')
          }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }) as Store
    const b = makeApp({}, { store: broken })
    expect((await b.request('/healthz')).status).toBe(503)
    const draining = makeApp({}, { isShuttingDown: () => true })
    expect((await draining.request('/healthz')).status).toBe(503)
  })

  it('exposes Prometheus metrics', async () => {
    const t = makeApp({ metrics: true })
    await upload(t, bytesOf('12345'))
    await t.request('/nothing.json')
    const text = await (await t.request('/metrics')).text()
    expect(text).toContain('# TYPE psitransfer_http_requests_total counter')
    expect(text).toMatch(/psitransfer_http_requests_total\{method="PATCH",status="204"\} 1/)
    expect(text).toMatch(/psitransfer_upload_bytes_total 5/)
    expect(text).toMatch(/psitransfer_uploads_completed_total 1/)
    expect(text).toMatch(/psitransfer_errors_total\{code="NOT_FOUND"\} 1/)
    expect(text).toMatch(/psitransfer_http_request_duration_seconds_bucket\{method="GET",le="\+Inf"\} \d+/)
    expect(text).toContain('psitransfer_active_uploads 0')
    // Disabled: /metrics is just another path (a download page), without counters.
    expect(await (await makeApp({ metrics: false }).request('/metrics')).text()).not.toContain('psitransfer_')
  })

  it('keeps /metrics off by default, and behind a bearer token when metricsToken is set', async () => {
    const off = await makeApp().request('/metrics')
    expect(await off.text()).not.toContain('psitransfer_')
    const token = 'prometheus-scrape-token-1'
    const t = makeApp({ metricsToken: token })
    for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Basic ${token}`, token]) {
      const res = await t.request('/metrics', authorization ? { headers: { authorization } } : {})
      expect(res.status, authorization).toBe(401)
      expect(res.headers.get('www-authenticate'), authorization).toMatch(/^Bearer/)
      const text = await res.text()
      expect(text).not.toContain('psitransfer_')
      expect(JSON.parse(text)).toMatchObject({ code: 'UNAUTHORIZED' })
    }
    const ok = await t.request('/metrics', { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('# TYPE psitransfer_http_requests_total counter')
    // The scheme is case-insensitive (RFC 9110).
    expect((await t.request('/metrics', { headers: { authorization: `bearer ${token}` } })).status).toBe(200)
  })

  it('hides internal errors behind a generic message and logs them', async () => {
    const failing = new Proxy(new MemoryStore(), {
      get(target, prop) {
        if (prop === 'list') {
          // biome-ignore lint/correctness/useYield: the point is to fail before yielding
          return async function* () {
            throw new Error('EACCES: permission denied, open /srv/secret/path')
          }
        }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }) as Store
    const t = makeApp({}, { store: failing })
    const res = await t.request('/bucket1.json')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL', message: 'Internal error' })
    expect(text).not.toMatch(/srv|EACCES|at /)
    expect(t.logger.entries.some((e) => e.level === 'error' && JSON.stringify(e).includes('EACCES'))).toBe(
      true,
    )
  })

  it('sets security headers and a request id on every response', async () => {
    const t = makeApp()
    const res = await t.request('/nothing.json', { headers: { 'x-request-id': 'abc-123' } })
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const other = await t.request('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((await t.request('/no/such/thing')).status).toBe(404)
  })

  it('writes structured access logs without query strings', async () => {
    const t = makeApp({ accessLog: true })
    await t.request('/healthz?token=secret')
    const entry = t.logger.entries.find((e) => e.msg === 'request')
    expect(entry).toMatchObject({ method: 'GET', path: '/healthz', status: 200, level: 'info' })
    expect(typeof entry?.reqId).toBe('string')
    expect(JSON.stringify(t.logger.entries)).not.toContain('secret')
    const quiet = makeApp({ accessLog: false })
    await quiet.request('/healthz')
    expect(quiet.logger.entries.some((e) => e.msg === 'request')).toBe(false)
  })
})

describe('web app', () => {
  const root = mkdtempSync(join(tmpdir(), 'psi-web-'))
  mkdirSync(join(root, 'assets'))
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><title>psi</title></head><body></body></html>',
  )
  writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)')
  writeFileSync(join(root, 'favicon.ico'), 'ico')
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('serves index.html for the upload, download and admin pages with a CSP', async () => {
    const t = makeApp({}, { webRoot: root })
    for (const path of ['/', '/abcDEF123', '/admin']) {
      const res = await t.request(path)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('<title>psi</title>')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    }
  })

  it('sends every HTML page with the app CSP, /index.html and other .html files of the build too', async () => {
    writeFileSync(join(root, 'other.html'), '<!doctype html><html><head></head><body>x</body></html>')
    const t = makeApp({ uploadAppPath: '/up/' }, { webRoot: root })
    for (const path of ['/index.html', '/up/index.html', '/other.html']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await t.request(path, { method })
        expect(res.status, `${method} ${path}`).toBe(200)
        expect(res.headers.get('content-type'), path).toMatch(/^text\/html/)
        expect(res.headers.get('content-security-policy'), `${method} ${path}`).toContain("script-src 'self'")
        expect(res.headers.get('x-frame-options'), path).toBe('DENY')
        expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
      }
    }
    // index.html is the app page itself (it learns where the API lives).
    expect(await (await t.request('/index.html')).text()).toContain('<meta name="psi-base" content="/">')
  })

  it('serves assets with long caching for hashed files, and nothing outside the build', async () => {
    const t = makeApp({}, { webRoot: root })
    const js = await t.request('/assets/app-1234.js')
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(js.headers.get('cache-control')).toContain('immutable')
    expect(await js.text()).toBe('console.log(1)')
    const ico = await t.request('/favicon.ico')
    expect(ico.headers.get('cache-control')).toBe('no-cache')
    const etag = ico.headers.get('etag')!
    expect((await t.request('/favicon.ico', { headers: { 'If-None-Match': etag } })).status).toBe(304)
    expect((await t.request('/assets/missing.js')).status).toBe(404)
    expect((await t.request('/assets/..%2f..%2fetc%2fpasswd')).status).toBe(404)
    expect((await t.request('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404)
  })

  it('finds the build by default in the workspace, else in the public/ of an installed package', () => {
    const base = mkdtempSync(join(tmpdir(), 'psi-webroot-'))
    try {
      // An installed package: node_modules/@psitransfer/server with the tarball's public/.
      const server = join(base, 'node_modules', '@psitransfer', 'server')
      mkdirSync(join(server, 'public'), { recursive: true })
      expect(defaultWebRoot(server)).toBeNull() // no index.html: not a build
      writeFileSync(join(server, 'public', 'index.html'), '<!doctype html>')
      expect(defaultWebRoot(server)).toBe(join(server, 'public'))
      // The workspace (apps/server beside apps/web) serves apps/web/dist, not a leftover public/.
      mkdirSync(join(base, 'node_modules', '@psitransfer', 'web', 'dist'), { recursive: true })
      writeFileSync(
        join(base, 'node_modules', '@psitransfer', 'web', 'dist', 'index.html'),
        '<!doctype html>',
      )
      expect(defaultWebRoot(server)).toBe(join(base, 'node_modules', '@psitransfer', 'web', 'dist'))
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('says so when the web app is not built', async () => {
    const t = makeApp({}, { webRoot: null })
    const res = await t.request('/')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('web app is not built')
  })

  it('serves the upload page at uploadAppPath below baseUrl and downloads under baseUrl', async () => {
    // PsiTransfer: uploadAppPath is a sub-path of baseUrl (here /dl/up/).
    const t = makeApp({ baseUrl: '/dl/', uploadAppPath: '/up/' }, { webRoot: root })
    const page = await (await t.request('/dl/up/')).text()
    // The app learns where the API lives, and finds its relative assets below the upload page too.
    expect(page).toContain('<meta name="psi-base" content="/dl/">')
    // ...and that this path is the upload page (not the download page of a bucket named "up").
    expect(page).toContain('<meta name="psi-upload" content="/dl/up/">')
    // As in PsiTransfer, the base URL sends visitors to the upload page.
    const base = await t.request('/dl/')
    expect(base.status).toBe(302)
    expect(base.headers.get('location')).toBe('/dl/up/')
    expect(await (await t.request('/dl/up/assets/app-1234.js')).text()).toBe('console.log(1)')
    expect(await (await t.request('/dl/assets/app-1234.js')).text()).toBe('console.log(1)')
    expect((await t.request('/up/')).status).toBe(404)
    const config = await t.request('/dl/config.json')
    expect(((await config.json()) as { tusEndpoint: string }).tusEndpoint).toBe('/dl/up/files/')
    expect((await t.request('/config.json')).status).toBe(404)
    expect(
      (await t.request('/up/files/', { method: 'POST', headers: { 'Tus-Resumable': '1.0.0' } })).status,
    ).toBe(404)
    const created = await t.request('/dl/up/files/', {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '2',
        'Upload-Metadata': 'sid YjE=,name YS50eHQ=',
        'Content-Type': 'application/offset+octet-stream',
      },
      body: bytesOf('ok'),
    })
    expect(created.headers.get('location')).toMatch(/^\/dl\/up\/files\/b1\+\+/)
    const listing = (await (await t.request('/dl/b1.json')).json()) as { items: Array<{ url: string }> }
    expect(listing.items[0]!.url).toMatch(/^\/dl\/files\/b1\+\+/)
    expect(await (await t.request(listing.items[0]!.url)).text()).toBe('ok')
  })
})
