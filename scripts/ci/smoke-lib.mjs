// Shared by the smoke tests of a runnable server (deploy-smoke.mjs: the container payload,
// npx-smoke.mjs: the published package's bin): start it and wait for its listening line, then
// the HTTP round trips every way of running it must pass. Each check throws an Error saying what
// differed; the callers add the server's output.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'

/**
 * Spawns the server and resolves once it prints `PsiTransfer listening on <origin>`.
 * `output()` is everything it printed so far (stdout and stderr), `exited` its exit.
 */
export async function startServer(cmd, args, options, timeoutMs = 30_000) {
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr.on('data', (d) => {
    output += d
  })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const server = { child, exited, output: () => output }
  server.origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    )
    child.stdout.on('data', (d) => {
      output += d
      const m = /PsiTransfer listening on (https?:\/\/[^/\s]+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`could not start ${cmd}: ${err.message}`))
    })
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${signal ?? code}) before listening`))
    })
  }).catch((err) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    throw err
  })
  return server
}

/** The bytes of a download URL (relative to `origin` or absolute), failing on a non-200 answer. */
export async function download(origin, url) {
  const res = await fetch(new URL(url, origin))
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`)
  return Buffer.from(await res.arrayBuffer())
}

/** The download URL of `name` in bucket `sid`, from the bucket listing. */
export async function itemUrl(origin, sid, name) {
  const listing = await fetch(`${origin}/${sid}.json`)
  if (listing.status !== 200) throw new Error(`listing of ${sid} answered ${listing.status}`)
  const item = (await listing.json()).items.find((i) => i.name === name)
  if (!item) throw new Error(`${name} is not in the listing of bucket ${sid}`)
  return item.url
}

/**
 * PUT like `curl -T <name> http://host/` (the answer is the share URL), then the download from the
 * bucket listing, byte-exact. Returns what a later check (a restart) can download again.
 */
export async function putRoundTrip(origin, name = 'smoke.bin', size = 300_000) {
  const body = randomBytes(size)
  const put = await fetch(`${origin}/${name}`, { method: 'PUT', body })
  const shareUrl = (await put.text()).trim()
  if (put.status !== 201) throw new Error(`PUT answered ${put.status}: ${shareUrl}`)
  const sid = new URL(shareUrl).pathname.split('/').filter(Boolean).pop()
  const url = await itemUrl(origin, sid, name)
  const got = await download(origin, url)
  if (!got.equals(body)) throw new Error(`PUT download differs (${got.length} of ${body.length} bytes)`)
  return { sid, name, url, body }
}

/** TUS: creation, two PATCHes, HEAD, then the download, byte-exact. */
export async function tusRoundTrip(origin, name = 'tus.bin', size = 1_000_000) {
  const body = randomBytes(size)
  const b64 = (s) => Buffer.from(s).toString('base64')
  const sid = `smoke${randomBytes(6).toString('hex')}`
  const create = await fetch(`${origin}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(body.length),
      'Upload-Metadata': `sid ${b64(sid)},name ${b64(name)}`,
    },
  })
  if (create.status !== 201) throw new Error(`TUS creation answered ${create.status}: ${await create.text()}`)
  const location = new URL(create.headers.get('location'), origin)
  let offset = 0
  for (const end of [Math.floor(size / 2.5), body.length]) {
    const patch = await fetch(location, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: body.subarray(offset, end),
    })
    if (patch.status !== 204)
      throw new Error(`PATCH at ${offset} answered ${patch.status}: ${await patch.text()}`)
    offset = Number(patch.headers.get('upload-offset'))
    if (offset !== end) throw new Error(`PATCH acknowledged ${offset}, sent up to ${end}`)
  }
  const head = await fetch(location, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
  if (head.headers.get('upload-offset') !== String(body.length))
    throw new Error(
      `HEAD says offset ${head.headers.get('upload-offset')}, not the full length ${body.length}`,
    )
  const url = await itemUrl(origin, sid, name)
  const got = await download(origin, url)
  if (!got.equals(body)) throw new Error(`TUS download differs (${got.length} of ${body.length} bytes)`)
  return { sid, name, url, body }
}

/**
 * SIGTERM while a download is held open (a paused reader): the server must stop accepting and
 * exit 0 within `shutdownTimeout` seconds (+2 of slack). Returns the seconds it took.
 */
export async function sigtermWithHeldDownload(server, url, shutdownTimeout) {
  const held = request(new URL(url, server.origin), (res) => res.pause())
  held.on('error', () => {})
  held.end()
  await new Promise((r) => setTimeout(r, 300))
  const termAt = Date.now()
  server.child.kill('SIGTERM')
  const deadline = setTimeout(() => server.child.kill('SIGKILL'), (shutdownTimeout + 5) * 1000)
  const { code, signal } = await server.exited
  clearTimeout(deadline)
  held.destroy()
  const took = (Date.now() - termAt) / 1000
  if (code !== 0)
    throw new Error(`after SIGTERM the server exited with ${signal ?? code} in ${took.toFixed(1)} s`)
  if (took > shutdownTimeout + 2)
    throw new Error(`shutdown took ${took.toFixed(1)} s, the timeout is ${shutdownTimeout} s`)
  return took
}
