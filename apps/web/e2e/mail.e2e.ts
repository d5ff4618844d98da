import { rm } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Fixture, fixtureDir, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, startServer } from './harness.js'
import { checkPage } from './page-helpers.js'
import { type SmtpSink, startSmtpSink } from './smtp-sink.js'

const NOTIFY_LABEL = 'Your e-mail address for a download notice (optional)'

describe('e-mail: the share link by mail and the first-download notice', () => {
  let sink: SmtpSink
  let server: RunningServer
  let browser: Browser
  let dir: string
  let notes: Fixture
  let shareUrl = ''
  let manageUrl = ''
  let sid = ''

  beforeAll(async () => {
    sink = await startSmtpSink()
    ;[server, browser, dir] = await Promise.all([
      startServer({ PSITRANSFER_SMTP_URL: sink.url, PSITRANSFER_MAIL_FROM: 'files@example.com' }),
      launchBrowser(),
      fixtureDir(),
    ])
    notes = await writeFixture(dir, 'notes.txt', Buffer.from('notes for anna\n'))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await sink?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const alert = (page: Page, text: string) => page.getByRole('alert').filter({ hasText: text })

  it('uploads with a notice address and mails the share link from the done panel, never the manage link', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(server.url)
    await page.setInputFiles('#pick-files', notes.path)
    // A bad notice address stops the upload before it starts, with the reason at the field.
    await page.getByLabel(NOTIFY_LABEL).fill('me@example.org, eve@evil.example')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await alert(page, 'Please enter one valid e-mail address').waitFor()
    expect(await page.getByLabel(NOTIFY_LABEL).getAttribute('aria-invalid')).toBe('true')
    await checkPage(page, 'mail-notify-invalid-desktop')

    await page.getByLabel(NOTIFY_LABEL).fill('me@example.org')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#share-link').waitFor({ timeout: 30_000 })
    shareUrl = await page.locator('#share-link').inputValue()
    manageUrl = await page.getByLabel('Manage link', { exact: true }).inputValue()
    sid = shareUrl.slice(server.url.length)
    const secret = manageUrl.slice(manageUrl.indexOf('#') + 1)
    await page.getByText('A notice goes to me@example.org on the first download.').waitFor()

    await page.getByLabel('Recipient’s e-mail address').fill('anna@example.org')
    await page.getByLabel('Message (optional)').fill('The notes from Tuesday')
    await page.getByRole('button', { name: 'Send e-mail' }).click()
    await page.getByRole('status').filter({ hasText: 'The link was sent to anna@example.org.' }).waitFor()
    const mail = await sink.waitFor('anna@example.org')
    expect(mail.rcptTo).toEqual(['anna@example.org'])
    expect(mail.parsed.subject).toBe('Files for you')
    expect(mail.parsed.text).toContain(shareUrl)
    expect(mail.parsed.text).toContain('> The notes from Tuesday')
    // The manage secret never goes to a recipient.
    expect(mail.raw).not.toContain(secret)
    expect(mail.raw).not.toContain('/manage/')
    await checkPage(page, 'mail-done-desktop')
    await page.setViewportSize({ width: 360, height: 800 })
    await checkPage(page, 'mail-done-360')

    // Two addresses at once are refused here already; the server's quota (10 an hour) is shown.
    await page.getByLabel('Recipient’s e-mail address').fill('anna@example.org, eve@evil.example')
    await page.getByRole('button', { name: 'Send e-mail' }).click()
    await alert(page, 'Please enter one valid e-mail address').waitFor()
    for (let i = 1; i < 10; i++) {
      const res = await fetch(`${server.url}api/manage/${sid}/mail`, {
        method: 'POST',
        headers: { 'X-Manage-Token': secret, 'Content-Type': 'application/json' },
        body: JSON.stringify({ to: `r${i}@example.org` }),
      })
      expect(res.status).toBe(202)
    }
    await page.getByLabel('Recipient’s e-mail address').fill('ben@example.org')
    await page.getByRole('button', { name: 'Send e-mail' }).click()
    await alert(page, 'Too many e-mails for this share.').waitFor()
    await checkPage(page, 'mail-quota-360')
    expect(seen.errors).toEqual([
      'Failed to load resource: the server responded with a status of 429 (Too Many Requests)',
    ])
    await context.close()
  })

  it('the first download mails the uploader once; the manage page shows it, changes the address and mails the link', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(manageUrl)
    await page.getByRole('heading', { name: 'Manage share' }).waitFor()
    expect(await page.getByLabel(NOTIFY_LABEL).inputValue()).toBe('me@example.org')

    const url = await page.evaluate(async (id) => {
      const listing = (await (await fetch(`/${id}.json`)).json()) as { items: Array<{ url: string }> }
      return listing.items[0]?.url as string
    }, sid)
    for (let i = 0; i < 3; i++) {
      expect(await page.evaluate(async (u) => (await fetch(u)).text(), url)).toBe('notes for anna\n')
    }
    const notice = await sink.waitFor('me@example.org')
    expect(notice.parsed.subject).toBe('Your files were downloaded')
    expect(notice.parsed.text).toContain('- notes.txt')
    // The way back to the manage page, without its secret: it opens in the browser that keeps the share.
    expect(notice.parsed.text).toContain(`${server.url}manage/${sid}\n`)
    expect(notice.raw).not.toContain(manageUrl.slice(manageUrl.indexOf('#') + 1))
    await page.goto('about:blank')
    await page.goto(`${server.url}manage/${sid}`)
    await page.getByText(/First downloaded on .*; no further notice will be sent\./).waitFor()
    await new Promise((r) => setTimeout(r, 500))
    expect(sink.received.filter((m) => m.rcptTo.includes('me@example.org'))).toHaveLength(1)

    await page.getByRole('button', { name: 'Remove address' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    expect(await page.getByLabel(NOTIFY_LABEL).inputValue()).toBe('')
    await page.getByLabel(NOTIFY_LABEL).fill('not an address')
    await page.getByRole('button', { name: 'Save address' }).click()
    await alert(page, 'Please enter one valid e-mail address').waitFor()
    await page.getByLabel(NOTIFY_LABEL).fill('new@example.org')
    await page.getByRole('button', { name: 'Save address' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    await checkPage(page, 'mail-manage-desktop')
    await page.setViewportSize({ width: 360, height: 800 })
    await checkPage(page, 'mail-manage-360')
    // The quota of this share is used up (previous test): the manage page's form says so too.
    await page.getByLabel('Recipient’s e-mail address').fill('carl@example.org')
    await page.getByRole('button', { name: 'Send e-mail' }).click()
    await alert(page, 'Too many e-mails for this share.').waitFor()
    expect(seen.errors).toEqual([
      'Failed to load resource: the server responded with a status of 429 (Too Many Requests)',
    ])
    await context.close()
  })

  it('a server without mail offers neither form', async () => {
    const plain = await startServer()
    try {
      const { context, page, seen } = await newContext(browser)
      await page.goto(plain.url)
      await page.setInputFiles('#pick-files', notes.path)
      expect(await page.getByLabel(NOTIFY_LABEL).count()).toBe(0)
      await page.getByRole('button', { name: 'Upload', exact: true }).click()
      await page.locator('#share-link').waitFor({ timeout: 30_000 })
      expect(await page.getByRole('heading', { name: 'Send the link by e-mail' }).count()).toBe(0)
      // The mailto: link stays for everyone.
      expect(await page.getByRole('link', { name: 'Send by e-mail' }).count()).toBe(1)
      expect(seen.errors).toEqual([])
      await context.close()
    } finally {
      await plain.stop()
    }
  })
})
