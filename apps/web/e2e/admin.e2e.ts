import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminBuckets, lockBucket, tusUpload } from './api.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'
import { axe, serious } from './page-helpers.js'

const ADMIN = 'admin-pw-e2e'

describe('admin page', () => {
  let server: RunningServer
  let browser: Browser

  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startServer({ PSITRANSFER_ADMIN_PASS: ADMIN }), launchBrowser()])
    await tusUpload(server.url, 'bucketAlpha1', 'a1.txt', Buffer.from('alpha one'))
    await tusUpload(server.url, 'bucketAlpha1', 'a2.txt', Buffer.from('alpha two'), { comment: 'second' })
    await lockBucket(server.url, 'bucketAlpha1')
    await tusUpload(server.url, 'bucketBeta22', 'b1.txt', Buffer.from('beta'))
    await lockBucket(server.url, 'bucketBeta22')
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('logs in, lists buckets with totals, deletes a file and a bucket after confirmation', async () => {
    const { context, page, seen, acceptNextDialog } = await newContext(browser)
    await page.goto(new URL('admin', server.url).href)
    await page.getByLabel('Admin password').waitFor()
    await screenshot(page, 'admin-login-desktop')
    expect(serious(await axe(page))).toEqual([])

    await page.getByLabel('Admin password').fill('not-it')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor({ timeout: 10_000 })
    await page.getByLabel('Admin password').fill(ADMIN)
    await page.getByRole('button', { name: 'Log in' }).click()

    const rows = page.locator('.admin-table > tbody > tr:not(.files-row)')
    await rows.first().waitFor()
    expect(await rows.count()).toBe(2)
    expect(await page.getByText(/^2 buckets, 3 files, /).count()).toBe(1)

    await page.getByRole('button', { name: 'Show files of bucketAlpha1' }).click()
    const files = page.locator('#files-bucketAlpha1 .files-table tbody tr')
    expect(await files.count()).toBe(2)
    expect(await page.locator('#files-bucketAlpha1').textContent()).toContain('second')
    await screenshot(page, 'admin-table-desktop')
    expect(serious(await axe(page))).toEqual([])

    // Dismissing the confirmation deletes nothing.
    await page.getByRole('button', { name: 'Delete a1.txt' }).click()
    expect(seen.dialogs).toEqual(['confirm: Delete a1.txt? This cannot be undone.'])
    expect(await files.count()).toBe(2)

    acceptNextDialog()
    await page.getByRole('button', { name: 'Delete a1.txt' }).click()
    await expect.poll(() => files.count()).toBe(1)
    const afterFile = await adminBuckets(server.url, ADMIN)
    expect(afterFile.find((b) => b.sid === 'bucketAlpha1')?.files.map((f) => f.name)).toEqual(['a2.txt'])

    acceptNextDialog()
    await page.getByRole('button', { name: 'Delete bucketBeta22' }).click()
    await expect.poll(() => rows.count()).toBe(1)
    expect((await adminBuckets(server.url, ADMIN)).map((b) => b.sid)).toEqual(['bucketAlpha1'])
    const gone = await fetch(new URL('bucketBeta22.json', server.url))
    expect(gone.status).toBe(404)

    // Refresh picks up changes made elsewhere.
    await tusUpload(server.url, 'bucketGamma3', 'g.txt', Buffer.from('gamma'))
    await page.getByRole('button', { name: 'Refresh' }).click()
    await expect.poll(() => rows.count()).toBe(2)

    expect(seen.errors.filter((e) => !/40[13]/.test(e))).toEqual([])
    await context.close()
  })

  it('works at 360 px (the table scrolls inside its own region)', async () => {
    const { context, page } = await newContext(browser, { width: 360, height: 740 })
    await page.goto(new URL('admin', server.url).href)
    await page.getByLabel('Admin password').fill(ADMIN)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('button', { name: 'Show files of bucketAlpha1' }).click()
    await screenshot(page, 'admin-table-360')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    expect(serious(await axe(page))).toEqual([])
    await context.close()
  })
})
