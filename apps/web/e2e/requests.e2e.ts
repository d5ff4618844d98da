import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, fixtureDir, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, startServer } from './harness.js'
import { checkPage } from './page-helpers.js'

const UPLOAD_PASS = 'upload-pass-1'

describe('upload requests: the "Request files" form, the request page, closing it', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let contract: Fixture
  let photo: Fixture
  let requestUrl = ''
  let manageUrl = ''

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([
      startServer({ PSITRANSFER_UPLOAD_PASS: UPLOAD_PASS }),
      launchBrowser(),
      fixtureDir(),
    ])
    contract = await writeFixture(dir, 'contract.txt', Buffer.from('signed contract\n'))
    photo = await writeFixture(dir, 'photo.bin', Buffer.alloc(3000, 7))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('makes a request with limits and a message, behind the upload password', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(`${server.url}request/`)
    // Only those who may upload make requests: the upload password first.
    await page.locator('#upload-pass').fill(UPLOAD_PASS)
    await page.getByRole('button', { name: 'Continue' }).click()
    await page
      .getByLabel('Message to the people you ask (optional)')
      .fill('Please send the signed contract.\nThanks!')
    await page.getByLabel('Most files').fill('1')
    await page.locator('#request-password').fill('requester-pw')
    await checkPage(page, 'request-new-desktop')
    await page.setViewportSize({ width: 360, height: 900 })
    await checkPage(page, 'request-new-360')
    await page.getByRole('button', { name: 'Create request link' }).click()
    await page.locator('#request-link').waitFor()
    requestUrl = await page.locator('#request-link').inputValue()
    manageUrl = await page.locator('#request-manage-link').inputValue()
    expect(requestUrl).toMatch(new RegExp(`^${server.url}request/[A-Za-z0-9_-]+#[A-Za-z0-9_-]{32}$`))
    expect(manageUrl).toMatch(new RegExp(`^${server.url}manage/[A-Za-z0-9_-]+#[A-Za-z0-9_-]{32}$`))
    await checkPage(page, 'request-made-360')
    // config.json's 401 before the password was given (Chromium logs it as a console error).
    expect(seen.errors.filter((e) => !e.includes('401 (Unauthorized)'))).toEqual([])
    await context.close()
  })

  it('lets someone without the upload password send files within the limits', async () => {
    // A fresh browser: no upload password in its session.
    const { context, page, seen } = await newContext(browser)
    await page.goto(requestUrl)
    await page.getByText('Please send the signed contract.').waitFor()
    expect(await page.locator('.request-limits').textContent()).toContain('Files left: 1')
    await checkPage(page, 'request-page-desktop')
    await page.setViewportSize({ width: 360, height: 900 })
    await checkPage(page, 'request-page-360')

    // Two files for a request of one: the page says so before anything is sent.
    await page.setInputFiles('#request-files', [contract.path, photo.path])
    await page.locator('#request-files-problem').waitFor()
    expect(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled()).toBe(true)
    await page.setInputFiles('#request-files', contract.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.getByRole('heading', { name: 'Sent' }).waitFor({ timeout: 30_000 })
    await expect.poll(() => page.locator('.request-limits').textContent()).toContain('Files left: 0')
    await checkPage(page, 'request-sent-360')

    // The person asked cannot list the bucket (its password is the requester's).
    const sid = new URL(requestUrl).pathname.split('/').pop() as string
    expect((await fetch(`${server.url}${sid}.json`)).status).toBe(401)
    expect(seen.errors).toEqual([])
    await context.close()
  })

  it('shows the files to the requester, who closes the request; the link then says so', async () => {
    const { context, page, seen, acceptNextDialog } = await newContext(browser)
    await page.goto(manageUrl)
    await page.getByRole('heading', { name: 'Upload request' }).waitFor()
    await page.getByRole('row', { name: /contract\.txt/ }).waitFor()
    expect(await page.locator('.request-limits').textContent()).toContain('Files received: 1')
    await checkPage(page, 'request-manage-desktop')
    acceptNextDialog()
    await page.getByRole('button', { name: 'Close request' }).click()
    await page.getByText('The request is closed: its link accepts no more files.').waitFor()
    await page.setViewportSize({ width: 360, height: 900 })
    await checkPage(page, 'request-manage-closed-360')

    await page.goto('about:blank')
    await page.goto(requestUrl)
    await page.getByText('This upload request is closed or has expired.', { exact: false }).waitFor()
    await checkPage(page, 'request-closed-360')
    // The one failed request is the closed link's 410 (Chromium logs it as a console error).
    expect(seen.errors).toEqual(['Failed to load resource: the server responded with a status of 410 (Gone)'])
    await context.close()
  })
})
