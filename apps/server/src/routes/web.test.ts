import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultWebRoot } from '../deps.js'
import { bytesOf, makeApp } from '../test-support/harness.js'

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
