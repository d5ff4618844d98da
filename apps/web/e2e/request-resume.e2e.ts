import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminFiles, settledOffset } from './api.js'
import { type Fixture, fixtureDir, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'
import { axe, serious } from './page-helpers.js'

const MiB = 1024 * 1024
const ADMIN = 'admin-for-request-resume'
const REQUESTER_PW = 'requester-pw'

describe('reload in the middle of an upload through a request link', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let big: Fixture

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      // 1 MiB PATCHes so the server's offset advances in visible steps.
      startServer({ PSITRANSFER_ADMIN_PASS: ADMIN, PSITRANSFER_CHUNK_SIZE: String(MiB) }),
      launchBrowser(),
      fixtureDir(),
    ])
    big = await writeFixture(dir, 'drawings.bin', random(40 * MiB))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const serverFile = async (name: string) =>
    (await adminFiles(server.url, ADMIN)).find((f) => f.name === name)
  const stableOffset = (name: string) => settledOffset(server.url, ADMIN, (f) => f.name === name)

  it('continues from the server offset after the page is reloaded and the file chosen again', async () => {
    const made = await fetch(new URL('api/requests', server.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'Please send the drawings.', maxFiles: 1, password: REQUESTER_PW }),
    })
    expect(made.status, await made.clone().text()).toBe(201)
    const { requestUrl, requestToken, sid } = (await made.json()) as {
      requestUrl: string
      requestToken: string
      sid: string
    }

    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    // ~4 MiB/s upstream: the 40 MiB file takes long enough to reload in the middle.
    const throttle = (bps: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bps,
      })
    await throttle(4 * MiB)

    await page.goto(requestUrl)
    await page.getByText('Please send the drawings.').waitFor()
    await page.setInputFiles('#request-files', big.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await expect
      .poll(async () => (await serverFile('drawings.bin'))?.offset ?? 0, { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(8 * MiB)

    await page.reload()
    await throttle(-1)
    await page.getByText('An unfinished upload from').waitFor()
    expect(await page.getByText('Add this file again to continue').count()).toBe(1)
    // The file being continued is counted by the server already: the limit of 1 is no obstacle.
    expect(await page.locator('.request-limits').textContent()).toContain('Files left: 0')
    expect(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled()).toBe(true)
    await screenshot(page, 'request-resume-desktop')
    expect(serious(await axe(page))).toEqual([])
    await page.setViewportSize({ width: 360, height: 900 })
    await screenshot(page, 'request-resume-360')
    expect(serious(await axe(page))).toEqual([])

    // Nothing secret is kept in the browser's storage: no request secret, no password.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))
    expect(stored).toContain(`psitransfer.request::${sid}`)
    expect(stored).not.toContain(requestToken)
    expect(stored).not.toContain(REQUESTER_PW)

    // The interrupted PATCH is gone; the offset the server keeps is what a resume must start from.
    const offset = await stableOffset('drawings.bin')
    expect(offset).toBeGreaterThan(8 * MiB)
    expect(offset).toBeLessThan(big.bytes.length)

    const sent: Array<{ method: string; offset: string | null }> = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/files/'))
        sent.push({ method: r.method(), offset: r.headers()['upload-offset'] ?? null })
    })
    await page.setInputFiles('#request-files', big.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.getByRole('heading', { name: 'Sent' }).waitFor({ timeout: 60_000 })

    // No new upload was created; the first byte sent again is the server's offset, never earlier.
    expect(sent.filter((r) => r.method === 'POST')).toEqual([])
    const patches = sent.filter((r) => r.method === 'PATCH' && r.offset !== null).map((r) => Number(r.offset))
    expect(patches[0]).toBe(offset)
    expect(Math.min(...patches)).toBe(offset)

    const file = await serverFile('drawings.bin')
    expect(file).toMatchObject({ complete: true, size: big.bytes.length, sid })
    const listing = await fetch(new URL(`${sid}.json`, server.url), {
      headers: { 'x-download-pass': REQUESTER_PW },
    })
    expect(listing.status).toBe(200)
    const bucket = (await listing.json()) as { items: Array<{ name: string; url: string }> }
    expect(bucket.items.map((i) => i.name)).toEqual(['drawings.bin'])
    const download = await fetch(new URL(bucket.items[0]?.url as string, server.url), {
      headers: { 'x-download-pass': REQUESTER_PW },
    })
    expect(Buffer.from(await download.arrayBuffer()).equals(big.bytes)).toBe(true)

    // Done: nothing is left to continue, and a reload shows a clean page.
    await expect
      .poll(() =>
        page.evaluate(() =>
          Object.keys(localStorage).filter(
            (k) => k.startsWith('tus::') || k.startsWith('psitransfer.request'),
          ),
        ),
      )
      .toEqual([])
    await screenshot(page, 'request-resumed-360')
    await page.reload()
    await page.getByText('Please send the drawings.').waitFor()
    expect(await page.getByText('An unfinished upload from').count()).toBe(0)
    expect(seen.errors).toEqual([])
    await context.close()
  })

  it('"Start over" after a reload forgets the unfinished upload in this browser', async () => {
    const made = await fetch(new URL('api/requests', server.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: REQUESTER_PW }),
    })
    const { requestUrl } = (await made.json()) as { requestUrl: string }
    const file = await writeFixture(dir, 'abandoned.bin', random(20 * MiB))
    const { context, page, seen } = await newContext(browser)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 4 * MiB,
    })
    await page.goto(requestUrl)
    await page.setInputFiles('#request-files', file.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await expect
      .poll(async () => (await serverFile('abandoned.bin'))?.offset ?? 0, { timeout: 30_000, interval: 250 })
      .toBeGreaterThan(2 * MiB)
    await page.reload()
    await page.getByRole('button', { name: 'Start over' }).click()
    expect(await page.getByText('An unfinished upload from').count()).toBe(0)
    expect(
      await page.evaluate(() =>
        Object.keys(localStorage).filter((k) => k.startsWith('tus::') || k.startsWith('psitransfer.request')),
      ),
    ).toEqual([])
    await page.reload()
    await page.locator('#request-files').waitFor()
    expect(await page.getByText('An unfinished upload from').count()).toBe(0)
    expect(seen.errors).toEqual([])
    await context.close()
  })
})
