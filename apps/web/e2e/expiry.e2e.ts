import { rm } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, fixtureDir, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, startServer } from './harness.js'
import { checkPage } from './page-helpers.js'

/** Desktop, then the narrowest phone the layout supports. */
const VIEWPORTS = [
  { name: 'desktop', width: 1280 },
  { name: '360', width: 360 },
] as const

/** `YYYY-MM-DDTHH:mm` in the test process's local time (Chromium runs in the same zone). */
function localInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
}

/** How the app prints a date in English (lib/format.ts formatDate). */
const shown = (page: Page, ms: number) =>
  page.evaluate(
    (at) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at)),
    ms,
  )

describe('custom expiry: a chosen date within maxAge', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let a: Fixture
  let b: Fixture

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      startServer({ PSITRANSFER_MAX_AGE: String(7 * 24 * 3600) }),
      launchBrowser(),
      fixtureDir(),
    ])
    a = await writeFixture(dir, 'a.txt', Buffer.from('first file\n'))
    b = await writeFixture(dir, 'b.txt', Buffer.from('second file\n'))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('uploads with a chosen date; both files and the download page show it', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', [a.path, b.path])
    await page.getByLabel('Keep files for').selectOption({ label: 'Custom date…' })
    const input = page.getByLabel('Available until')
    await input.waitFor()
    // The latest allowed date is the input's max and said in words.
    expect(await input.getAttribute('max')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/)
    await expect.poll(() => page.locator('#custom-expiry-hint').textContent()).toMatch(/^At most until /)

    // A date in the past is explained, and nothing is uploaded.
    await input.fill(localInput(Date.now() - 3600_000))
    await page.getByRole('alert').filter({ hasText: 'Choose a date and time in the future.' }).waitFor()
    await checkPage(page, 'upload-custom-date-invalid-desktop')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('custom-expiry')
    expect(await page.locator('#share-link').count()).toBe(0)

    const chosen = new Date(Date.now() + 3 * 24 * 3600_000)
    chosen.setHours(14, 30, 0, 0)
    await input.fill(localInput(chosen.getTime()))
    expect(await input.getAttribute('aria-invalid')).toBe('false')
    for (const v of VIEWPORTS) {
      await page.setViewportSize({ width: v.width, height: 900 })
      await checkPage(page, `upload-custom-date-${v.name}`)
    }
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 30_000 })
    const date = await shown(page, chosen.getTime())
    expect(await page.locator('.done').textContent()).toContain(`Available until ${date}.`)
    const shareUrl = await page.locator('#share-link').inputValue()
    const sid = shareUrl.slice(server.url.length)

    // Every file of the bucket ends at that very moment.
    const listing = (await (await fetch(`${server.url}${sid}.json`)).json()) as {
      items: Array<{ name: string; expiresAt: number }>
    }
    expect(listing.items.map((i) => [i.name, i.expiresAt]).sort()).toEqual([
      ['a.txt', chosen.getTime()],
      ['b.txt', chosen.getTime()],
    ])

    for (const v of VIEWPORTS) {
      await page.setViewportSize({ width: v.width, height: 900 })
      await page.goto(shareUrl)
      await page.getByText('a.txt').waitFor()
      await expect
        .poll(() => page.locator('.file .muted.small').allTextContents())
        .toEqual([`Expires: ${date}`, `Expires: ${date}`])
      await checkPage(page, `download-custom-date-${v.name}`)
    }
    expect(seen.errors).toEqual([])
    await context.close()
  })
})

describe('custom expiry: until deleted, without maxAge', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let kept: Fixture

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      startServer({ PSITRANSFER_MAX_AGE: 'false', PSITRANSFER_ALLOW_NO_EXPIRY: 'true' }),
      launchBrowser(),
      fixtureDir(),
    ])
    kept = await writeFixture(dir, 'kept.txt', Buffer.from('kept until deleted\n'))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('uploads "until deleted"; the done panel, download and manage pages say so', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', kept.path)
    await page.getByLabel('Keep files for').selectOption({ label: 'Until deleted' })
    await page.locator('#retention-hint').filter({ hasText: 'No expiry' }).waitFor()
    // Without maxAge a custom date has no upper bound.
    await page.getByLabel('Keep files for').selectOption({ label: 'Custom date…' })
    expect(await page.getByLabel('Available until').getAttribute('max')).toBeNull()
    await page.getByLabel('Keep files for').selectOption({ label: 'Until deleted' })
    await checkPage(page, 'upload-until-deleted-desktop')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 30_000 })
    expect(await page.locator('.done').textContent()).toContain('Kept until deleted')
    const shareUrl = await page.locator('#share-link').inputValue()
    const manageUrl = await page.getByLabel('Manage link', { exact: true }).inputValue()
    const sid = shareUrl.slice(server.url.length)
    const listing = (await (await fetch(`${server.url}${sid}.json`)).json()) as {
      items: Array<{ expiresAt: number | null; metadata: { retention: string } }>
    }
    expect(listing.items).toMatchObject([{ expiresAt: null, metadata: { retention: 'until-deleted' } }])

    for (const v of VIEWPORTS) {
      await page.setViewportSize({ width: v.width, height: 900 })
      await page.goto(shareUrl)
      await page.getByText('kept.txt').waitFor()
      await page.locator('.file .muted.small').filter({ hasText: 'Kept until deleted' }).waitFor()
      await checkPage(page, `download-until-deleted-${v.name}`)
      await page.goto('about:blank')
      await page.goto(manageUrl)
      await page.getByRole('heading', { name: 'Manage share' }).waitFor()
      await page
        .getByRole('row', { name: /kept\.txt/ })
        .getByText('Kept until deleted')
        .waitFor()
      expect(await page.locator('.manage .card').first().textContent()).toContain('Kept until deleted')
      await checkPage(page, `manage-until-deleted-${v.name}`)
    }
    expect(seen.errors).toEqual([])
    await context.close()
  })
})
