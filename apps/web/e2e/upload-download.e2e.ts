import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTarGz, readZip } from './archives.js'
import { type Fixture, fixtureDir, png, random, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'
import { axe, clickAndDownload, downloadBytes, serious, watchOverallProgress } from './page-helpers.js'

const MiB = 1024 * 1024

describe('upload three files, share, download in a fresh browser', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let big: Fixture
  let photo: Fixture
  let readme: Fixture
  let shareUrl = ''

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([startServer(), launchBrowser(), fixtureDir()])
    big = await writeFixture(dir, 'big.bin', random(50 * MiB))
    photo = await writeFixture(dir, 'photo.png', png(320, 200))
    readme = await writeFixture(
      dir,
      'notes/readme.txt',
      Buffer.from('Line one of the notes.\nZeile zwei: Grüße <b>not bold</b> & done.\n'),
    )
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('uploads files and a folder with progress to 100 % and shows the share link', async () => {
    const { context, page, seen } = await newContext(browser)
    await page.goto(server.url)
    await page.getByRole('button', { name: 'Choose files' }).waitFor()
    await screenshot(page, 'upload-empty-desktop')

    await page.setInputFiles('#pick-files', [big.path, photo.path])
    await page.setInputFiles('#pick-folder', join(dir, 'notes'))
    const names = await page.locator('.file-name').allTextContents()
    expect(names).toEqual(['big.bin', 'photo.png', 'notes/readme.txt'])
    await page.getByLabel('Comment for photo.png').fill('Holiday <3')
    await page.getByLabel('Keep files for').selectOption('86400')
    await screenshot(page, 'upload-files-desktop')
    expect(serious(await axe(page))).toEqual([])

    const maxProgress = await watchOverallProgress(page)
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    const link = page.locator('#share-link')
    await link.waitFor({ timeout: 60_000 })
    expect(await maxProgress()).toBe(1)
    shareUrl = await link.inputValue()
    expect(shareUrl).toMatch(new RegExp(`^${server.url}[A-Za-z0-9][A-Za-z0-9_-]{15,63}$`))

    // The done screen: expiry in the text and the mail link, a QR code, copy and new upload.
    await expect.poll(() => page.locator('.done').textContent()).toContain('Available until')
    const mailto = await page.getByRole('link', { name: 'Send by e-mail' }).getAttribute('href')
    expect(mailto).toContain(encodeURIComponent(shareUrl))
    expect(decodeURIComponent(mailto ?? '')).toContain('Available until')
    expect(await page.getByRole('img', { name: 'QR code of the share link' }).count()).toBe(1)
    await screenshot(page, 'upload-done-desktop')
    expect(serious(await axe(page))).toEqual([])

    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.getByRole('button', { name: 'Copy link' }).click()
    await page.getByRole('status').filter({ hasText: 'Copied!' }).waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shareUrl)

    // "New upload" starts over with an empty list (and a new bucket id).
    await page.getByRole('button', { name: 'New upload' }).click()
    await page.getByText('No files selected yet.').waitFor()
    expect(seen.errors).toEqual([])
    expect(seen.dialogs).toEqual([])
    await context.close()
  })

  it("speaks the browser's language and switches on request", async () => {
    const { context, page } = await newContext(browser, { locale: 'ja-JP' })
    await page.goto(server.url)
    await page.getByRole('heading', { name: 'ファイルを共有' }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja')

    await page.getByLabel('言語').selectOption('de')
    await page.getByRole('heading', { name: 'Dateien teilen' }).waitFor()
    // Retention labels come from the server's lang.json in the chosen language.
    await expect
      .poll(() => page.getByLabel('Dateien aufbewahren für').locator('option:checked').textContent())
      .toBe('1 Woche')
    await page.setInputFiles('#pick-files', [photo.path])
    await screenshot(page, 'upload-files-de-desktop')
    await page.reload()
    await page.getByRole('heading', { name: 'Dateien teilen' }).waitFor()
    await context.close()
  })

  it('lists, previews and downloads in a fresh browser context', async () => {
    expect(shareUrl).not.toBe('')
    const { context, page, seen } = await newContext(browser)
    await page.goto(shareUrl)
    await page.locator('.download-list .file').first().waitFor()
    const names = await page.locator('.download-list .file-name').allTextContents()
    expect(names.sort()).toEqual(['big.bin', 'notes/readme.txt', 'photo.png'])
    expect(await page.locator('.download-list').textContent()).toContain('Holiday <3')
    await screenshot(page, 'download-list-desktop')
    expect(serious(await axe(page))).toEqual([])

    // Image preview: decoded by the browser from the inline URL.
    await page.getByRole('button', { name: 'Preview photo.png' }).click()
    const dialog = page.getByRole('dialog')
    const img = dialog.locator('img')
    await img.waitFor()
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(320)
    expect(await img.getAttribute('src')).toContain('inline=1')
    await screenshot(page, 'download-preview-image-desktop')
    expect(serious(await axe(page))).toEqual([])

    // → moves to the other previewable file (the text), shown as text.
    await page.keyboard.press('ArrowRight')
    const pre = dialog.locator('pre')
    await pre.waitFor()
    expect(await pre.textContent()).toBe(readme.bytes.toString('utf8'))
    expect(await dialog.locator('pre b').count()).toBe(0)
    await screenshot(page, 'download-preview-text-desktop')
    await page.keyboard.press('ArrowLeft')
    await img.waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })

    // The big file has no preview (binary); one file and both archives download byte-identical.
    expect(await page.getByRole('button', { name: 'Preview big.bin' }).count()).toBe(0)
    const one = await clickAndDownload(page, () =>
      page.getByRole('link', { name: 'Download photo.png' }).click(),
    )
    expect(one.suggestedFilename()).toBe('photo.png')
    expect((await downloadBytes(one)).equals(photo.bytes)).toBe(true)

    const zip = await clickAndDownload(page, () =>
      page.getByRole('link', { name: 'Download all (ZIP)' }).click(),
    )
    const entries = readZip(await downloadBytes(zip))
    expect([...entries.keys()].sort()).toEqual(['big.bin', 'notes/readme.txt', 'photo.png'])
    expect(entries.get('big.bin')!.equals(big.bytes)).toBe(true)
    expect(entries.get('photo.png')!.equals(photo.bytes)).toBe(true)
    expect(entries.get('notes/readme.txt')!.equals(readme.bytes)).toBe(true)

    const tgz = await clickAndDownload(page, () =>
      page.getByRole('link', { name: 'Download all (tar.gz)' }).click(),
    )
    const tarEntries = readTarGz(await downloadBytes(tgz))
    expect([...tarEntries.keys()].sort()).toEqual(['big.bin', 'notes/readme.txt', 'photo.png'])
    expect(tarEntries.get('big.bin')!.equals(big.bytes)).toBe(true)

    expect(seen.errors).toEqual([])
    expect(seen.dialogs).toEqual([])
    await context.close()
  })

  it('works at 360 px wide without horizontal scrolling, light and dark', async () => {
    for (const dark of [false, true]) {
      const suffix = dark ? '360-dark' : '360'
      const { context, page } = await newContext(browser, { width: 360, height: 740, dark })
      await page.goto(server.url)
      await page.setInputFiles('#pick-files', [photo.path, readme.path])
      await screenshot(page, `upload-files-${suffix}`)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
      expect(serious(await axe(page))).toEqual([])

      await page.goto(shareUrl)
      await page.locator('.download-list .file').first().waitFor()
      await screenshot(page, `download-list-${suffix}`)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
      expect(serious(await axe(page))).toEqual([])
      await page.getByRole('button', { name: 'Preview notes/readme.txt' }).click()
      await page.getByRole('dialog').locator('pre').waitFor()
      await screenshot(page, `download-preview-text-${suffix}`)
      await context.close()
    }
  })
})
