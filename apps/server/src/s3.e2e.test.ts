/**
 * End to end on the S3 store, wired as main.ts wires it (registry + the store's S3Locker),
 * against a real S3-compatible server: a local Ceph RADOS Gateway started (and installed when
 * missing) by scripts/s3/rgw.sh, or the server named by PSI_S3_* variables.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Store } from '@psitransfer/core'
import { systemClock } from '@psitransfer/core'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from './server.js'
import { lockerFor, registryFor } from './stores.js'
import { readZip } from './test-support/archives.js'
import { BucketTokens, sha256, testConfig } from './test-support/harness.js'
import { firstDownloadNotice } from './test-support/notice.js'
import { limitedDownloads, manageLink, putManageLink, unlimitedCounts } from './test-support/sharing.js'
import { type SmtpSink, startSmtpSink } from './test-support/smtp-sink.js'

const run = promisify(execFile)
const RGW = fileURLToPath(new URL('../../../scripts/s3/rgw.sh', import.meta.url))

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1] as string] = m[2] as string
  }
  return out
}

describe('e2e on the S3 store', () => {
  let server: RunningServer
  let store: Store
  let release = async () => {}
  // A real SMTP server: the first-download notice goes through it.
  let sink: SmtpSink
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`

  beforeAll(async () => {
    let env: Record<string, string>
    if (process.env.PSI_S3_BUCKET) {
      env = process.env as Record<string, string>
    } else {
      const lease = { ...process.env, PSI_RGW_LEASE: String(process.pid) }
      const { stdout } = await run(RGW, ['start'], { env: lease, timeout: 15 * 60_000, maxBuffer: 1 << 20 })
      env = parseEnv(stdout)
      // The script stops the gateway only if it started it for a lease and no other run holds one.
      release = async () => {
        await run(RGW, ['release'], { env: lease, timeout: 120_000 }).catch(() => {})
      }
    }
    sink = await startSmtpSink()
    const config = testConfig({
      port: 0,
      iface: '127.0.0.1',
      adminPass: 'admin',
      smtpUrl: sink.url,
      mailFrom: 'files@example.com',
      storage: {
        type: 's3',
        bucket: env.PSI_S3_BUCKET,
        region: env.PSI_S3_REGION ?? 'us-east-1',
        ...(env.PSI_S3_ENDPOINT ? { endpoint: env.PSI_S3_ENDPOINT, forcePathStyle: true } : {}),
        ...(env.PSI_S3_ACCESS_KEY
          ? { credentials: { accessKeyId: env.PSI_S3_ACCESS_KEY, secretAccessKey: env.PSI_S3_SECRET_KEY } }
          : {}),
        prefix: `psi-server-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`,
        partSize: 5 * 1024 * 1024,
      },
    })
    store = await (await registryFor('s3')).create(config.storage, {})
    await store.init()
    const locker = await lockerFor('s3', store)
    expect(locker.constructor.name).toBe('S3Locker')
    server = await startServer({
      config,
      store,
      locker,
      clock: systemClock,
      authFailDelayMs: 0,
      webRoot: null,
    })
  }, 16 * 60_000)

  afterAll(async () => {
    await server?.close()
    await sink?.close()
    await release()
  }, 180_000)

  const tokens = new BucketTokens()
  function upload(data: Buffer, metadata: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      const u = new tus.Upload(data, {
        endpoint: url('/files/'),
        metadata,
        chunkSize: 3 * 1024 * 1024,
        retryDelays: [0, 200],
        // As the bucket's uploader: later files of a bucket send the token its first one got.
        ...(metadata.sid ? tokens.tusOptions(metadata.sid) : {}),
        onSuccess: () => resolve(),
        onError: reject,
      })
      u.start()
    })
  }

  async function listing(sid: string) {
    return (await (await fetch(url(`/${sid}.json`))).json()) as {
      items: Array<{ name: string; url: string; size: number }>
      zipUrl: string
    }
  }

  it('uploads in chunks smaller than a part, redirects downloads to presigned URLs, streams previews', async () => {
    const big = randomBytes(12 * 1024 * 1024 + 123)
    const small = randomBytes(1000)
    await upload(big, { sid: 's3bucket', name: 'big.bin', retention: '3600' })
    await upload(small, { sid: 's3bucket', name: 'small.txt', retention: '3600', type: 'text/plain' })
    const { items, zipUrl } = await listing('s3bucket')
    const bigItem = items.find((i) => i.name === 'big.bin')!
    const redirect = await fetch(url(bigItem.url), { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    const presigned = redirect.headers.get('location')!
    expect(presigned).toMatch(/X-Amz-Signature=/)
    const direct = await fetch(presigned)
    expect(direct.status).toBe(200)
    expect(sha256(Buffer.from(await direct.arrayBuffer()))).toBe(sha256(big))
    const smallItem = items.find((i) => i.name === 'small.txt')!
    const preview = await fetch(url(`${smallItem.url}?inline=1`))
    expect(preview.status).toBe(200)
    expect(Buffer.from(await preview.arrayBuffer()).equals(small)).toBe(true)
    const ranged = await fetch(url(`${smallItem.url}?inline=1`), { headers: { Range: 'bytes=10-19' } })
    expect(ranged.status).toBe(206)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(small.subarray(10, 20))).toBe(true)
    const zip = readZip(Buffer.from(await (await fetch(url(zipUrl))).arrayBuffer()))
    expect(sha256(zip.get('big.bin')!)).toBe(sha256(big))
    expect(sha256(zip.get('small.txt')!)).toBe(sha256(small))
  })

  it('presigned downloads never hand a browser active content: types that are not inline-safe become octet-stream', async () => {
    const page = Buffer.from('<html><script>alert(document.domain)</script></html>')
    // The uploader declares the type: an "svg" sent as text/html, a real svg, a png, a text file.
    const cases = [
      { name: 'pic.svg', type: 'text/html', expected: 'application/octet-stream' },
      { name: 'draw.svg', type: 'image/svg+xml', expected: 'application/octet-stream' },
      { name: 'x.png', type: 'image/png', expected: 'image/png' },
      { name: 'n.txt', type: 'text/plain', expected: 'text/plain; charset=utf-8' },
    ]
    for (const c of cases)
      await upload(page, { sid: 's3types', name: c.name, retention: '3600', type: c.type })
    const { items } = await listing('s3types')
    for (const c of cases) {
      const item = items.find((i) => i.name === c.name)!
      const redirect = await fetch(url(item.url), { redirect: 'manual' })
      expect(redirect.status, c.name).toBe(302)
      // What S3 itself sends for the presigned URL.
      const direct = await fetch(redirect.headers.get('location')!)
      expect(direct.status, c.name).toBe(200)
      expect(direct.headers.get('content-type'), c.name).toBe(c.expected)
      expect(direct.headers.get('content-disposition'), c.name).toMatch(
        new RegExp(`^attachment; filename="${c.name.replace('.', '\\.')}"`),
      )
      expect(Buffer.from(await direct.arrayBuffer()).equals(page), c.name).toBe(true)
    }
  })

  it('serves a one-time file exactly once across parallel requests', async () => {
    const data = randomBytes(200_000)
    await upload(data, { sid: 's3once', name: 'o.bin', retention: 'one-time' })
    const { items } = await listing('s3once')
    const results = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await fetch(url(items[0]!.url))
        return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
      }),
    )
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(1)
    expect(sha256(ok[0]!.body)).toBe(sha256(data))
  })

  it(
    'limits downloads: 3 of 20 parallel requests, a resume counts once',
    () => limitedDownloads(() => url('')),
    60_000,
  )

  it(
    'counts each of 20 parallel (presigned) downloads and 4 archives of an unlimited file',
    () => unlimitedCounts(() => url('')),
    60_000,
  )

  it('manages a bucket through its manage link, and curl PUT answers with one', async () => {
    await manageLink(() => url(''), { maxAge: 75 * 24 * 3600 })
    await putManageLink(() => url(''))
  }, 60_000)

  it(
    'mails the uploader once on the first of 10 parallel (presigned) downloads, address kept private',
    () => firstDownloadNotice(() => url(''), sink, { adminPass: 'admin' }),
    60_000,
  )

  it('reports health and lets the admin delete', async () => {
    expect((await fetch(url('/healthz'))).status).toBe(200)
    const del = await fetch(url('/admin/buckets/s3bucket'), {
      method: 'DELETE',
      headers: { 'x-passwd': 'admin' },
    })
    expect(del.status).toBe(204)
    expect((await fetch(url('/s3bucket.json'))).status).toBe(404)
  })
})
