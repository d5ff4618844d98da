/**
 * The built web app (apps/web/dist): `index.html` for the app's pages (upload, download, admin;
 * the client router reads the location) and its static assets. Without a build, a minimal
 * page says so.
 * @module
 */
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'
import { NotFoundError } from '@psitransfer/core'
import type { Context } from 'hono'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { appPageCsp } from '../http/headers.js'
import { sendStream } from '../http/send.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

function notBuiltPage(url: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PsiTransfer</title></head>
<body><h1>PsiTransfer</h1>
<p>The web app is not built. Run <code>pnpm --filter @psitransfer/web build</code> and restart the server.</p>
<p>The API works without it, for example: <code>curl -T file.bin ${escapeHtml(url)}</code></p>
</body></html>
`
}

/**
 * Tells the web app where the API lives (`<meta name="psi-base">`) and where the upload page is
 * (`<meta name="psi-upload">`), both read by apps/web. Without them the app guesses `baseUrl`
 * from its script URL, and would take the upload page at `uploadAppPath` (e.g. `/psi/up/`) for
 * the download page of a bucket named `up`.
 */
export function withBase(html: string, baseUrl: string, uploadAppPath: string = baseUrl): string {
  if (/<meta\s+name=["']psi-base["']/i.test(html)) return html
  return html.replace(
    /<head(\s[^>]*)?>/i,
    (head) =>
      `${head}<meta name="psi-base" content="${escapeHtml(baseUrl)}">` +
      `<meta name="psi-upload" content="${escapeHtml(uploadAppPath)}">`,
  )
}

export async function appPage(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  c.header('Content-Security-Policy', appPageCsp(deps.store.directUpload?.origins))
  c.header('Cache-Control', 'no-cache')
  if (deps.webRoot) {
    try {
      const html = await readFile(resolve(deps.webRoot, 'index.html'), 'utf8')
      return c.html(withBase(html, deps.config.baseUrl, deps.config.uploadAppPath))
    } catch {
      // fall through to the placeholder
    }
  }
  return c.html(notBuiltPage(new URL(c.req.url).origin + deps.config.baseUrl))
}

/** Serves `relPath` from the web build; 404 when absent or outside the build directory. */
export async function asset(c: Context<AppEnv>, deps: AppDeps, relPath: string): Promise<Response> {
  if (!deps.webRoot || relPath.includes('\0')) throw new NotFoundError('Not found')
  // `/index.html` is the app page under another name: same content, same headers.
  if (relPath === 'index.html') return appPage(c, deps)
  const root = resolve(deps.webRoot)
  const file = resolve(root, relPath)
  if (!file.startsWith(root + sep)) throw new NotFoundError('Not found')
  const st = await stat(file).catch(() => undefined)
  if (!st?.isFile()) throw new NotFoundError('Not found')
  const etag = `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`
  // Vite puts content-hashed files under assets/: they never change, cache them for a year.
  const hashed = /(^|\/)assets\//.test(relPath)
  const headers: Record<string, string> = {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(st.size),
    ETag: etag,
    'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
  }
  // Every HTML page we send runs under the app's CSP (uploaded files get FILE_CSP instead).
  if (/\.html?$/i.test(file))
    headers['Content-Security-Policy'] = appPageCsp(deps.store.directUpload?.origins)
  if (c.req.header('if-none-match') === etag) {
    const { 'Content-Length': _l, ...rest } = headers
    return sendStream(c, { status: 304, headers: rest, body: null })
  }
  if (c.req.method === 'HEAD') return sendStream(c, { status: 200, headers, body: null })
  return sendStream(c, { status: 200, headers, body: fileBody(file) })
}

/** Opens the file only when the body is read (an unread body never leaves an open stream behind). */
async function* fileBody(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path)
  try {
    for await (const chunk of stream) yield chunk as Uint8Array
  } finally {
    stream.destroy()
  }
}
