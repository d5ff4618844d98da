// The example of @psitransfer/core's README, taken from the installed package, serves a real TUS
// client: an upload interrupted midway resumes where the server says it stopped, the bytes land
// in the filesystem store's layout and download back byte-exact.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, expect, it } from 'vitest'

let child
let endpoint = ''
let output = ''
let dataDir = ''

beforeAll(async () => {
  // server.mjs is the example block of the installed core README, written by pack-install.mjs.
  dataDir = await mkdtemp(path.join(tmpdir(), 'psi-pack-readme-'))
  child = spawn(process.execPath, ['server.mjs'], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: '0', UPLOAD_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  endpoint = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk
      const m = /TUS endpoint: (\S+)/.exec(output)
      if (m) resolve(m[1])
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => reject(new Error(`server.mjs exited with ${code}:\n${output}`)))
    setTimeout(() => reject(new Error(`server.mjs did not start:\n${output}`)), 15_000)
  })
}, 20_000)

afterAll(async () => {
  child?.kill()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

function upload(data, options) {
  let up
  const done = new Promise((resolve, reject) => {
    up = new tus.Upload(data, {
      endpoint,
      metadata: { filename: 'report.bin', filetype: 'application/octet-stream' },
      chunkSize: 256 * 1024,
      retryDelays: null,
      ...options,
      onSuccess: () => resolve(up.url),
      onError: reject,
    })
    up.start()
  })
  return { upload: up, done }
}

it('serves an interrupted, resumed upload with tus-js-client and downloads it byte-exact', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 123)
  // First attempt: stop after ~1 MiB, as a dropped connection would.
  let stopped
  const first = new Promise((resolve, reject) => {
    const up = new tus.Upload(data, {
      endpoint,
      metadata: { filename: 'report.bin', filetype: 'application/octet-stream' },
      chunkSize: 256 * 1024,
      retryDelays: null,
      onProgress: (sent) => {
        if (!stopped && sent >= 1024 * 1024) stopped = up.abort().then(() => resolve(up.url), reject)
      },
      onSuccess: () => reject(new Error('the upload should have been interrupted')),
      onError: reject,
    })
    up.start()
  })
  const uploadUrl = await first
  const head = await fetch(uploadUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
  expect(head.status).toBe(200)
  const offset = Number(head.headers.get('upload-offset'))
  expect(offset).toBeGreaterThanOrEqual(256 * 1024)
  expect(offset).toBeLessThan(data.length)

  // Resume from the server's offset; only the rest is sent.
  const sentFrom = []
  const { done } = upload(data, {
    uploadUrl,
    onChunkComplete: (_chunk, accepted) => sentFrom.push(accepted),
  })
  expect(await done).toBe(uploadUrl)
  expect(sentFrom[0]).toBeGreaterThan(offset)

  const id = decodeURIComponent(new URL(uploadUrl).pathname.split('/').pop())
  const [sid, key] = id.split('++')
  expect(Buffer.compare(await readFile(path.join(dataDir, sid, key)), data)).toBe(0)
  const meta = JSON.parse(await readFile(path.join(dataDir, sid, `${key}.json`), 'utf8'))
  expect(JSON.stringify(meta)).toContain('report.bin')

  const res = await fetch(uploadUrl)
  expect(res.status).toBe(200)
  expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), data)).toBe(0)
  await expect.poll(() => output).toContain(`complete: ${id} report.bin (${data.length} bytes)`)
}, 60_000)

it('answers protocol errors as responses, not crashes', async () => {
  const bad = await fetch(endpoint, { method: 'POST', headers: { 'Upload-Length': '5' } })
  expect(bad.status).toBe(412) // no Tus-Resumable
  const missing = await fetch(`${endpoint}..%2F..%2Fetc`, {
    method: 'HEAD',
    headers: { 'Tus-Resumable': '1.0.0' },
  })
  expect(missing.status).toBeGreaterThanOrEqual(400)
  expect(missing.status).toBeLessThan(500)
  const options = await fetch(endpoint, { method: 'OPTIONS' })
  expect(options.headers.get('tus-version')).toBe('1.0.0')
  expect(child.exitCode).toBe(null)
})
