/**
 * "Encrypt in the browser" end to end (issue #17 part 3, docs/encryption.md): a 200 MiB encrypted
 * upload interrupted by a reload resumes from the server's offset and downloads byte-exact through
 * the decrypting service worker; the server's disk holds no plaintext; a missing, malformed or wrong
 * key, a modified record and a file cut short (at a record boundary, inside a record, or by a
 * connection that breaks off) are reported plainly and never saved as complete; and the
 * encryption's upload throughput relative to a plain upload in the same browser is logged.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminFiles, settledOffset } from './api.js'
import { type Fixture, fixtureDir, png, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'
import { axe, serious } from './page-helpers.js'

const MiB = 1024 * 1024
const ADMIN = 'admin-for-e2e-encryption'
const MARKER = Buffer.from('PSI-PLAINTEXT-MARKER-7f3a9c')

/** Random data with MARKER at every MiB: any plaintext that reaches the disk would show it. */
function markedRandom(size: number): Buffer {
  const b = random(size)
  for (let at = 0; at + MARKER.length <= size; at += MiB) MARKER.copy(b, at)
  return b
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* walk(p)
    else yield p
  }
}

/** Whether any byte sequence of `needles` occurs in the file (read in overlapping 8 MiB windows). */
async function fileContains(path: string, needles: Buffer[]): Promise<boolean> {
  const overlap = Math.max(...needles.map((n) => n.length))
  let tail = Buffer.alloc(0)
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * MiB })) {
    const window = Buffer.concat([tail, chunk as Buffer])
    if (needles.some((n) => window.includes(n))) return true
    tail = window.subarray(Math.max(0, window.length - overlap))
  }
  return false
}

/**
 * An HTTP proxy in front of `target` that drops the connection after `keep` body bytes of the
 * responses `cut` selects (their Content-Length still announces the whole file): a transfer that
 * breaks off, which a route's fulfil cannot produce.
 */
async function cuttingProxy(target: string, cut: (url: URL) => boolean, keep: number) {
  const upstream = new URL(target)
  const cutAfter: number[] = []
  const proxy = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target)
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (from) => {
        res.writeHead(from.statusCode ?? 502, from.headers)
        if (!cut(url)) {
          from.pipe(res)
          return
        }
        let sent = 0
        from.on('data', (chunk: Buffer) => {
          if (sent >= keep) return
          const part = chunk.subarray(0, keep - sent)
          sent += part.length
          if (sent < keep) {
            res.write(part)
            return
          }
          cutAfter.push(sent)
          from.destroy()
          // Once the last kept bytes are on the wire: no end of body, just a closed connection.
          res.write(part, () => res.socket?.destroy())
        })
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`,
    cutAfter,
    close: () =>
      new Promise<void>((ok) => {
        proxy.closeAllConnections()
        proxy.close(() => ok())
      }),
  }
}

describe('end-to-end encryption in the browser', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let big: Fixture

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      // 4 MiB PATCHes: the offset advances in steps a reload can fall between.
      startServer({ PSITRANSFER_ADMIN_PASS: ADMIN, PSITRANSFER_CHUNK_SIZE: String(4 * MiB) }),
      launchBrowser(),
      fixtureDir(),
    ])
    big = await writeFixture(dir, 'secret-video.bin', markedRandom(200 * MiB))
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const files = () => adminFiles(server.url, ADMIN)
  const stableOffset = (sid: string) => settledOffset(server.url, ADMIN, (f) => f.sid === sid)

  /** Picks files, ticks "Encrypt in the browser" (unless plain), uploads, returns the share link. */
  async function uploadVia(page: Page, paths: string[], encrypt: boolean, shot?: string) {
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', paths)
    if (encrypt) await page.getByLabel('Encrypt in the browser').check()
    if (shot) {
      await screenshot(page, shot)
      expect(serious(await axe(page))).toEqual([])
    }
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    const link = page.locator('#share-link')
    await link.waitFor({ timeout: 120_000 })
    return link.inputValue()
  }

  it('resumes a 200 MiB encrypted upload after a reload, stores no plaintext, downloads byte-exact', async () => {
    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    const throttle = (bps: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bps,
      })
    await throttle(16 * MiB)

    await page.goto(server.url)
    await page.setInputFiles('#pick-files', big.path)
    await page.getByLabel('Encrypt in the browser').check()
    expect(serious(await axe(page))).toEqual([])
    await screenshot(page, 'e2e-upload-desktop')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()

    // The server sees a neutral name and the ciphertext's size, never the file's.
    await expect.poll(async () => (await files()).length, { timeout: 30_000 }).toBe(1)
    const [created] = await files()
    expect(created!.name).toBe('encrypted.bin')
    expect(created!.size).toBe(200 * MiB + 40 + 16 * 3200)
    const sid = created!.sid
    await expect
      .poll(async () => (await files())[0]?.offset ?? 0, { timeout: 60_000, interval: 200 })
      .toBeGreaterThan(24 * MiB)

    // The key stays in this browser's storage with the session, to resume with.
    const stored = await page.evaluate(() => localStorage.getItem('psitransfer.session'))
    expect(JSON.parse(stored ?? '{}').e2e?.key).toMatch(/^[A-Za-z0-9_-]{43}$/)

    await page.reload()
    await throttle(-1)
    await page.getByText('An unfinished upload from').waitFor()
    // The setting is kept (and fixed) for the resumed upload.
    expect(await page.getByLabel('Encrypt in the browser').isChecked()).toBe(true)
    const offset = await stableOffset(sid)
    expect(offset).toBeGreaterThan(24 * MiB)
    expect(offset).toBeLessThan(created!.size)

    const sent: Array<{ method: string; offset: string | null }> = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/files/'))
        sent.push({ method: r.method(), offset: r.headers()['upload-offset'] ?? null })
    })
    await page.setInputFiles('#pick-files', big.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    const link = page.locator('#share-link')
    await link.waitFor({ timeout: 120_000 })
    const shareUrl = await link.inputValue()
    // No new upload: the first ciphertext byte sent again is exactly the server's offset.
    expect(sent.filter((r) => r.method === 'POST')).toEqual([])
    const patches = sent.filter((r) => r.method === 'PATCH' && r.offset !== null).map((r) => Number(r.offset))
    expect(patches[0]).toBe(offset)
    expect(Math.min(...patches)).toBe(offset)
    expect(shareUrl).toMatch(new RegExp(`^${server.url}${sid}#k=[A-Za-z0-9_-]{43}$`))
    await expect.poll(() => page.locator('.done').textContent()).toContain('This link contains the key')
    // Finished: the key is gone from storage (only the link has it).
    expect(await page.evaluate(() => localStorage.getItem('psitransfer.session'))).toBeNull()
    expect(seen.errors).toEqual([])
    await context.close()

    // The disk holds ciphertext and neutral metadata: no marker, no file name.
    const needles = [MARKER, Buffer.from('secret-video')]
    const stored1: string[] = []
    for await (const p of walk(server.dataDir)) {
      stored1.push(p)
      expect(await fileContains(p, needles), p).toBe(false)
    }
    const sizes = await Promise.all(stored1.map(async (p) => (await stat(p)).size))
    expect(sizes).toContain(created!.size)

    // A fresh browser opens the link, shows the real name and saves the decrypted file.
    const other = await newContext(browser)
    await other.page.goto(shareUrl)
    await other.page.getByText('secret-video.bin').waitFor()
    await other.page.getByText('End-to-end encrypted').waitFor()
    expect(await other.page.getByRole('link', { name: 'Download all (ZIP)' }).isVisible()).toBe(false)
    const [download] = await Promise.all([
      other.page.waitForEvent('download', { timeout: 60_000 }),
      other.page.getByRole('button', { name: 'Download secret-video.bin' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('secret-video.bin')
    const saved = await download.path()
    expect(await download.failure()).toBeNull()
    expect((await stat(saved)).size).toBe(big.bytes.length)
    expect(await sha256File(saved)).toBe(sha256(big.bytes))
    expect(serious(await axe(other.page))).toEqual([])
    expect(other.seen.errors).toEqual([])
    await other.context.close()
  }, 300_000)

  it('says clearly when the key is missing, damaged or wrong, and shows decrypted previews', async () => {
    const note = await writeFixture(
      dir,
      'notes/hello.txt',
      Buffer.from('Hello from inside the encryption.\n'),
    )
    const image = await writeFixture(dir, 'photo.png', png(160, 100))
    const { context, page, seen } = await newContext(browser, { width: 360, height: 740 })
    const shareUrl = await uploadVia(page, [note.path, image.path], true, 'e2e-upload-mobile')
    await screenshot(page, 'e2e-done-mobile')
    expect(serious(await axe(page))).toEqual([])
    await context.close()

    const base = shareUrl.slice(0, shareUrl.indexOf('#'))
    const cases: Array<[string, string]> = [
      [base, 'the link has no key'],
      [`${base}#k=not-a-key`, 'The key in this link is damaged'],
      [`${base}#k=${randomBytes(32).toString('base64url')}`, 'does not open these files'],
    ]
    for (const [url, text] of cases) {
      const c = await newContext(browser)
      await c.page.goto(url)
      await c.page.getByTestId('e2e-error').filter({ hasText: text }).waitFor()
      expect(c.seen.errors, url).toEqual([])
      await c.context.close()
    }

    // Narrow screen: the bucket with its real names, and a text preview decrypted in memory.
    const narrow = await newContext(browser, { width: 360, height: 740 })
    await narrow.page.goto(shareUrl)
    await narrow.page.getByText('hello.txt').waitFor()
    await screenshot(narrow.page, 'e2e-download-mobile')
    expect(serious(await axe(narrow.page))).toEqual([])
    await narrow.page.getByRole('button', { name: 'Preview hello.txt' }).click()
    await expect
      .poll(() => narrow.page.getByTestId('text-preview').textContent())
      .toBe('Hello from inside the encryption.\n')
    await screenshot(narrow.page, 'e2e-preview-mobile')
    await narrow.page.keyboard.press('Escape')
    await narrow.page.getByRole('button', { name: 'Preview photo.png' }).click()
    await expect
      .poll(() => narrow.page.locator('dialog img').evaluate((i) => (i as HTMLImageElement).naturalWidth))
      .toBe(160)
    expect(narrow.seen.errors).toEqual([])
    expect(seen.errors).toEqual([])
    await narrow.context.close()
  })

  it('detects a record modified on the server when downloading', async () => {
    const data = await writeFixture(dir, 'tampered.bin', random(300 * 1024))
    const { context, page } = await newContext(browser)
    const shareUrl = await uploadVia(page, [data.path], true)
    await context.close()
    const sid = new URL(shareUrl).pathname.slice(1)
    const cipherSize = 300 * 1024 + 40 + 16 * 5
    let target = ''
    for await (const p of walk(join(server.dataDir, sid)))
      if ((await stat(p)).size === cipherSize && !p.endsWith('.json')) target = p
    expect(target).not.toBe('')
    // Flip one bit inside record 2 (of 5).
    const fh = await open(target, 'r+')
    const at = 40 + 2 * 65552 + 100
    const one = Buffer.alloc(1)
    await fh.read(one, 0, 1, at)
    one[0] = one[0]! ^ 1
    await fh.write(one, 0, 1, at)
    await fh.close()

    const c = await newContext(browser)
    await c.page.goto(shareUrl)
    await c.page.getByText('tampered.bin').waitFor()
    const [download] = await Promise.all([
      c.page.waitForEvent('download', { timeout: 30_000 }),
      c.page.getByRole('button', { name: 'Download tampered.bin' }).click(),
    ])
    await c.page.getByRole('alert').filter({ hasText: 'was modified or cut short' }).waitFor()
    // The browser's download fails instead of completing with unauthenticated bytes.
    expect(await download.failure()).not.toBeNull()
    await screenshot(c.page, 'e2e-tampered-desktop')
    expect(c.seen.errors.filter((e) => !/Failed to load resource|modified/.test(e))).toEqual([])
    await c.context.close()
    expect((await readFile(data.path)).length).toBe(300 * 1024)
  })

  it('detects a file the server cuts short when downloading, and never completes the save', async () => {
    const data = await writeFixture(dir, 'truncated.bin', random(300 * 1024))
    const { context, page } = await newContext(browser)
    const shareUrl = await uploadVia(page, [data.path], true)
    await context.close()
    // 40-byte header, 4 full sealed records of 65552 bytes, a last one of 45056 + 16.
    const cipherSize = 300 * 1024 + 40 + 16 * 5
    const recordAt = (i: number) => 40 + i * 65552
    const cases: Array<{ what: string; keep: number; honestLength: boolean }> = [
      { what: 'the whole last record missing', keep: recordAt(4), honestLength: true },
      { what: 'cut inside record 2', keep: recordAt(2) + 1000, honestLength: true },
      // Content-Length still announces the whole file; Chromium hands the fulfilled body over as
      // one that ends early (a real broken connection is the proxy test below).
      { what: 'fewer bytes than Content-Length', keep: recordAt(3) + 5000, honestLength: false },
    ]
    for (const { what, keep, honestLength } of cases) {
      const c = await newContext(browser)
      // The service worker fetches the ciphertext (inline=1): context routes see its requests, page routes do not.
      const served: number[] = []
      await c.context.route(
        (u) => u.pathname.startsWith('/files/') && u.searchParams.get('inline') === '1',
        async (route) => {
          const real = await route.fetch()
          const full = await real.body()
          expect(full.length, what).toBe(cipherSize)
          const body = full.subarray(0, keep)
          served.push(body.length)
          const headers = real.headers()
          if (honestLength) headers['content-length'] = String(body.length)
          await route.fulfill({ status: 200, headers, body })
        },
      )
      await c.page.goto(shareUrl)
      await c.page.getByText('truncated.bin').waitFor()
      const [download] = await Promise.all([
        c.page.waitForEvent('download', { timeout: 30_000 }),
        c.page.getByRole('button', { name: 'Download truncated.bin' }).click(),
      ])
      const item = c.page.getByRole('listitem').filter({ hasText: 'truncated.bin' })
      await item.getByRole('alert').filter({ hasText: 'was modified or cut short' }).waitFor()
      expect(served, what).toEqual([keep])
      // The browser's download fails instead of completing with part of the file, and the item
      // shows only the failure (no "Decrypting…" left behind).
      expect(await download.failure(), what).not.toBeNull()
      expect(await item.getByText('Decrypting').count(), what).toBe(0)
      if (what.startsWith('the whole')) await screenshot(c.page, 'e2e-truncated-desktop')
      expect(
        c.seen.errors.filter((e) => !/Failed to load resource|cut short|truncated/.test(e)),
        what,
      ).toEqual([])
      await c.context.close()
    }
  })

  it('a download whose connection breaks off mid-file fails plainly instead of saving part of it', async () => {
    const data = await writeFixture(dir, 'interrupted.bin', random(300 * 1024))
    const { context, page } = await newContext(browser)
    const shareUrl = await uploadVia(page, [data.path], true)
    await context.close()
    const keep = 40 + 3 * 65552 + 5000
    const proxy = await cuttingProxy(
      server.url,
      (u) => u.pathname.startsWith('/files/') && u.searchParams.get('inline') === '1',
      keep,
    )
    try {
      const c = await newContext(browser)
      await c.page.goto(shareUrl.replace(server.url, proxy.url))
      await c.page.getByText('interrupted.bin').waitFor()
      const [download] = await Promise.all([
        c.page.waitForEvent('download', { timeout: 30_000 }),
        c.page.getByRole('button', { name: 'Download interrupted.bin' }).click(),
      ])
      const item = c.page.getByRole('listitem').filter({ hasText: 'interrupted.bin' })
      // The fetch itself fails (a broken connection, not a body that ends early), so the page says
      // what the user can do about it (check the connection, retry) rather than blaming the server.
      await item.getByRole('alert').filter({ hasText: 'The server cannot be reached' }).waitFor()
      expect(proxy.cutAfter).toEqual([keep])
      expect(await download.failure()).not.toBeNull()
      expect(await item.getByText('Decrypting').count()).toBe(0)
      expect(c.seen.errors.filter((e) => !/Failed to load resource|network/i.test(e))).toEqual([])
      await c.context.close()
    } finally {
      await proxy.close()
    }
  })

  it('measures the upload throughput of encryption against a plain upload in the same browser', async () => {
    const size = 96 * MiB
    const file = await writeFixture(dir, 'throughput.bin', random(size))
    const timeUpload = async (encrypt: boolean) => {
      const { context, page } = await newContext(browser)
      await page.goto(server.url)
      await page.setInputFiles('#pick-files', file.path)
      if (encrypt) await page.getByLabel('Encrypt in the browser').check()
      const started = Date.now()
      await page.getByRole('button', { name: 'Upload', exact: true }).click()
      await page.locator('#share-link').waitFor({ timeout: 120_000 })
      const seconds = (Date.now() - started) / 1000
      await context.close()
      return size / MiB / seconds
    }
    // Plain first, then encrypted, then plain again: the mean of the plain runs evens out warm-up.
    const plainA = await timeUpload(false)
    const encrypted = await timeUpload(true)
    const plainB = await timeUpload(false)
    const plain = (plainA + plainB) / 2
    const ratio = encrypted / plain
    console.log(
      `[e2e throughput] ${size / MiB} MiB: plain ${plain.toFixed(1)} MiB/s (${plainA.toFixed(1)}, ${plainB.toFixed(1)}), encrypted ${encrypted.toFixed(1)} MiB/s, ratio ${(ratio * 100).toFixed(0)} %`,
    )
    expect(encrypted).toBeGreaterThan(0)
  }, 300_000)
})
