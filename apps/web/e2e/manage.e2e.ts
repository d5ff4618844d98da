import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, fixtureDir, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, startServer } from './harness.js'
import { checkPage } from './page-helpers.js'

/** Desktop, then the narrowest phone the layout supports. */
const VIEWPORTS = [
  { name: 'desktop', width: 1280 },
  { name: '360', width: 360 },
] as const

describe('download limits, the manage link and "My shares"', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let notes: Fixture
  let later: Fixture
  let shareUrl = ''
  let manageUrl = ''

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([startServer(), launchBrowser(), fixtureDir()])
    notes = await writeFixture(dir, 'notes.txt', Buffer.from('limited notes\n'))
    later = await writeFixture(dir, 'later.txt', Buffer.from('added later\n'))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('uploads with a download limit and shows the manage link, kept in "My shares"', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', notes.path)
    await page.getByLabel('Keep files for').selectOption('86400')
    await page.getByLabel('Download limit', { exact: true }).fill('2')
    await checkPage(page, 'upload-limit-desktop')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 30_000 })
    shareUrl = await page.locator('#share-link').inputValue()
    manageUrl = await page.getByLabel('Manage link', { exact: true }).inputValue()
    const sid = shareUrl.slice(server.url.length)
    expect(manageUrl).toMatch(new RegExp(`^${server.url}manage/${sid}#[A-Za-z0-9_-]{32}$`))
    await expect.poll(() => page.locator('.done').textContent()).toContain('Downloads left: 2')
    await checkPage(page, 'upload-done-manage-desktop')

    // The same browser keeps the link; the list works at 360 px too.
    await page.getByRole('link', { name: 'My shares' }).click()
    await page.getByRole('link', { name: `Manage ${sid}` }).waitFor()
    expect(await page.locator('.share-names').textContent()).toBe('notes.txt')
    await checkPage(page, 'my-shares-desktop')
    await page.setViewportSize({ width: 360, height: 800 })
    await checkPage(page, 'my-shares-360')
    expect(seen.errors).toEqual([])
    await context.close()
  })

  it('the download page shows what is left; the manage page shows the counts', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(shareUrl)
    await page.getByText('Downloads left: 2').waitFor()
    const url = await page.evaluate(async (share) => {
      const sid = new URL(share).pathname.split('/').pop()
      const listing = (await (await fetch(`/${sid}.json`)).json()) as { items: Array<{ url: string }> }
      return listing.items[0]?.url as string
    }, shareUrl)
    // One complete download through the browser's own fetch.
    expect(await page.evaluate(async (u) => (await fetch(u)).text(), url)).toBe('limited notes\n')
    await page.reload()
    await page.getByText('Downloads left: 1').waitFor()
    await checkPage(page, 'download-limit-desktop')

    for (const v of VIEWPORTS) {
      await page.setViewportSize({ width: v.width, height: 900 })
      await page.goto(manageUrl)
      await page.getByRole('heading', { name: 'Manage share' }).waitFor()
      // Size, downloads, downloads left, last download, expiry.
      const cells = page.getByRole('row', { name: /notes\.txt/ }).getByRole('cell')
      await expect.poll(async () => (await cells.allTextContents()).slice(0, 3)).toEqual(['14 B', '1', '1'])
      await checkPage(page, `manage-${v.name}`)
    }
    expect(seen.errors).toEqual([])
    await context.close()
  })

  it('changes the password and the expiry, forgets and deletes', async () => {
    const { context, page, seen, acceptNextDialog } = await newContext(browser)
    await page.goto(manageUrl)
    await page.getByLabel('New download password').fill('s3cret-pass')
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    const sid = shareUrl.slice(server.url.length)
    expect((await fetch(`${server.url}${sid}.json`)).status).toBe(401)
    await page.getByRole('button', { name: 'Remove password' }).click()
    await expect.poll(async () => (await fetch(`${server.url}${sid}.json`)).status).toBe(200)

    // A shorter expiry, an hour from now.
    const soon = new Date(Date.now() + 3600_000)
    soon.setSeconds(0, 0)
    const local = new Date(soon.getTime() - soon.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
    await page.getByLabel('New expiry').fill(local)
    await page.getByRole('button', { name: 'Change expiry' }).click()
    // The password's "Saved." may still be shown: wait for the listing itself to carry the change.
    await expect
      .poll(async () => {
        const listing = (await (await fetch(`${server.url}${sid}.json`)).json()) as {
          items: Array<{ expiresAt: number }>
        }
        return listing.items[0]?.expiresAt
      })
      .toBe(soon.getTime())

    // Files added later land in the share, with its expiry; the share is locked again.
    await page.setInputFiles('#manage-add', later.path)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.getByRole('row', { name: /later\.txt/ }).waitFor({ timeout: 30_000 })
    const after = (await (await fetch(`${server.url}${sid}.json`)).json()) as {
      items: Array<{ name: string; expiresAt: number; downloadsLeft: number | null }>
    }
    expect(after.items.map((i) => [i.name, i.expiresAt, i.downloadsLeft])).toEqual([
      ['notes.txt', soon.getTime(), 1],
      ['later.txt', soon.getTime(), 2],
    ])
    await checkPage(page, 'manage-added-desktop')

    // A wrong secret is refused with a message, not the page.
    // (From another document: a new fragment alone would not load the page again.)
    await page.goto('about:blank')
    await page.goto(manageUrl.replace(/#.*/, '#wrongwrongwrongwrongwrongwrong00'))
    await page.getByText('This manage link is wrong, or the share has expired.').waitFor()
    await checkPage(page, 'manage-invalid-desktop')

    await page.goto('about:blank')
    await page.goto(manageUrl)
    acceptNextDialog()
    await page.getByRole('button', { name: 'Delete share' }).click()
    await page.getByText('The share and its files were deleted.').waitFor()
    expect((await fetch(`${server.url}${sid}.json`)).status).toBe(404)
    // Deleted shares leave "My shares"; forgetting works on the rest.
    await page.goto(`${server.url}manage/`)
    await page.getByText('This browser keeps no shares yet.').waitFor()
    await page.evaluate(() =>
      localStorage.setItem(
        'psitransfer.shares',
        JSON.stringify([{ sid: 'kept', token: 'x', createdAt: Date.now(), expiresAt: null, names: [] }]),
      ),
    )
    await page.reload()
    await page.getByRole('button', { name: 'Forget kept' }).click()
    await page.getByText('This browser keeps no shares yet.').waitFor()
    // The one failed request is the wrong secret's (Chromium logs it as a console error).
    expect(seen.errors).toEqual([
      'Failed to load resource: the server responded with a status of 403 (Forbidden)',
    ])
    expect(seen.dialogs).toEqual([])
    await context.close()
  })
})
