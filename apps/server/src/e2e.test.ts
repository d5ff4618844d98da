/**
 * End to end: the real tus-js-client (Node) and fetch against a listening server on the
 * filesystem store.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { listAll } from '@psitransfer/core'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTarGz, readZip } from './test-support/archives.js'
import { type E2eServer, ManualClock, removeDir, startFsServer, tempDir } from './test-support/e2e.js'
import { BucketTokens, sha256 } from './test-support/harness.js'

const run = promisify(execFile)

const tokens = new BucketTokens()

interface UploadResult {
  url: string
}

function tusUpload(
  server: E2eServer,
  data: Buffer,
  metadata: Record<string, string>,
  options: Partial<tus.UploadOptions> = {},
): { promise: Promise<UploadResult>; upload: tus.Upload } {
  let upload!: tus.Upload
  const promise = new Promise<UploadResult>((resolve, reject) => {
    upload = new tus.Upload(data, {
      endpoint: server.url('/files/'),
      metadata,
      chunkSize: 256 * 1024,
      retryDelays: [0, 100, 300],
      // As the bucket's uploader: later files of a bucket send the token its first one got.
      ...(metadata.sid ? tokens.tusOptions(metadata.sid) : {}),
      ...options,
      onSuccess: () => resolve({ url: upload.url as string }),
      onError: reject,
    })
    upload.start()
  })
  return { promise, upload }
}

async function listing(server: E2eServer, sid: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url(`/${sid}.json`), { headers })
  if (res.status !== 200) throw new Error(`listing ${res.status}`)
  return (await res.json()) as {
    items: Array<{ name: string; url: string; size: number; relativePath: string }>
    zipUrl: string
    tarGzUrl: string
  }
}

async function download(
  server: E2eServer,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(server.url(path), init)
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

describe('e2e on the filesystem store', () => {
  let server: E2eServer
  beforeAll(async () => {
    server = await startFsServer({ config: { adminPass: 'admin' } })
  })
  afterAll(async () => {
    await server.close()
    removeDir(server.dir)
  })

  it('uploads many files in parallel with tus-js-client and downloads them intact', async () => {
    const files = Array.from({ length: 16 }, (_, i) => ({
      name: `file-${i}.bin`,
      data: randomBytes(i === 0 ? 0 : 1000 + i * 37_000),
    }))
    const up = (f: (typeof files)[number]) =>
      tusUpload(server, f.data, { sid: 'parallel', name: f.name, retention: '3600' }).promise
    // Like the web client: the bucket's first file alone (it answers the upload token).
    await up(files[0]!)
    await Promise.all(files.slice(1).map(up))
    const { items } = await listing(server, 'parallel')
    expect(items.map((i) => i.name).sort()).toEqual(files.map((f) => f.name).sort())
    for (const f of files) {
      const item = items.find((i) => i.name === f.name)!
      expect(item.size).toBe(f.data.length)
      const { status, body } = await download(server, item.url)
      expect(status).toBe(200)
      expect(sha256(body)).toBe(sha256(f.data))
    }
  })

  it('resumes an interrupted upload where the server says it stopped', async () => {
    const data = randomBytes(6 * 1024 * 1024)
    let aborted = false
    const first = new Promise<string>((resolve, reject) => {
      const upload: tus.Upload = new tus.Upload(data, {
        endpoint: server.url('/files/'),
        metadata: { sid: 'resume', name: 'big.bin', retention: '3600' },
        chunkSize: 512 * 1024,
        retryDelays: null,
        onProgress: (sent) => {
          if (!aborted && sent > 2 * 1024 * 1024) {
            aborted = true
            void upload.abort().then(() => resolve(upload.url as string), reject)
          }
        },
        onSuccess: () => reject(new Error('should have been interrupted')),
        onError: reject,
      })
      upload.start()
    })
    const uploadUrl = await first
    const head = await fetch(uploadUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
    const offset = Number(head.headers.get('upload-offset'))
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThan(data.length)
    let firstProgress = -1
    await tusUpload(
      server,
      data,
      {},
      {
        uploadUrl,
        onProgress: (sent) => {
          if (firstProgress < 0) firstProgress = sent
        },
      },
    ).promise
    expect(firstProgress).toBeGreaterThanOrEqual(offset)
    const { items } = await listing(server, 'resume')
    expect(sha256((await download(server, items[0]!.url)).body)).toBe(sha256(data))
  })

  it('terminates an unfinished upload', async () => {
    const data = randomBytes(1024 * 1024)
    const url = await new Promise<string>((resolve, reject) => {
      const upload: tus.Upload = new tus.Upload(data, {
        endpoint: server.url('/files/'),
        metadata: { sid: 'term', name: 'x.bin', retention: '3600' },
        chunkSize: 256 * 1024,
        onProgress: (sent) => {
          if (sent >= 256 * 1024) void upload.abort().then(() => resolve(upload.url as string), reject)
        },
        onError: reject,
      })
      upload.start()
    })
    await tus.Upload.terminate(url, { retryDelays: null } as tus.UploadOptions)
    const head = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })
    expect(head.status).toBe(404)
    expect(await listAll(server.store, { sid: 'term' as never })).toHaveLength(0)
  })

  it('protects a bucket: listing needs the password, files need the token', async () => {
    const data = randomBytes(100_000)
    await tusUpload(server, data, { sid: 'secret', name: 's.bin', retention: '3600', password: 'hunter2' })
      .promise
    expect((await fetch(server.url('/secret.json'))).status).toBe(401)
    const { items } = await listing(server, 'secret', { 'x-download-pass': 'hunter2' })
    expect((await download(server, items[0]!.url.replace(/\?.*/, ''))).status).toBe(401)
    const ok = await download(server, items[0]!.url)
    expect(ok.status).toBe(200)
    expect(sha256(ok.body)).toBe(sha256(data))
    const raw = JSON.stringify(await listAll(server.store, { sid: 'secret' as never }))
    expect(raw).not.toContain('hunter2')
  })

  it('lets exactly one of 10 parallel downloads of a one-time file succeed, then deletes it', async () => {
    const data = randomBytes(2 * 1024 * 1024)
    await tusUpload(server, data, { sid: 'once', name: 'o.bin', retention: 'one-time' }).promise
    const { items } = await listing(server, 'once')
    const results = await Promise.all(Array.from({ length: 10 }, () => download(server, items[0]!.url)))
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(results.filter((r) => r.status === 410 || r.status === 404)).toHaveLength(9)
    expect(sha256(ok[0]!.body)).toBe(sha256(data))
    const key = items[0]!.url.split('++')[1]!
    await waitFor(async () => (await listAll(server.store, { sid: 'once' as never })).length === 0)
    await waitFor(() => !existsSync(join(server.dir, 'once', key)))
  })

  it('lets a one-time file be fetched in full once with `Range: bytes=0-` (then 404/410 for GET)', async () => {
    const data = randomBytes(1024 * 1024)
    await tusUpload(server, data, { sid: 'once-range', name: 'o.bin', retention: 'one-time' }).promise
    const { items } = await listing(server, 'once-range')
    const url = items[0]!.url
    const head = await download(server, url, { headers: { Range: 'bytes=0-1023' } })
    expect(head.status).toBe(206)
    expect(head.body.equals(data.subarray(0, 1024))).toBe(true)
    const full = await download(server, url, { headers: { Range: 'bytes=0-' } })
    expect(full.status).toBe(206)
    expect(sha256(full.body)).toBe(sha256(data))
    for (const init of [{ headers: { Range: 'bytes=0-' } }, {}]) {
      expect([404, 410]).toContain((await download(server, url, init)).status)
    }
    const key = url.split('++')[1]!
    await waitFor(() => !existsSync(join(server.dir, 'once-range', key)))
  })

  it('streams zip and tar.gz archives that unpack to the same bytes', async () => {
    const files = [
      { name: 'a.bin', relativePath: '', data: randomBytes(300_000) },
      { name: 'a.bin', relativePath: '', data: randomBytes(10) },
      { name: 'deep.bin', relativePath: 'photos/2024', data: randomBytes(3 * 1024 * 1024 + 17) },
      { name: 'empty.txt', relativePath: '', data: Buffer.alloc(0) },
    ]
    for (const f of files) {
      await tusUpload(server, f.data, {
        sid: 'arch',
        name: f.name,
        retention: '3600',
        ...(f.relativePath ? { relativePath: f.relativePath } : {}),
      }).promise
    }
    const { zipUrl, tarGzUrl, items } = await listing(server, 'arch')
    const expected = new Map<string, string>()
    const names = items.map((i) => (i.relativePath ? `${i.relativePath}/${i.name}` : i.name))
    const seen = new Set<string>()
    for (const [idx, item] of items.entries()) {
      const f = files.find((x) => x.name === item.name && x.data.length === item.size)!
      let name = names[idx]!
      if (seen.has(name)) name = name.replace(/(\.[^.]*)$/, ' (2)$1')
      seen.add(name)
      expected.set(name, sha256(f.data))
    }
    const zip = await download(server, zipUrl)
    expect(zip.status).toBe(200)
    const zipEntries = readZip(zip.body)
    expect(new Map([...zipEntries].map(([k, v]) => [k, sha256(v)]))).toEqual(expected)
    const tgz = await download(server, tarGzUrl)
    expect(tgz.status).toBe(200)
    const tarEntries = readTarGz(tgz.body)
    expect(new Map([...tarEntries].map(([k, v]) => [k, sha256(v)]))).toEqual(expected)
  })

  it('serves Range requests from disk', async () => {
    const data = randomBytes(1_000_000)
    await tusUpload(server, data, { sid: 'range', name: 'r.bin', retention: '3600' }).promise
    const { items } = await listing(server, 'range')
    const part = await download(server, items[0]!.url, { headers: { Range: 'bytes=1000-199999' } })
    expect(part.status).toBe(206)
    expect(part.body.equals(data.subarray(1000, 200_000))).toBe(true)
    const tail = await download(server, items[0]!.url, { headers: { Range: 'bytes=-10' } })
    expect(tail.body.equals(data.subarray(data.length - 10))).toBe(true)
    expect((await download(server, items[0]!.url, { headers: { Range: 'bytes=1000000-' } })).status).toBe(416)
  })

  it('lets the admin list and delete', async () => {
    await tusUpload(server, randomBytes(10), { sid: 'adm', name: 'x', retention: '3600' }).promise
    const data = (await (
      await fetch(server.url('/api/admin/data.json'), { headers: { 'x-passwd': 'admin' } })
    ).json()) as {
      buckets: Array<{ sid: string }>
    }
    expect(data.buckets.some((b) => b.sid === 'adm')).toBe(true)
    const del = await fetch(server.url('/admin/buckets/adm'), {
      method: 'DELETE',
      headers: { 'x-passwd': 'admin' },
    })
    expect(del.status).toBe(204)
    expect((await fetch(server.url('/adm.json'))).status).toBe(404)
  })

  it('accepts curl -T uploads and answers with the share link', async () => {
    const dir = tempDir()
    try {
      const file = join(dir, 'from curl.txt')
      const data = randomBytes(200_000)
      writeFileSync(file, data)
      // Async: the server runs in this process, a blocking child would deadlock it.
      const { stdout: out } = await run('curl', ['-sS', '--fail', '-T', file, server.url('/')])
      // The share link, then the uploader's manage link.
      const [share, manage] = out.split('\n')
      expect(share).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/[A-Za-z0-9_-]+$`))
      expect(manage).toMatch(
        new RegExp(
          `^Manage \\(keep private\\): http://127\\.0\\.0\\.1:${server.port}/manage/[A-Za-z0-9_-]+#`,
        ),
      )
      const sid = share!.split('/').pop()!
      const { items } = await listing(server, sid)
      expect(items[0]!.name).toBe('from curl.txt')
      expect(sha256((await download(server, items[0]!.url)).body)).toBe(sha256(data))
      // From stdin (chunked, no Content-Length).
      const child = run('curl', ['-sS', '--fail', '-T', '-', server.url('/stdin.bin')])
      child.child.stdin?.end(data)
      const { stdout: piped } = await child
      const { items: items2 } = await listing(server, piped.split('\n')[0]!.split('/').pop()!)
      expect(items2[0]!.size).toBe(data.length)
    } finally {
      removeDir(dir)
    }
  })
})

describe('e2e under a sub-path (PSITRANSFER_BASE_URL=/psi, no trailing slash)', () => {
  it('uploads with tus-js-client to the tusEndpoint of config.json and downloads the file', async () => {
    const server = await startFsServer({ config: { baseUrl: '/psi' } })
    try {
      const config = (await (await fetch(server.url('/psi/config.json'))).json()) as { tusEndpoint: string }
      expect(config.tusEndpoint).toBe('/psi/files/')
      const data = randomBytes(600 * 1024)
      const { url } = await tusUpload(
        server,
        data,
        { sid: 'sub', name: 's.bin', retention: '3600' },
        { endpoint: server.url(config.tusEndpoint) },
      ).promise
      expect(new URL(url).pathname).toMatch(/^\/psi\/files\/sub\+\+/)
      const { items } = await (await fetch(server.url('/psi/sub.json'))).json()
      const file = await download(server, items[0].url)
      expect(file.status).toBe(200)
      expect(sha256(file.body)).toBe(sha256(data))
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })
})

describe('e2e: restart, expiry, webhooks', () => {
  it('resumes an upload after a server restart', async () => {
    const dir = tempDir()
    try {
      let server = await startFsServer({ dir })
      const data = randomBytes(3 * 1024 * 1024)
      const url = await new Promise<string>((resolve, reject) => {
        const upload: tus.Upload = new tus.Upload(data, {
          endpoint: server.url('/files/'),
          metadata: { sid: 'restart', name: 'r.bin', retention: '3600' },
          chunkSize: 512 * 1024,
          retryDelays: null,
          onProgress: (sent) => {
            if (sent >= 1024 * 1024) void upload.abort().then(() => resolve(upload.url as string), reject)
          },
          onError: reject,
        })
        upload.start()
      })
      await server.close()
      server = await startFsServer({ dir })
      const path = new URL(url).pathname
      await tusUpload(server, data, {}, { uploadUrl: server.url(path) }).promise
      const { items } = await listing(server, 'restart')
      expect(sha256((await download(server, items[0]!.url)).body)).toBe(sha256(data))
      await server.close()
    } finally {
      removeDir(dir)
    }
  })

  it('never serves expired files and the sweeper removes them from disk', async () => {
    const clock = new ManualClock(Date.now())
    const server = await startFsServer({ clock })
    try {
      await tusUpload(server, randomBytes(1000), { sid: 'exp', name: 'e.bin', retention: '3600' }).promise
      const { items } = await listing(server, 'exp')
      clock.advance(3600_000)
      expect((await fetch(server.url(items[0]!.url))).status).toBe(404)
      expect((await fetch(server.url('/exp.json'))).status).toBe(404)
      expect(await listAll(server.store, { sid: 'exp' as never })).toHaveLength(1)
      expect((await server.sweeper.runOnce()).deleted).toBe(1)
      expect(await listAll(server.store, { sid: 'exp' as never })).toHaveLength(0)
    } finally {
      await server.close()
      removeDir(server.dir)
    }
  })

  it('delivers upload and download webhooks to a local listener, retrying failures', async () => {
    const received: Array<Record<string, unknown>> = []
    let failFirst = true
    const hook = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (failFirst) {
          failFirst = false
          res.writeHead(503).end()
          return
        }
        received.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r))
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
    const server = await startFsServer({
      config: { fileUploadedWebhook: hookUrl, fileDownloadedWebhook: hookUrl },
    })
    try {
      await tusUpload(server, randomBytes(10), {
        sid: 'hooks',
        name: 'h.txt',
        retention: '3600',
        password: 'pw',
      }).promise
      await waitFor(() => received.length === 1)
      const { items } = await listing(server, 'hooks', { 'x-download-pass': 'pw' })
      await download(server, items[0]!.url)
      await waitFor(() => received.length === 2)
      expect(received[0]).toMatchObject({
        event: 'fileUploaded',
        metadata: { sid: 'hooks', name: 'h.txt', _password: true },
      })
      expect(received[1]).toMatchObject({ event: 'fileDownloaded', fid: 'hooks', file: { name: 'h.txt' } })
      expect(JSON.stringify(received)).not.toMatch(/"pw"|argon/)
    } finally {
      await server.close()
      removeDir(server.dir)
      hook.close()
    }
  })
})

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}
