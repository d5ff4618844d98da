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
  // The first line is the share link (the second the uploader's manage link).
  const shareUrl = (await put.text()).split('\n')[0].trim()
  if (put.status !== 201) throw new Error(`PUT answered ${put.status}: ${shareUrl}`)
  const sid = new URL(shareUrl).pathname.split('/').filter(Boolean).pop()
  const url = await itemUrl(origin, sid, name)
  const got = await download(origin, url)
  if (!got.equals(body)) throw new Error(`PUT download differs (${got.length} of ${body.length} bytes)`)
  return { sid, name, url, body }
}

const TUS = { 'Tus-Resumable': '1.0.0' }

/** TUS creation of a `size`-byte file in a fresh bucket; returns the upload's URL and bucket. */
async function tusCreate(origin, name, size) {
  const b64 = (s) => Buffer.from(s).toString('base64')
  const sid = `smoke${randomBytes(6).toString('hex')}`
  const create = await fetch(`${origin}/files/`, {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Length': String(size),
      'Upload-Metadata': `sid ${b64(sid)},name ${b64(name)}`,
    },
  })
  if (create.status !== 201) throw new Error(`TUS creation answered ${create.status}: ${await create.text()}`)
  return { sid, location: new URL(create.headers.get('location'), origin) }
}

/** PATCH `body[offset, end)`; throws unless the server acknowledges exactly `end`. */
async function tusPatch(location, body, offset, end) {
  const patch = await fetch(location, {
    method: 'PATCH',
    headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: body.subarray(offset, end),
  })
  if (patch.status !== 204)
    throw new Error(`PATCH at ${offset} answered ${patch.status}: ${await patch.text()}`)
  const acked = Number(patch.headers.get('upload-offset'))
  if (acked !== end) throw new Error(`PATCH acknowledged ${acked}, sent up to ${end}`)
}

async function tusOffset(location) {
  const head = await fetch(location, { method: 'HEAD', headers: TUS })
  if (head.status !== 200) throw new Error(`HEAD ${location.pathname} answered ${head.status}`)
  return Number(head.headers.get('upload-offset'))
}

/** TUS: creation, two PATCHes, HEAD, then the download, byte-exact. */
export async function tusRoundTrip(origin, name = 'tus.bin', size = 1_000_000) {
  const body = randomBytes(size)
  const { sid, location } = await tusCreate(origin, name, size)
  const middle = Math.floor(size / 2.5)
  await tusPatch(location, body, 0, middle)
  await tusPatch(location, body, middle, size)
  const offset = await tusOffset(location)
  if (offset !== size) throw new Error(`HEAD says offset ${offset}, not the full length ${size}`)
  const url = await itemUrl(origin, sid, name)
  const got = await download(origin, url)
  if (!got.equals(body)) throw new Error(`TUS download differs (${got.length} of ${body.length} bytes)`)
  return { sid, name, url, body }
}

/**
 * A TUS upload whose PATCH sent `sent` of `size` bytes and then stalls, its request held open: what a
 * shutdown finds in flight besides downloads. {@link resumeStalled} finishes it after a restart.
 */
export async function stallPatch(origin, name = 'stalled.bin', size = 2 << 20, sent = 256 << 10) {
  const body = randomBytes(size)
  const { sid, location } = await tusCreate(origin, name, size)
  const req = request(location, {
    method: 'PATCH',
    headers: {
      ...TUS,
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      'Content-Length': String(size),
    },
  })
  req.on('error', () => {})
  req.write(body.subarray(0, sent))
  await new Promise((r) => setTimeout(r, 300))
  return { sid, name, location, body, sent, req }
}

/**
 * After a restart: the stalled upload resumes exactly where its bytes stopped (none lost, none
 * invented), and completes byte-exact.
 */
export async function resumeStalled(origin, stalled) {
  const { sid, name, body, sent } = stalled
  const location = new URL(stalled.location.pathname, origin)
  const offset = await tusOffset(location)
  if (!(offset >= 0 && offset <= sent))
    throw new Error(`the stalled upload resumes at offset ${offset}, but only ${sent} bytes were sent`)
  // The connection was cut by the shutdown after every byte had arrived: the server stores them
  // before it exits (server.ts), so a client resends nothing.
  if (offset !== sent)
    throw new Error(
      `the stalled upload resumes at offset ${offset}: of ${sent} bytes received before the shutdown, ${sent - offset} were not stored`,
    )
  await tusPatch(location, body, offset, body.length)
  const got = await download(origin, await itemUrl(origin, sid, name))
  if (!got.equals(body)) throw new Error(`the resumed upload differs (${got.length} of ${body.length} bytes)`)
  return offset
}

/**
 * SIGTERM while a download is held open (a paused reader) and a PATCH stalls mid-body: the server
 * must stop accepting and exit 0 within `shutdownTimeout` seconds (+2 of slack). Returns the
 * seconds it took and the stalled upload, for {@link resumeStalled} after a restart.
 */
export async function sigtermWithHeldDownload(server, url, shutdownTimeout) {
  const held = request(new URL(url, server.origin), (res) => res.pause())
  held.on('error', () => {})
  held.end()
  const stalled = await stallPatch(server.origin)
  const termAt = Date.now()
  server.child.kill('SIGTERM')
  const deadline = setTimeout(() => server.child.kill('SIGKILL'), (shutdownTimeout + 5) * 1000)
  const { code, signal } = await server.exited
  clearTimeout(deadline)
  held.destroy()
  stalled.req.destroy()
  const took = (Date.now() - termAt) / 1000
  if (code !== 0)
    throw new Error(`after SIGTERM the server exited with ${signal ?? code} in ${took.toFixed(1)} s`)
  if (took > shutdownTimeout + 2)
    throw new Error(`shutdown took ${took.toFixed(1)} s, the timeout is ${shutdownTimeout} s`)
  return { took, stalled }
}
