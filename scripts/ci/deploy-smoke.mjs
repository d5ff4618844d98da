#!/usr/bin/env node
// Smoke test of the container image (see Dockerfile).
//
// With --image or PSI_IMAGE_SMOKE=1, when this machine can (root, podman; scripts/ci/image-smoke.mjs
// installs what is missing, or says why it cannot), it builds the image with podman from the Dockerfile,
// on a local stand-in for node:24-slim (no container registry is reachable here), and runs the checks
// below against the container: published port, named /data volume, `podman healthcheck run`, `podman
// stop`. Not the default: on the shared 2-core CI machine a warm run took 3 to 9 minutes, by the load
// (the build stage's pnpm install and turbo build run in the container whenever the sources change).
// Otherwise (or with PSI_IMAGE_SMOKE=0, or when the image cannot be built here) it runs the image's
// payload the way the image runs it: the `pnpm deploy --prod` output of
// @psitransfer/server plus the built web app, started with the image's command (`node dist/main.js`
// in the deploy directory), its environment (PSITRANSFER_UPLOAD_DIR, PSITRANSFER_WEB_ROOT) and, when
// this runs as root, its unprivileged user (uid/gid 1000, like the image's `node` user) with a data
// directory that user owns and an app directory it cannot write. Then:
//   - `curl -T`-style PUT upload, download, byte-exact;
//   - TUS creation + PATCH in two chunks, HEAD, download, byte-exact;
//   - /healthz and the web app's index page;
//   - the server does not run as root (uid 1000, the image's `node` user);
//   - SIGTERM while a download is held open: the process exits 0 within the shutdown timeout;
//   - started again on the same data: both files are still there, byte-exact.
//
//   node scripts/ci/deploy-smoke.mjs [--image] [--keep]   (--keep leaves the temp directory, volume and
//                                                          containers for inspection)
//
// The directory test needs the server and web app built (`pnpm test:deploy` builds them through turbo).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
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
import { buildImage, IMAGE, imageTestUnavailable, podman, podmanAsync, ulimitArgs } from './image-smoke.mjs'
import {
  download,
  itemUrl,
  putRoundTrip,
  resumeStalled,
  sigtermWithHeldDownload,
  startServer,
  tusRoundTrip,
} from './smoke-lib.mjs'

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

const asRoot = process.getuid?.() === 0
let inImage = false
if (process.argv.includes('--image') || process.env.PSI_IMAGE_SMOKE === '1') {
  const why = imageTestUnavailable(step)
  if (why)
    step(`cannot test the image on this machine (${why}): testing the deploy directory it is built from`)
  inImage = !why
}
const keep = process.argv.includes('--keep')
const webDist = path.join(ROOT, 'apps/web/dist')
if (!inImage) {
  if (!existsSync(path.join(webDist, 'index.html'))) fail('apps/web/dist is not built (run pnpm test:deploy)')
  if (!existsSync(path.join(ROOT, 'apps/server/dist/main.js'))) fail('apps/server/dist is not built')
}

const work = mkdtempSync(path.join(tmpdir(), 'psi-deploy-smoke-'))
chmodSync(work, 0o755)
const app = path.join(work, 'app')
const data = path.join(work, 'data')
const cleanups = []

// The deploy directory run as the image runs it: a smoke-lib server plus `pid` and `healthcheck()`.
async function startDirectory() {
  if (!existsSync(app)) {
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
    if (asRoot) {
      chownSync(data, APP_UID, APP_UID)
      if (spawnSync(nodeBin, ['--version'], { uid: APP_UID, gid: APP_UID }).status !== 0) {
        nodeBin = path.join(work, 'node')
        copyFileSync(process.execPath, nodeBin)
        chmodSync(nodeBin, 0o755)
      }
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
  const server = await startServer(cmd, args, {
    cwd: app,
    env,
    ...(asRoot ? { uid: APP_UID, gid: APP_UID } : {}),
  })
  cleanups.push(() => server.child.exitCode === null && server.child.kill('SIGKILL'))
  server.pid = server.child.pid
  // The image's HEALTHCHECK command, as the container runtime would run it.
  server.healthcheck = () => {
    const [hcmd, ...hargs] = node(healthCmd)
    return spawnSync(hcmd, hargs, {
      env: { ...env, PSITRANSFER_PORT: new URL(server.origin).port },
      encoding: 'utf8',
      timeout: 10_000,
    })
  }
  return server
}

// The image run with podman: its port published on 127.0.0.1, /data a named volume kept across starts.
// The same shape as a smoke-lib server; its `child.kill('SIGTERM')` is `podman stop` (the image's stop
// signal, SIGKILL after the grace period).
const runName = `psi-smoke-${randomBytes(4).toString('hex')}`
let starts = 0
async function startContainer() {
  if (!starts) {
    buildImage(step)
    podman(['volume', 'create', runName])
    if (!keep) cleanups.push(() => podman(['volume', 'rm', '-f', runName], { allowFail: true }))
  }
  const name = `${runName}-${++starts}`
  step(`podman run ${IMAGE} as ${name}`)
  if (!keep) cleanups.push(() => podman(['rm', '-f', '-t', '0', name], { allowFail: true }))
  const port = imageEnv.PSITRANSFER_PORT
  const publish = ['-p', `127.0.0.1::${port}`, '-v', `${runName}:/data`]
  const env = ['-e', `PSITRANSFER_SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT}`]
  podman(['run', '-d', '--name', name, ...ulimitArgs(), ...publish, ...env, IMAGE])
  const output = () => {
    const logs = podman(['logs', name], { allowFail: true })
    return logs.stdout + logs.stderr
  }
  const inspect = (format) => podman(['inspect', '--format', format, name]).stdout.trim()
  for (let waited = 0; !/PsiTransfer listening on/.test(output()); waited += 200) {
    if (inspect('{{.State.Running}}') !== 'true') fail(`the container exited before listening:\n${output()}`)
    if (waited > 30_000) fail(`the container did not listen within 30 s:\n${output()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  const child = {
    exitCode: null,
    kill: (signal) =>
      signal === 'SIGTERM'
        ? podmanAsync(['stop', '-t', String(SHUTDOWN_TIMEOUT + 5), name])
        : podmanAsync(['kill', '--signal', signal, name]),
  }
  const exited = podmanAsync(['wait', name]).then(({ stdout }) => {
    child.exitCode = Number(stdout.trim())
    return { code: child.exitCode, signal: null }
  })
  return {
    origin: `http://${podman(['port', name, `${port}/tcp`]).stdout.trim()}`,
    pid: Number(inspect('{{.State.Pid}}')),
    child,
    exited,
    output,
    healthcheck: () => podman(['healthcheck', 'run', name], { allowFail: true }),
  }
}

const start = inImage ? startContainer : startDirectory
let server
try {
  server = await start()
  const { origin } = server
  step(`listening on ${origin}`)

  const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1])
  const wantUid = inImage || asRoot ? APP_UID : process.getuid?.()
  if (uid !== wantUid) fail(`the server runs as uid ${uid}, not ${wantUid}`)
  const health = server.healthcheck()
  if (health.status !== 0)
    fail(`the HEALTHCHECK command failed (${health.status}): ${health.stdout}${health.stderr}`)
  const index = await fetch(`${origin}/`)
  const html = await index.text()
  if (index.status !== 200 || !/<html/i.test(html)) fail(`/ answered ${index.status}, not the web app`)
  step(`runs as uid ${uid}; HEALTHCHECK and web app ok`)

  const put = await putRoundTrip(origin)
  step('PUT upload and download ok')
  const tus = await tusRoundTrip(origin)
  step('TUS upload and download ok')

  // SIGTERM with a connection open: the server stops accepting and exits 0 within the timeout.
  const { took, stalled } = await sigtermWithHeldDownload(server, tus.url, SHUTDOWN_TIMEOUT)
  step(`SIGTERM with a download and a stalled PATCH in flight: clean exit 0 in ${took.toFixed(1)} s`)

  // Started again on the same data (directory or volume): nothing is lost. The download URLs are read
  // from the listings again (a file URL can be signed with the per-boot key).
  server = await start()
  let url
  for (const file of [put, tus]) {
    url = await itemUrl(server.origin, file.sid, file.name)
    const again = await download(server.origin, url)
    if (!again.equals(file.body))
      fail(`after a restart ${file.name} differs (${again.length} of ${file.body.length} bytes)`)
  }
  const resumedAt = await resumeStalled(server.origin, stalled)
  step(`the PATCH stalled at shutdown resumed at ${resumedAt} of ${stalled.sent} sent bytes and completed`)
  await sigtermWithHeldDownload(server, url, SHUTDOWN_TIMEOUT)
  step('restarted on the same data: both files intact')
  step('passed')
} catch (err) {
  // Once the server runs, its output goes with every failure.
  const msg = err.message.replace(/^deploy-smoke: /, '')
  fail(`${msg}${server ? `\nserver output:\n${server.output()}` : ''}`)
} finally {
  for (const cleanup of cleanups.reverse()) cleanup()
  if (!keep) rmSync(work, { recursive: true, force: true })
  else
    process.stderr.write(
      `deploy-smoke: kept ${work}${inImage ? ` and the volume/containers ${runName}*` : ''}\n`,
    )
}
