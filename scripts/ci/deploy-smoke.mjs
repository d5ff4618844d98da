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
import { spawn, spawnSync } from 'node:child_process'
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
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

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
let child
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
  child = spawn(cmd, args, {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: APP_UID, gid: APP_UID } : {}),
  })
  let output = ''
  child.stderr.on('data', (d) => {
    output += d
  })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${output}`)), 30_000)
    child.stdout.on('data', (d) => {
      output += d
      const m = /PsiTransfer listening on (https?:\/\/[^/\s]+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${signal ?? code}) before listening:\n${output}`))
    })
  })
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

  // PUT like `curl -T smoke.bin http://host/`: the answer is the share URL.
  const putBody = randomBytes(300_000)
  const put = await fetch(`${origin}/smoke.bin`, { method: 'PUT', body: putBody })
  const shareUrl = (await put.text()).trim()
  if (put.status !== 201) fail(`PUT answered ${put.status}: ${shareUrl}`)
  const sid = new URL(shareUrl).pathname.split('/').filter(Boolean).pop()
  const listing = await fetch(`${origin}/${sid}.json`)
  if (listing.status !== 200) fail(`listing of ${sid} answered ${listing.status}`)
  const item = (await listing.json()).items.find((i) => i.name === 'smoke.bin')
  if (!item) fail('the PUT file is not in its bucket listing')
  const got = Buffer.from(await (await fetch(new URL(item.url, origin))).arrayBuffer())
  if (!got.equals(putBody)) fail(`PUT download differs (${got.length} of ${putBody.length} bytes)`)
  step('PUT upload and download ok')

  // TUS: creation, two PATCHes, HEAD, download.
  const tusBody = randomBytes(1_000_000)
  const b64 = (s) => Buffer.from(s).toString('base64')
  const tusSid = `smoke${randomBytes(6).toString('hex')}`
  const create = await fetch(`${origin}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(tusBody.length),
      'Upload-Metadata': `sid ${b64(tusSid)},name ${b64('tus.bin')}`,
    },
  })
  if (create.status !== 201) fail(`TUS creation answered ${create.status}: ${await create.text()}`)
  const location = new URL(create.headers.get('location'), origin)
  let offset = 0
  for (const end of [400_000, tusBody.length]) {
    const patch = await fetch(location, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: tusBody.subarray(offset, end),
    })
    if (patch.status !== 204) fail(`PATCH at ${offset} answered ${patch.status}: ${await patch.text()}`)
    offset = Number(patch.headers.get('upload-offset'))
    if (offset !== end) fail(`PATCH acknowledged ${offset}, sent up to ${end}`)
  }
  const head = await fetch(location, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
  if (head.headers.get('upload-offset') !== String(tusBody.length)) fail('HEAD offset is not the full length')
  const tusListing = await (await fetch(`${origin}/${tusSid}.json`)).json()
  const tusItem = tusListing.items.find((i) => i.name === 'tus.bin')
  if (!tusItem) fail('the TUS file is not in its bucket listing')
  const tusGot = Buffer.from(await (await fetch(new URL(tusItem.url, origin))).arrayBuffer())
  if (!tusGot.equals(tusBody)) fail(`TUS download differs (${tusGot.length} of ${tusBody.length} bytes)`)
  step('TUS upload and download ok')

  // SIGTERM with a connection open (a paused download reader): the server stops accepting and
  // exits 0 within the shutdown timeout.
  const held = request(new URL(tusItem.url, origin), (res) => res.pause())
  held.on('error', () => {})
  held.end()
  await new Promise((r) => setTimeout(r, 300))
  const termAt = Date.now()
  child.kill('SIGTERM')
  const deadline = setTimeout(() => child.kill('SIGKILL'), (SHUTDOWN_TIMEOUT + 5) * 1000)
  const { code, signal } = await exited
  clearTimeout(deadline)
  const took = (Date.now() - termAt) / 1000
  if (code !== 0)
    fail(`after SIGTERM the server exited with ${signal ?? code} in ${took.toFixed(1)} s:\n${output}`)
  if (took > SHUTDOWN_TIMEOUT + 2)
    fail(`shutdown took ${took.toFixed(1)} s, timeout is ${SHUTDOWN_TIMEOUT} s`)
  held.destroy()
  step(`SIGTERM: clean exit 0 in ${took.toFixed(1)} s`)
  child = undefined
  step('passed')
} finally {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true })
  else process.stderr.write(`deploy-smoke: kept ${work}\n`)
}
