import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminFiles, settledOffset } from './api.js'
import { type Fixture, fixtureDir, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'

const MiB = 1024 * 1024
const ADMIN = 'admin-for-resume'

describe('reload in the middle of a large upload', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let big: Fixture
  let small: Fixture

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      // 1 MiB PATCHes so the server's offset advances in visible steps.
      startServer({ PSITRANSFER_ADMIN_PASS: ADMIN, PSITRANSFER_CHUNK_SIZE: String(MiB) }),
      launchBrowser(),
      fixtureDir(),
    ])
    big = await writeFixture(dir, 'video.bin', random(50 * MiB))
    small = await writeFixture(dir, 'small.txt', Buffer.from('done before the reload\n'))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const serverFile = async (name: string) =>
    (await adminFiles(server.url, ADMIN)).find((f) => f.name === name)
  const stableOffset = (name: string) => settledOffset(server.url, ADMIN, (f) => f.name === name)

  it('retries a failed request with backoff and finishes without user action', async () => {
    const { context, page, seen } = await newContext(browser)
    const file = await writeFixture(dir, 'flaky.bin', random(3 * MiB))
    // The server "fails" the second PATCH once with 503: the client must retry from the server's offset.
    let patches = 0
    await page.route('**/files/**', async (route) => {
      if (
        route.request().method() === 'PATCH' &&
        !route.request().url().includes('lock=yes') &&
        ++patches === 2
      ) {
        await route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: '{"code":"STORE_UNAVAILABLE","message":"try later"}',
        })
        return
      }
      await route.continue()
    })
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', file.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 30_000 })
    expect(patches).toBeGreaterThan(3)
    const done = await serverFile('flaky.bin')
    expect(done).toMatchObject({ complete: true, size: file.bytes.length })
    const bucket = (await (await fetch(new URL(`${done!.sid}.json`, server.url))).json()) as {
      items: Array<{ url: string }>
    }
    const bytes = Buffer.from(await (await fetch(new URL(bucket.items[0]!.url, server.url))).arrayBuffer())
    expect(bytes.equals(file.bytes)).toBe(true)
    expect(seen.errors.filter((e) => !/503/.test(e))).toEqual([])
    await context.close()
  })

  it('waits while the browser is offline and finishes by itself when it is back', async () => {
    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    const network = (offline: boolean) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: offline ? 0 : 4 * MiB,
      })
    await network(false)
    const file = await writeFixture(dir, 'offline.bin', random(30 * MiB))
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', file.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await expect
      .poll(async () => (await serverFile('offline.bin'))?.offset ?? 0, { timeout: 30_000, interval: 250 })
      .toBeGreaterThan(5 * MiB)

    await network(true)
    await page.getByText('You are offline.').waitFor()
    await page.getByText('Offline: continues when the connection is back').waitFor()
    const before = await stableOffset('offline.bin')
    expect(before).toBeLessThan(file.bytes.length)
    await screenshot(page, 'upload-offline-desktop')

    await network(false)
    await page.locator('#share-link').waitFor({ timeout: 60_000 })
    const done = await serverFile('offline.bin')
    expect(done).toMatchObject({ complete: true, size: file.bytes.length })
    const bucket = (await (await fetch(new URL(`${done!.sid}.json`, server.url))).json()) as {
      items: Array<{ url: string }>
    }
    const bytes = Buffer.from(await (await fetch(new URL(bucket.items[0]!.url, server.url))).arrayBuffer())
    expect(bytes.equals(file.bytes)).toBe(true)
    // The browser logs the failed requests while offline; nothing else may go wrong.
    expect(seen.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e))).toEqual(
      [],
    )
    await context.close()
  })

  it('continues from the server offset after the same file is added again', async () => {
    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    // ~4 MiB/s upstream: the 50 MiB file takes long enough to reload in the middle.
    const throttle = (bps: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bps,
      })
    await throttle(4 * MiB)

    await page.goto(server.url)
    await page.setInputFiles('#pick-files', [small.path, big.path])
    await page.getByRole('button', { name: 'Upload', exact: true }).click()

    // Wait until the server holds a good part of the big file (and all of the small one).
    await expect
      .poll(async () => (await serverFile('video.bin'))?.offset ?? 0, { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(10 * MiB)
    await expect.poll(async () => (await serverFile('small.txt'))?.complete, { timeout: 10_000 }).toBe(true)
    await screenshot(page, 'upload-progress-desktop')

    // Pause stops the transfer (the server offset stands still), resume continues it.
    await page.getByRole('button', { name: 'Pause', exact: true }).click()
    await page.getByText('Paused').waitFor()
    const paused = await stableOffset('video.bin')
    await page.waitForTimeout(1000)
    expect((await serverFile('video.bin'))?.offset).toBe(paused)
    await page.getByRole('button', { name: 'Resume', exact: true }).click()
    await expect
      .poll(async () => (await serverFile('video.bin'))?.offset ?? 0, { timeout: 20_000, interval: 250 })
      .toBeGreaterThan(paused + 2 * MiB)

    await page.reload()
    await throttle(-1)
    await page.getByText('An unfinished upload from').waitFor()
    expect(await page.locator('.file-done, .file.file-done').count()).toBe(1)
    expect(await page.getByText('Add this file again to continue').count()).toBe(1)
    expect(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled()).toBe(true)
    await screenshot(page, 'upload-resume-desktop')

    // The interrupted PATCH is gone; the offset the server keeps is what a resume must start from.
    const offset = await stableOffset('video.bin')
    expect(offset).toBeGreaterThan(10 * MiB)
    expect(offset).toBeLessThan(big.bytes.length)

    const sent: Array<{ method: string; offset: string | null }> = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/files/'))
        sent.push({ method: r.method(), offset: r.headers()['upload-offset'] ?? null })
    })
    await page.setInputFiles('#pick-files', big.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 60_000 })

    // No new upload was created; the first byte sent again is the server's offset, never earlier.
    expect(sent.filter((r) => r.method === 'POST')).toEqual([])
    const patches = sent.filter((r) => r.method === 'PATCH' && r.offset !== null).map((r) => Number(r.offset))
    expect(patches[0]).toBe(offset)
    expect(Math.min(...patches)).toBe(offset)

    const file = await serverFile('video.bin')
    expect(file).toMatchObject({ complete: true, size: big.bytes.length })
    const bucket = (await (await fetch(new URL(`${file!.sid}.json`, server.url))).json()) as {
      items: Array<{ name: string; url: string }>
    }
    expect(bucket.items.map((i) => i.name).sort()).toEqual(['small.txt', 'video.bin'])
    const bytes = Buffer.from(
      await (
        await fetch(new URL(bucket.items.find((i) => i.name === 'video.bin')!.url, server.url))
      ).arrayBuffer(),
    )
    expect(bytes.equals(big.bytes)).toBe(true)
    expect(seen.errors).toEqual([])
    await context.close()
  })

  it('"Start over" after a reload forgets the unfinished upload and ends it on the server', async () => {
    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 4 * MiB,
    })
    const file = await writeFixture(dir, 'abandoned.bin', random(30 * MiB))
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', file.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await expect
      .poll(async () => (await serverFile('abandoned.bin'))?.offset ?? 0, { timeout: 30_000, interval: 250 })
      .toBeGreaterThan(2 * MiB)
    await page.reload()
    await page.getByRole('button', { name: 'Start over' }).click()
    await page.getByText('No files selected yet.').waitFor()
    await expect.poll(async () => await serverFile('abandoned.bin'), { timeout: 10_000 }).toBeUndefined()
    expect(
      await page.evaluate(() =>
        Object.keys(localStorage).filter((k) => k.startsWith('tus::') || k === 'psitransfer.session'),
      ),
    ).toEqual([])
    // A fresh reload shows a clean page.
    await page.reload()
    await page.getByText('No files selected yet.').waitFor()
    expect(await page.getByText('An unfinished upload from').count()).toBe(0)
    expect(seen.errors).toEqual([])
    await context.close()
  })
})
