/**
 * PsiTransfer's sub-path settings: `PSITRANSFER_BASE_URL=/psi` (no trailing slash) serves
 * everything below /psi/, uploads go to the TUS endpoint below it, and the share link's
 * bucket id has `PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH` characters.
 */
import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureDir, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, startServer } from './harness.js'

describe('served below PSITRANSFER_BASE_URL=/psi with 12-character bucket ids', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      startServer({ PSITRANSFER_BASE_URL: '/psi', PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH: '12' }),
      launchBrowser(),
      fixtureDir(),
    ])
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('uploads below /psi/ and shares a link with a 12-character id', async () => {
    const data = random(300 * 1024)
    const file = await writeFixture(dir, 'sub.bin', data)
    const { context, page, seen } = await newContext(browser)
    const tusRequests: string[] = []
    page.on('request', (r) => {
      if (r.method() === 'POST' || r.method() === 'PATCH') tusRequests.push(new URL(r.url()).pathname)
    })
    await page.goto(`${server.url}psi/`)
    await page.getByRole('button', { name: 'Choose files' }).waitFor()
    await page.setInputFiles('#pick-files', [file.path])
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    const link = page.locator('#share-link')
    await link.waitFor({ timeout: 60_000 })
    const shareUrl = await link.inputValue()
    expect(shareUrl).toMatch(new RegExp(`^${server.url}psi/[A-Za-z0-9][A-Za-z0-9_-]{11}$`))
    expect(tusRequests.length).toBeGreaterThan(0)
    for (const path of tusRequests) expect(path).toMatch(/^\/psi\/files\//)

    const sid = shareUrl.split('/').pop() as string
    const listing = (await (await fetch(`${server.url}psi/${sid}.json`)).json()) as {
      items: Array<{ url: string }>
    }
    const res = await fetch(new URL(listing.items[0]?.url ?? '', server.url))
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true)
    expect(seen.errors).toEqual([])
    await context.close()
  })
})

describe('upload page at PSITRANSFER_UPLOAD_APP_PATH=/up below PSITRANSFER_BASE_URL=/psi', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      startServer({ PSITRANSFER_BASE_URL: '/psi', PSITRANSFER_UPLOAD_APP_PATH: '/up' }),
      launchBrowser(),
      fixtureDir(),
    ])
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('sends the base URL to /psi/up/, which is the upload page (not a bucket named "up"), and shares below /psi/', async () => {
    const data = random(200 * 1024)
    const file = await writeFixture(dir, 'up.bin', data)
    const { context, page, seen } = await newContext(browser)
    const tusRequests: string[] = []
    page.on('request', (r) => {
      if (r.method() === 'POST' || r.method() === 'PATCH') tusRequests.push(new URL(r.url()).pathname)
    })
    await page.goto(`${server.url}psi/`)
    await page.getByRole('button', { name: 'Choose files' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/psi/up/')
    await page.setInputFiles('#pick-files', [file.path])
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    const link = page.locator('#share-link')
    await link.waitFor({ timeout: 60_000 })
    const shareUrl = await link.inputValue()
    expect(shareUrl).toMatch(new RegExp(`^${server.url}psi/[A-Za-z0-9][A-Za-z0-9_-]+$`))
    expect(tusRequests.length).toBeGreaterThan(0)
    for (const path of tusRequests) expect(path).toMatch(/^\/psi\/up\/files\//)
    // The share link opens the download page with the file.
    await page.goto(shareUrl)
    await page.getByText('up.bin').first().waitFor()
    expect(seen.errors).toEqual([])
    await context.close()
  })
})
