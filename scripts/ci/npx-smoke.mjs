#!/usr/bin/env node
// `pnpm test:npx`: the published server runs as `npx psitransfer` (issue #14), outside this workspace.
//
// Packs @psitransfer/server and the workspace packages it depends on (core and the stores; none is
// on a registry here) as `pnpm publish` would, installs the tarballs with npm into an empty project
// under the OS temp dir (third-party dependencies from the registry, `--prefer-offline`; no test
// tool such as vitest may come along), and there:
//   1. `npx --no psitransfer` with no setting but a free port: the web app shipped in the tarball
//      is served (an asset byte-exact with apps/web/dist), `curl -T`-style PUT upload and download,
//      TUS creation + two PATCHes + HEAD + download, all byte-exact, and the files are in ./data of
//      the current directory; SIGTERM to its process group (as a terminal's Ctrl-C or a service
//      manager sends it; npm's shell does not pass a signal on) stops the server, within the
//      shutdown timeout.
//   2. the bin itself (node_modules/.bin/psitransfer, what npx ran): `--version`, an unknown
//      argument refused (exit 2), then a restart on the same ./data that serves the files of run 1
//      again, and SIGTERM with a download held open: exit 0 within the shutdown timeout.
// On failure it prints what differed and the server's output.
//
//   node scripts/ci/npx-smoke.mjs [--keep]     (--keep leaves the temp directory for inspection)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pack, publishablePackages, ROOT } from '../packages/lib.mjs'
import { download, putRoundTrip, sigtermWithHeldDownload, startServer, tusRoundTrip } from './smoke-lib.mjs'

const SERVER = '@psitransfer/server'
const SHUTDOWN_TIMEOUT = 5 // seconds, PSITRANSFER_SHUTDOWN_TIMEOUT of the runs
const started = Date.now()

function step(msg) {
  process.stderr.write(`npx-smoke: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
}

/** The server and the workspace packages it depends on, transitively. */
function serverAndWorkspaceDeps() {
  const byName = new Map(publishablePackages().map((p) => [p.name, p]))
  const out = new Map()
  const want = [SERVER]
  while (want.length) {
    const name = want.pop()
    if (out.has(name)) continue
    const p = byName.get(name)
    if (!p) throw new Error(`${name} is not a publishable workspace package (is it private?)`)
    out.set(name, p)
    for (const [dep, range] of Object.entries({ ...p.pkg.dependencies, ...p.pkg.optionalDependencies }))
      if (range.startsWith('workspace:')) want.push(dep)
  }
  return [...out.values()]
}

/** Resolves once nothing accepts connections on the origin's port any more. */
async function portClosed(origin, withinMs) {
  const { hostname, port } = new URL(origin)
  const until = Date.now() + withinMs
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = connect(Number(port), hostname)
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (!open) return
    if (Date.now() > until)
      throw new Error(`${origin} still accepts connections ${withinMs / 1000} s after SIGTERM`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The files of bucket `sid` in the data directory, their contents by name (sidecars excluded). */
function bucketFiles(data, sid) {
  const dir = path.join(data, sid)
  if (!existsSync(dir)) throw new Error(`bucket ${sid} is not in ${data}`)
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.json'))
    .map((f) => readFileSync(path.join(dir, f)))
}

const work = mkdtempSync(path.join(tmpdir(), 'psi-npx-smoke-'))
if (!path.relative(ROOT, work).startsWith('..')) throw new Error(`${work} is inside the workspace`)
const tarballs = path.join(work, 'tarballs')
const app = path.join(work, 'app')
const data = path.join(app, 'data')
// No PSITRANSFER_* from outside: the defaults (./data, the shipped web app) are under test.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PSITRANSFER_')))
Object.assign(env, {
  PSITRANSFER_PORT: '0',
  PSITRANSFER_IFACE: '127.0.0.1',
  PSITRANSFER_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT),
})
let server
let group // the process group of `npx psitransfer` (npm, its shell, the server)
try {
  mkdirSync(tarballs)
  mkdirSync(app)
  const packages = serverAndWorkspaceDeps()
  const files = packages.map((p) => pack(p, tarballs))
  step(`packed ${packages.map((p) => p.name).join(', ')}`)
  const install = spawnSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...files],
    { cwd: app, encoding: 'utf8' },
  )
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`)
  const installed = path.join(app, 'node_modules', SERVER)
  if (!existsSync(path.join(installed, 'public/index.html')))
    throw new Error(`the installed ${SERVER} has no web app (public/index.html)`)
  // Test tools stay out of a production install (core's `./testing` has vitest as an optional peer).
  for (const dev of ['vitest', 'tus-js-client', 'typescript'])
    if (existsSync(path.join(app, 'node_modules', dev))) throw new Error(`npm install pulled in ${dev}`)
  const version = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')).version
  step(`npm install of the tarballs into ${app}`)

  // 1. `npx psitransfer` in its own process group, so that the group can be signalled.
  server = await startServer('npx', ['--no', 'psitransfer'], { cwd: app, env, detached: true })
  group = server.child.pid
  const { origin } = server
  step(`npx psitransfer: listening on ${origin}`)

  const page = await fetch(`${origin}/`)
  const html = await page.text()
  if (page.status !== 200 || !/<html/i.test(html) || /not built/.test(html))
    throw new Error(`/ answered ${page.status}, not the web app:\n${html.slice(0, 500)}`)
  const asset = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1]
  if (!asset) throw new Error(`the index page loads no script:\n${html.slice(0, 500)}`)
  const assetPath = new URL(asset, `${origin}/`).pathname
  const shipped = readFileSync(path.join(ROOT, 'apps/web/dist', assetPath))
  if (!(await download(origin, assetPath)).equals(shipped))
    throw new Error(`${assetPath} differs from apps/web/dist${assetPath}`)
  step(`web app served from the package (${assetPath} byte-exact)`)

  const put = await putRoundTrip(origin)
  step('PUT upload and download ok')
  const tus = await tusRoundTrip(origin)
  step('TUS upload and download ok')
  for (const { sid, name, body } of [put, tus]) {
    if (!bucketFiles(data, sid).some((b) => b.equals(body)))
      throw new Error(`${name} is not in ${path.join(data, sid)} byte-exact`)
  }
  step('both files are in ./data of the current directory')

  process.kill(-group, 'SIGTERM')
  const termAt = Date.now()
  await portClosed(origin, (SHUTDOWN_TIMEOUT + 2) * 1000)
  // The server's stdout closes when it exits (npm and its shell are gone already).
  await new Promise((resolve) => {
    if (server.child.stdout.closed) resolve()
    else server.child.stdout.once('close', resolve)
  })
  if (!/"msg":"shutting down"/.test(server.output()))
    throw new Error('the server stopped on SIGTERM without its graceful shutdown')
  step(`SIGTERM to npx psitransfer: the server shut down in ${((Date.now() - termAt) / 1000).toFixed(1)} s`)
  group = undefined

  // 2. The bin itself.
  const bin = path.join(app, 'node_modules/.bin/psitransfer')
  const v = spawnSync(bin, ['--version'], { cwd: app, env, encoding: 'utf8' })
  if (v.status !== 0 || v.stdout.trim() !== version)
    throw new Error(`psitransfer --version: exit ${v.status}, "${v.stdout.trim()}", expected "${version}"`)
  const bad = spawnSync(bin, ['--port', '80'], { cwd: app, env, encoding: 'utf8' })
  if (bad.status !== 2 || !/unknown argument "--port"/.test(bad.stderr))
    throw new Error(`psitransfer --port 80: exit ${bad.status} (expected 2): ${bad.stderr}`)
  server = await startServer(bin, [], { cwd: app, env })
  step(`psitransfer (the bin, restarted on ./data): listening on ${server.origin}`)
  for (const { url, name, body } of [put, tus]) {
    if (!(await download(server.origin, url)).equals(body))
      throw new Error(`${name} differs after the restart`)
  }
  step('the files of the first run download byte-exact after the restart')
  const { took } = await sigtermWithHeldDownload(server, tus.url, SHUTDOWN_TIMEOUT)
  step(`SIGTERM with a download and a stalled PATCH in flight: clean exit 0 in ${took.toFixed(1)} s`)
  step('passed')
} catch (err) {
  process.stderr.write(`npx-smoke: FAILED: ${err.message}\n`)
  if (server) process.stderr.write(`server output:\n${server.output()}\n`)
  process.exitCode = 1
} finally {
  if (group) {
    try {
      process.kill(-group, 'SIGKILL')
    } catch {}
  }
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL')
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true })
  else process.stderr.write(`npx-smoke: kept ${work}\n`)
}
