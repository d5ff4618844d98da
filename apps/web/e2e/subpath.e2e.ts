/**
 * PsiTransfer's sub-path settings: `PSITRANSFER_BASE_URL=/psi` (no trailing slash) serves
 * everything below /psi/, uploads go to the TUS endpoint below it, and the share link's
 * bucket id has `PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH` characters; with
 * `PSITRANSFER_UPLOAD_APP_PATH=/up` the upload page and its TUS endpoint move below /psi/up/.
 */
import { rm } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureDir, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type PageErrors, type RunningServer, startServer } from './harness.js'

interface Setup {
  server: RunningServer
  browser: Browser
  dir: string
}

/** A server started with `env`, a browser and a fixture directory for the tests of one describe. */
function servedWith(env: Record<string, string>): Setup {
  const setup = {} as Setup
  beforeAll(async () => {
    ;[setup.server, setup.browser, setup.dir] = await Promise.all([
      startServer(env),
      launchBrowser(),
      fixtureDir(),
    ])
  })
  afterAll(async () => {
    await setup.browser?.close()
    await setup.server?.stop()
    if (setup.dir) await rm(setup.dir, { recursive: true, force: true })
  })
  return setup
}

/** Opens `path`, uploads one file of `size` random bytes and returns the share link and TUS paths. */
async function uploadFrom(
  { server, browser, dir }: Setup,
  path: string,
  name: string,
  size: number,
): Promise<{
  context: BrowserContext
  page: Page
  seen: PageErrors
  data: Buffer
  shareUrl: string
  tusRequests: string[]
  /** The manage link the done panel shows, and the path its secret was asked for at. */
  manage: { url: string; requested: string[] }
}> {
  const data = random(size)
  const file = await writeFixture(dir, name, data)
  const { context, page, seen } = await newContext(browser)
  const tusRequests: string[] = []
  const requested: string[] = []
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname
    // After the lock the web app asks for the manage link: the API lives under the base URL.
    if (path.includes('/api/manage/')) requested.push(path)
    else if (r.method() === 'POST' || r.method() === 'PATCH') tusRequests.push(path)
  })
  await page.goto(`${server.url}${path}`)
  await page.getByRole('button', { name: 'Choose files' }).waitFor()
  await page.setInputFiles('#pick-files', [file.path])
  await page.getByRole('button', { name: 'Upload', exact: true }).click()
  const link = page.locator('#share-link')
  await link.waitFor({ timeout: 60_000 })
  const manageUrl = await page.getByLabel('Manage link', { exact: true }).inputValue()
  return {
    context,
    page,
    seen,
    data,
    shareUrl: await link.inputValue(),
    tusRequests,
    manage: { url: manageUrl, requested },
  }
}

describe('served below PSITRANSFER_BASE_URL=/psi with 12-character bucket ids', () => {
  const setup = servedWith({ PSITRANSFER_BASE_URL: '/psi', PSITRANSFER_RANDOM_DOWNLOAD_SID_LENGTH: '12' })

  it('uploads below /psi/ and shares a link with a 12-character id', async () => {
    const { server } = setup
    const { context, seen, data, shareUrl, tusRequests, manage } = await uploadFrom(
      setup,
      'psi/',
      'sub.bin',
      300 * 1024,
    )
    expect(shareUrl).toMatch(new RegExp(`^${server.url}psi/[A-Za-z0-9][A-Za-z0-9_-]{11}$`))
    expect(tusRequests.length).toBeGreaterThan(0)
    for (const path of tusRequests) expect(path).toMatch(/^\/psi\/files\//)
    expect(manage.requested).toEqual([`/psi/api/manage/${shareUrl.split('/').pop()}`])
    expect(manage.url).toMatch(new RegExp(`^${server.url}psi/manage/${shareUrl.split('/').pop()}#`))

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
  const setup = servedWith({ PSITRANSFER_BASE_URL: '/psi', PSITRANSFER_UPLOAD_APP_PATH: '/up' })

  it('sends the base URL to /psi/up/, which is the upload page (not a bucket named "up"), and shares below /psi/', async () => {
    const { server } = setup
    const { context, page, seen, shareUrl, tusRequests, manage } = await uploadFrom(
      setup,
      'psi/',
      'up.bin',
      200 * 1024,
    )
    expect(new URL(page.url()).pathname).toBe('/psi/up/')
    expect(shareUrl).toMatch(new RegExp(`^${server.url}psi/[A-Za-z0-9][A-Za-z0-9_-]+$`))
    expect(tusRequests.length).toBeGreaterThan(0)
    for (const path of tusRequests) expect(path).toMatch(/^\/psi\/up\/files\//)
    // The manage API and page live below the base URL, not the upload page's path.
    expect(manage.requested).toEqual([`/psi/api/manage/${shareUrl.split('/').pop()}`])
    expect(manage.url).toMatch(new RegExp(`^${server.url}psi/manage/${shareUrl.split('/').pop()}#`))
    // The share link opens the download page with the file.
    await page.goto(shareUrl)
    await page.getByText('up.bin').first().waitFor()
    expect(seen.errors).toEqual([])
    await context.close()
  })
})
