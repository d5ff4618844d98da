#!/usr/bin/env node
// Smoke test of what goes into the container image (see Dockerfile), without a container runtime.
//
// Podman/buildah cannot build the image here: they would have to pull node:24-slim from a registry.
// So this runs the image's payload the way the image runs it: the `pnpm deploy --prod` output of
// @psitransfer/server plus the built web app, started with the image's command (`node dist/main.js`
// in the deploy directory), its environment (PSITRANSFER_UPLOAD_DIR, PSITRANSFER_WEB_ROOT) and, when
// this runs as root, its unprivileged user (uid/gid 1000, like the image's `node` user) with a data
// directory that user owns and an app directory it cannot write. Then:
//   - `curl -T`-style PUT upload, download, byte-exact;
//   - TUS creation + PATCH in two chunks, HEAD, download, byte-exact;
//   - /healthz and the web app's index page;
//   - SIGTERM while a download is held open: the process exits 0 within the shutdown timeout.
//
//   node scripts/ci/deploy-smoke.mjs [--keep]     (--keep leaves the temp directory for inspection)
//
// Needs the server and web app built (`pnpm test:deploy` builds them first through turbo).
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { putRoundTrip, sigtermWithHeldDownload, startServer, tusRoundTrip } from './smoke-lib.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SHUTDOWN_TIMEOUT = 5 // seconds, PSITRANSFER_SHUTDOWN_TIMEOUT of the run
const APP_UID = 1000 // the `node` user of the official Node images
const started = Date.now()

function step(msg) {
  process.stderr.write(`deploy-smoke: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
}

function fail(msg) {
  throw new Error(`deploy-smoke: ${msg}`)
}

// The runtime stage of the Dockerfile: its ENV, CMD and HEALTHCHECK are what this runs.
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
const imageEnv = {}
for (const [, list] of runtime.matchAll(/^ENV (.*)$/gm)) {
  for (const [, k, v] of list.matchAll(/(\w+)=(\S+)/g)) imageEnv[k] = v
}
const imageCmd = JSON.parse(/^CMD (\[.*\])\s*$/m.exec(runtime)?.[1] ?? 'null')
const healthCmd = JSON.parse(/^HEALTHCHECK .*?CMD (\[.*\])\s*$/m.exec(runtime)?.[1] ?? 'null')
const workdir = /^WORKDIR (\S+)/m.exec(runtime)?.[1]
if (!imageCmd || !healthCmd || !workdir || !imageEnv.PSITRANSFER_UPLOAD_DIR) {
  fail('could not read CMD, HEALTHCHECK, WORKDIR and ENV of the Dockerfile runtime stage')
}
// `node` of the image's commands: this Node, copied where the app user can run it when it cannot
// (scripts/ci/node.sh keeps Node 24 under root's home, which uid 1000 cannot enter).
let nodeBin = process.execPath
const node = (argv) => (argv[0] === 'node' ? [nodeBin, ...argv.slice(1)] : argv)

const webDist = path.join(ROOT, 'apps/web/dist')
if (!existsSync(path.join(webDist, 'index.html'))) fail('apps/web/dist is not built (run pnpm test:deploy)')
if (!existsSync(path.join(ROOT, 'apps/server/dist/main.js'))) fail('apps/server/dist is not built')

const work = mkdtempSync(path.join(tmpdir(), 'psi-deploy-smoke-'))
chmodSync(work, 0o755)
const app = path.join(work, 'app')
const data = path.join(work, 'data')
let server
try {
  // The Dockerfile's build stage, same command and flags.
  step('pnpm deploy --prod')
  const deploy = spawnSync(
    'npx',
    [
      '--yes',
      'pnpm@10.34.9',
      '--filter',
      '@psitransfer/server',
      'deploy',
      '--prod',
      '--legacy',
      '--prefer-offline',
      app,
    ],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } },
  )
  if (deploy.status !== 0) fail(`pnpm deploy failed:\n${deploy.stdout}\n${deploy.stderr}`)
  cpSync(webDist, path.join(app, 'public'), { recursive: true })
  mkdirSync(data)

  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    chownSync(data, APP_UID, APP_UID)
    if (spawnSync(nodeBin, ['--version'], { uid: APP_UID, gid: APP_UID }).status !== 0) {
      nodeBin = path.join(work, 'node')
      copyFileSync(process.execPath, nodeBin)
      chmodSync(nodeBin, 0o755)
    }
  }

  step(`start ${imageCmd.join(' ')}${asRoot ? ` as uid ${APP_UID}` : ''}`)
  // The image's paths (WORKDIR, /data) mapped into the temp directory; any free port.
  const mapPath = (v) => v.replace(/^\/data(?=\/|$)/, data).replace(new RegExp(`^${workdir}(?=/|$)`), app)
  const env = { PATH: process.env.PATH }
  for (const [k, v] of Object.entries(imageEnv)) env[k] = mapPath(v)
  Object.assign(env, {
    PSITRANSFER_PORT: '0',
    PSITRANSFER_IFACE: '127.0.0.1',
    PSITRANSFER_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT),
  })
  const [cmd, ...args] = node(imageCmd)
  server = await startServer(cmd, args, {
    cwd: app,
    env,
    ...(asRoot ? { uid: APP_UID, gid: APP_UID } : {}),
  })
  const { origin } = server
  step(`listening on ${origin}`)

  // The image's HEALTHCHECK command, as the container runtime would run it.
  const [hcmd, ...hargs] = node(healthCmd)
  const health = spawnSync(hcmd, hargs, {
    env: { ...env, PSITRANSFER_PORT: new URL(origin).port },
    encoding: 'utf8',
    timeout: 10_000,
  })
  if (health.status !== 0) fail(`the HEALTHCHECK command failed (${health.status}): ${health.stderr}`)
  const index = await fetch(`${origin}/`)
  const html = await index.text()
  if (index.status !== 200 || !/<html/i.test(html)) fail(`/ answered ${index.status}, not the web app`)

  await putRoundTrip(origin)
  step('PUT upload and download ok')
  const tus = await tusRoundTrip(origin)
  step('TUS upload and download ok')

  // SIGTERM with a connection open: the server stops accepting and exits 0 within the timeout.
  const took = await sigtermWithHeldDownload(server, tus.url, SHUTDOWN_TIMEOUT)
  step(`SIGTERM: clean exit 0 in ${took.toFixed(1)} s`)
  step('passed')
} catch (err) {
  // Once the server runs, its output goes with every failure.
  const msg = err.message.replace(/^deploy-smoke: /, '')
  fail(`${msg}${server ? `\nserver output:\n${server.output()}` : ''}`)
} finally {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL')
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true })
  else process.stderr.write(`deploy-smoke: kept ${work}\n`)
}
