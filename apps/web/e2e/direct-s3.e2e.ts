/**
 * Direct-to-S3 uploads in Chromium against the local Ceph RGW (scripts/s3/rgw.sh, or PSI_S3_*):
 * a large file goes part by part straight to the bucket, survives a reload (only the parts S3
 * lacks are sent again), and when the bucket's CORS refuses the page the file goes through TUS.
 */
import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminBuckets } from './api.js'
import { type Fixture, fixtureDir, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, startServer, WEB_ROOT } from './harness.js'

const MiB = 1024 * 1024
const ADMIN = 'admin-for-direct'
const run = promisify(execFile)
const RGW = resolve(WEB_ROOT, '../../scripts/s3/rgw.sh')

// The SDK is a dependency of the S3 store, not of the web app: borrowed from there for CORS.
const sdk = createRequire(resolve(WEB_ROOT, '../../packages/store-s3/package.json'))(
  '@aws-sdk/client-s3',
) as S3Sdk

/** The few SDK classes used here (the web app has no types for it). */
interface S3Sdk {
  S3Client: new (config: object) => { send(command: unknown): Promise<unknown>; destroy(): void }
  PutBucketCorsCommand: new (input: object) => unknown
  DeleteBucketCorsCommand: new (input: object) => unknown
}

interface S3Env {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

async function s3Env(): Promise<S3Env> {
  let vars: Record<string, string | undefined> = process.env
  if (!process.env.PSI_S3_BUCKET) {
    const { stdout } = await run(RGW, ['start'], { timeout: 15 * 60_000, maxBuffer: 1 << 20 })
    vars = {}
    for (const line of stdout.split('\n')) {
      const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim())
      if (m) vars[m[1] as string] = m[2]
    }
  }
  const need = (k: string) => {
    const v = vars[k]
    if (!v) throw new Error(`${k} is not set`)
    return v
  }
  return {
    endpoint: need('PSI_S3_ENDPOINT'),
    bucket: need('PSI_S3_BUCKET'),
    region: vars.PSI_S3_REGION ?? 'us-east-1',
    accessKeyId: need('PSI_S3_ACCESS_KEY'),
    secretAccessKey: need('PSI_S3_SECRET_KEY'),
  }
}

describe('direct-to-S3 uploads in the browser', () => {
  let s3: S3Env
  let client: InstanceType<typeof sdk.S3Client>
  let server: RunningServer
  let browser: Browser
  let dir: string
  let big: Fixture

  /** The bucket's CORS rule (the one packages/store-s3/README.md documents), for `origin`. */
  const allowOrigin = (origin: string) =>
    client.send(
      new sdk.PutBucketCorsCommand({
        Bucket: s3.bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [origin],
              AllowedMethods: ['PUT'],
              AllowedHeaders: ['content-type'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: 3600,
            },
          ],
        },
      }),
    )

  beforeAll(async () => {
    s3 = await s3Env()
    client = new sdk.S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    ;[server, browser, dir] = await Promise.all([
      startServer({
        PSITRANSFER_ADMIN_PASS: ADMIN,
        PSITRANSFER_STORAGE_TYPE: 's3',
        PSITRANSFER_STORAGE_BUCKET: s3.bucket,
        PSITRANSFER_STORAGE_REGION: s3.region,
        PSITRANSFER_STORAGE_ENDPOINT: s3.endpoint,
        PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'true',
        PSITRANSFER_STORAGE_ACCESS_KEY_ID: s3.accessKeyId,
        PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: s3.secretAccessKey,
        PSITRANSFER_STORAGE_PREFIX: `psi-web-direct-${Date.now().toString(36)}/`,
        PSITRANSFER_STORAGE_PART_SIZE: String(5 * MiB),
        PSITRANSFER_STORAGE_DIRECT_UPLOAD: 'true',
        PSITRANSFER_DIRECT_UPLOAD_MIN_SIZE: String(8 * MiB),
      }),
      launchBrowser(),
      fixtureDir(),
    ])
    big = await writeFixture(dir, 'direct.bin', random(40 * MiB + 123))
  }, 16 * 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await client?.send(new sdk.DeleteBucketCorsCommand({ Bucket: s3?.bucket })).catch(() => {})
    client?.destroy()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const serverFile = async (name: string) => {
    const buckets = await adminBuckets(server.url, ADMIN)
    return buckets.flatMap((b) => b.files.map((f) => ({ ...f, sid: b.sid }))).find((f) => f.name === name)
  }

  const download = async (sid: string) => {
    const bucket = (await (await fetch(new URL(`${sid}.json`, server.url))).json()) as {
      items: Array<{ url: string }>
    }
    // The server redirects to a presigned URL of the object (fetch follows it).
    return Buffer.from(await (await fetch(new URL(bucket.items[0]!.url, server.url))).arrayBuffer())
  }

  it('sends the parts straight to S3 and, after a reload, only the ones S3 lacks', async () => {
    await allowOrigin(new URL(server.url).origin)
    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    // ~6 MiB/s upstream: slow enough to reload in the middle.
    const throttle = (bps: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bps,
      })
    await throttle(6 * MiB)
    const sent: Array<{ method: string; url: URL }> = []
    page.on('request', (r) => sent.push({ method: r.method(), url: new URL(r.url()) }))
    const s3Host = new URL(s3.endpoint).host
    const partPuts = () =>
      sent
        .filter((r) => r.method === 'PUT' && r.url.host === s3Host)
        .map((r) => Number(r.url.searchParams.get('partNumber')))

    await page.goto(server.url)
    await page.setInputFiles('#pick-files', big.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await expect
      .poll(async () => (await serverFile('direct.bin'))?.offset ?? 0, { timeout: 60_000, interval: 250 })
      .toBeGreaterThanOrEqual(10 * MiB)
    const before = partPuts()
    expect(before.length).toBeGreaterThanOrEqual(2)

    await page.reload()
    await throttle(-1)
    await page.getByText('An unfinished upload from').waitFor()
    // What S3 holds now (parts in flight at the reload were cut off).
    await page.waitForTimeout(500)
    const held = (await serverFile('direct.bin'))?.offset ?? 0
    sent.length = 0
    await page.setInputFiles('#pick-files', big.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 60_000 })

    const after = partPuts()
    const partCount = Math.ceil(big.bytes.length / (5 * MiB))
    // Only the missing parts went again, no new upload was created, and no byte went through TUS.
    expect(after.length).toBeLessThan(partCount)
    expect(Math.min(...after)).toBeGreaterThan(Math.floor(held / (5 * MiB)))
    expect(sent.filter((r) => r.method === 'POST' && r.url.pathname === '/api/direct/')).toEqual([])
    // (The lock PATCH `files/{sid}?lock=yes` is no upload.)
    expect(sent.filter((r) => r.url.pathname.includes('++') && r.method === 'PATCH')).toEqual([])

    const file = await serverFile('direct.bin')
    expect(file).toMatchObject({ complete: true, size: big.bytes.length })
    expect((await download(file!.sid)).equals(big.bytes)).toBe(true)
    expect(seen.errors.filter((e) => !/Failed to load resource|ERR_ABORTED/.test(e))).toEqual([])
    await context.close()
  })

  it('falls back to TUS when the bucket CORS refuses the page', async () => {
    await allowOrigin('https://somewhere-else.example')
    const { context, page } = await newContext(browser)
    const file = await writeFixture(dir, 'refused.bin', random(12 * MiB))
    const sent: Array<{ method: string; url: URL }> = []
    page.on('request', (r) => sent.push({ method: r.method(), url: new URL(r.url()) }))
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', file.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 60_000 })
    // It tried S3 first, then sent the bytes through the server.
    expect(sent.some((r) => r.method === 'POST' && r.url.pathname === '/api/direct/')).toBe(true)
    expect(sent.some((r) => r.method === 'PATCH' && r.url.pathname.startsWith('/files/'))).toBe(true)
    const done = await serverFile('refused.bin')
    expect(done).toMatchObject({ complete: true, size: file.bytes.length })
    expect((await download(done!.sid)).equals(file.bytes)).toBe(true)
    await context.close()
  })
})
