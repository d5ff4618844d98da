#!/usr/bin/env node
// The shared bench's `raw-sink` peer (bare node:http, minimal TUS core) with FileStore doing
// the storage, so `run-suite.mjs --server-cmd` measures the store's cost over real HTTP against
// raw-sink itself. Not a server: no auth, no TUS machine, no validation beyond the store's.
//   PORT (1091), HOST (127.0.0.1), SINK_DIR (/tmp/bench-data/store-fs), FSYNC (on-complete)
// Run: node ../../shared/bench/run-suite.mjs --server-cmd "node bench/http-sink.mjs" \
//        --endpoint http://127.0.0.1:1091/files/ --data-dir /tmp/bench-data/store-fs
import http from 'node:http'
import { pipeline } from 'node:stream/promises'
import { formatFileRef, isPsiError, newBucketId, newFileId, parseFileRef } from '@psitransfer/core'
import { FileStore } from '../dist/index.js'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 1091)
const dir = process.env.SINK_DIR || '/tmp/bench-data/store-fs'
const store = new FileStore({ uploadDir: dir, fsync: process.env.FSYNC || 'on-complete' })
await store.init()
const TUS = { 'Tus-Resumable': '1.0.0' }

function send(res, status, headers = {}, body = '') {
  res.writeHead(status, { ...TUS, ...headers, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  const m = /^\/files\/([^/]*)$/.exec(url.pathname)
  try {
    if (!m) return send(res, 404, {}, 'not found')
    if (req.method === 'POST' && m[1] === '') {
      const size = Number(req.headers['upload-length'])
      if (!Number.isSafeInteger(size) || size < 0) return send(res, 400, {}, 'bad Upload-Length')
      const now = Date.now()
      const meta = await store.create({
        sid: newBucketId(),
        key: newFileId(),
        name: 'upload.bin',
        relativePath: '',
        comment: '',
        type: 'application/octet-stream',
        retention: 3600,
        uploadLength: size,
        createdAt: now,
        expiresAt: now + 3_600_000,
        bucketLocked: false,
        extra: {},
      })
      req.resume()
      await new Promise((r) => req.on('end', r))
      return send(res, 201, { Location: `http://${req.headers.host}/files/${formatFileRef(meta)}` })
    }
    const ref = parseFileRef(decodeURIComponent(m[1]))
    if (req.method === 'HEAD') {
      const info = await store.info(ref)
      res.writeHead(200, {
        ...TUS,
        'Upload-Offset': info.offset,
        'Upload-Length': info.uploadLength,
        'Cache-Control': 'no-store',
      })
      return res.end()
    }
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/offset+octet-stream') {
        req.resume()
        return send(res, 415, {}, 'bad content-type')
      }
      const offset = await store.append(ref, req, Number(req.headers['upload-offset']))
      const info = await store.info(ref)
      if (info.uploadLength === offset) await store.complete(ref)
      return send(res, 204, { 'Upload-Offset': offset })
    }
    if (req.method === 'GET') {
      const info = await store.info(ref)
      res.writeHead(200, { 'Content-Length': info.offset, 'Content-Type': 'application/octet-stream' })
      return void pipeline(await store.read(ref), res).catch(() => {})
    }
    if (req.method === 'DELETE') {
      await store.delete(ref)
      return send(res, 204)
    }
    req.resume()
    return send(res, 405, {}, 'method not allowed')
  } catch (e) {
    req.resume()
    const status = isPsiError(e) ? e.status : 500
    if (!res.headersSent) send(res, status, {}, isPsiError(e) ? e.message : 'internal error')
    else res.destroy()
  }
})
server.listen(port, host, () => {
  const info = {
    ready: true,
    peer: 'store-fs',
    pid: process.pid,
    endpoint: `http://${host}:${port}/files/`,
    dir,
  }
  process.stdout.write(`${JSON.stringify({ ...info, fsync: store.fsync, node: process.version })}\n`)
})
const stop = () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
