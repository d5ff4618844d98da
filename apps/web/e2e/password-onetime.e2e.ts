import { rm } from 'node:fs/promises'
import type { Browser, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, fixtureDir, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'
import { axe, clickAndDownload, downloadBytes, serious } from './page-helpers.js'

const UPLOAD_PASS = 'up-secret'

describe('upload password, bucket password and one-time download', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let secret: Fixture
  let large: Fixture
  let medium: Fixture
  let medium2: Fixture
  let shareUrl = ''
  let bucketPassword = ''

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      startServer({
        PSITRANSFER_UPLOAD_PASS: UPLOAD_PASS,
        PSITRANSFER_REQUIRE_BUCKET_PASSWORD: 'true',
        PSITRANSFER_MAX_FILE_SIZE: '3000',
        PSITRANSFER_MAX_BUCKET_SIZE: '5000',
      }),
      launchBrowser(),
      fixtureDir(),
    ])
    secret = await writeFixture(dir, 'secret plan.txt', Buffer.from('the one-time secret\n'))
    large = await writeFixture(dir, 'large.bin', Buffer.alloc(4000, 1))
    medium = await writeFixture(dir, 'medium.bin', Buffer.alloc(2500, 2))
    medium2 = await writeFixture(dir, 'medium2.bin', Buffer.alloc(2600, 3))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('asks for the upload password and sends it on every upload request, including the lock', async () => {
    const { context, page, seen } = await newContext(browser)
    const tusRequests: Request[] = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/files/')) tusRequests.push(r)
    })
    await page.goto(server.url)
    await page.getByRole('heading', { name: 'This service is protected' }).waitFor()
    await screenshot(page, 'upload-password-desktop')
    expect(serious(await axe(page))).toEqual([])

    await page.getByLabel('Upload password').fill('nope')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor()
    await page.getByLabel('Upload password').fill(UPLOAD_PASS)
    await page.getByRole('button', { name: 'Continue' }).click()

    // Sizes are checked before anything is sent.
    await page.setInputFiles('#pick-files', [large.path, medium.path, medium2.path])
    const alert = page.locator('.upload .error[role=alert]')
    expect(await alert.textContent()).toContain('large.bin is 4 kB, more than the maximum file size of 3 kB.')
    expect(await alert.textContent()).toContain(
      'All files together are 9.1 kB, more than the maximum of 5 kB.',
    )
    expect(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled()).toBe(true)
    await page.getByRole('button', { name: 'Remove large.bin' }).click()
    expect(await alert.textContent()).toBe('All files together are 5.1 kB, more than the maximum of 5 kB.')
    await page.getByRole('button', { name: 'Remove medium2.bin' }).click()
    expect(await alert.count()).toBe(0)
    await page.getByRole('button', { name: 'Remove medium.bin' }).click()
    expect(tusRequests).toEqual([])

    await page.setInputFiles('#pick-files', secret.path)
    await page.getByLabel('Keep files for').selectOption('one-time')
    // The server requires a bucket password: the form says so before sending.
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.getByText('Please set a download password.').waitFor()
    // Control characters are refused up front.
    await page.getByLabel('Download password').fill('tab\there')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.getByText('The password cannot contain control characters').waitFor()
    expect(tusRequests).toEqual([])
    expect(await page.getByText('Each file is deleted after its first download.').count()).toBe(1)
    await page.getByRole('button', { name: 'Generate a password' }).click()
    expect(await page.getByLabel('Download password').inputValue()).toMatch(/^[A-Za-z2-9]{10}$/)
    // Any other characters work end to end (the download page sends them percent-encoded).
    bucketPassword = ' пароль 密码 ü '
    await page.getByLabel('Download password').fill(bucketPassword)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    shareUrl = await page.locator('#share-link').inputValue({ timeout: 30_000 })
    const done = await page.locator('.done').textContent()
    expect(done).toContain('Each file can be downloaded once.')
    expect(done).toContain('protected by a password')

    const methods = tusRequests.map((r) => `${r.method()} ${new URL(r.url()).search}`)
    expect(methods).toContain('POST ')
    expect(methods).toContain('PATCH ?lock=yes')
    for (const r of tusRequests) {
      expect(await r.headerValue('x-passwd'), `${r.method()} ${r.url()}`).toBe(UPLOAD_PASS)
    }
    expect(seen.errors.filter((e) => !/40[13]/.test(e))).toEqual([])
    await context.close()
  })

  it('protects the download with the password and consumes the one-time file', async () => {
    expect(shareUrl).not.toBe('')
    const { context, page, seen } = await newContext(browser)
    await page.goto(shareUrl)
    await page.getByText('These files are protected').waitFor()
    await screenshot(page, 'download-password-desktop')
    expect(serious(await axe(page))).toEqual([])

    await page.getByLabel('Password', { exact: true }).fill('wrong-password')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page
      .getByRole('alert')
      .filter({ hasText: 'Wrong password. Please try again.' })
      .waitFor({ timeout: 10_000 })
    await page.getByLabel('Password', { exact: true }).fill(bucketPassword)
    await page.getByRole('button', { name: 'Continue' }).click()

    const item = page.locator('.download-list .file')
    await item.waitFor()
    expect(await item.locator('.file-name').textContent()).toBe('secret plan.txt')
    expect(await item.textContent()).toContain('This file can be downloaded only once.')
    // Never previewed: a preview would consume it.
    expect(await page.getByRole('button', { name: /^Preview/ }).count()).toBe(0)
    const fileUrl = await page.getByRole('link', { name: 'Download secret plan.txt' }).getAttribute('href')

    const dl = await clickAndDownload(page, () =>
      page.getByRole('link', { name: 'Download secret plan.txt' }).click(),
    )
    expect((await downloadBytes(dl)).equals(secret.bytes)).toBe(true)
    // Marked and disabled after use.
    await page.getByText('Already downloaded').waitFor()
    expect(await page.getByRole('button', { name: 'Download secret plan.txt' }).isDisabled()).toBe(true)
    // Nothing is left to download, so the archive links are gone too.
    expect(await page.getByRole('link', { name: 'Download all (ZIP)' }).isVisible()).toBe(false)
    await screenshot(page, 'download-onetime-used-desktop')

    // The server agrees: the link is spent.
    const again = await fetch(new URL(fileUrl!, server.url))
    expect(again.status).not.toBe(200)
    await again.body?.cancel()
    expect(seen.errors.filter((e) => !/401/.test(e))).toEqual([])
    await context.close()
  })

  it('shows the password prompt at 360 px', async () => {
    const { context, page } = await newContext(browser, { width: 360, height: 740 })
    await page.goto(server.url)
    await page.getByRole('heading', { name: 'This service is protected' }).waitFor()
    await screenshot(page, 'upload-password-360')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    await context.close()
  })
})
