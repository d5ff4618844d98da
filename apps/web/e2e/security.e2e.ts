import { rm } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lockBucket, tusUpload } from './api.js'
import { type Fixture, fixtureDir, pdf, wav, writeFixture } from './fixtures.js'
import { launchBrowser, newContext, type RunningServer, screenshot, startServer } from './harness.js'

const EVIL_NAME = '<img src=x onerror=alert(1)>.svg'
const EVIL_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(2)"><script>alert(3)</script><text y="20">hi</text></svg>\n'
const EVIL_COMMENT = '<script>alert(4)</script><b>bold?</b>'

describe('uploaded names and content never run as script', () => {
  let server: RunningServer
  let browser: Browser
  let dir: string
  let evil: Fixture

  beforeAll(async () => {
    ;[server, browser, dir] = await Promise.all([startServer(), launchBrowser(), fixtureDir()])
    evil = await writeFixture(dir, EVIL_NAME, Buffer.from(EVIL_SVG))
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('shows a file named like markup, and its SVG source, as text', async () => {
    const up = await newContext(browser)
    await up.page.goto(server.url)
    await up.page.setInputFiles('#pick-files', evil.path)
    expect(await up.page.locator('.file-name').textContent()).toBe(EVIL_NAME)
    await up.page.getByLabel(`Comment for ${EVIL_NAME}`).fill(EVIL_COMMENT)
    await up.page.getByRole('button', { name: 'Upload', exact: true }).click()
    const shareUrl = await up.page.locator('#share-link').inputValue({ timeout: 30_000 })

    const down = await newContext(browser)
    await down.page.goto(shareUrl)
    const item = down.page.locator('.download-list .file')
    await item.waitFor()
    expect(await item.locator('.file-name').textContent()).toBe(EVIL_NAME)
    expect(await item.locator('.file-comment-text').textContent()).toBe(EVIL_COMMENT)
    expect(await down.page.locator('img[src="x"], .download-list script, .download-list b').count()).toBe(0)

    // The preview of an SVG is its source text, never a rendered document.
    await down.page.getByRole('button', { name: `Preview ${EVIL_NAME}` }).click()
    const pre = down.page.getByRole('dialog').locator('pre')
    await pre.waitFor()
    expect(await pre.textContent()).toBe(EVIL_SVG)
    expect(
      await down.page.locator('dialog svg[onload], dialog iframe, dialog object, dialog embed').count(),
    ).toBe(0)
    await down.page.keyboard.press('Escape')

    // Even opening the file's inline URL directly does not run it in our origin.
    const href = await down.page.getByRole('link', { name: `Download ${EVIL_NAME}` }).getAttribute('href')
    const inline = new URL(href!, server.url)
    inline.searchParams.set('inline', '1')
    const res = await fetch(inline)
    expect(res.headers.get('content-security-policy')).toMatch(/sandbox/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/)
    await res.body?.cancel()
    const direct = await newContext(browser)
    await direct.page.goto(inline.href).catch(() => {}) // a download aborts the navigation
    await direct.page.waitForTimeout(500)

    for (const ctx of [up, down, direct]) {
      expect(ctx.seen.dialogs).toEqual([])
      await ctx.context.close()
    }
  })

  it('previews audio from the sandboxed inline URL, and PDFs in a same-origin frame', async () => {
    await tusUpload(server.url, 'mediaBucket1', 'hello.pdf', pdf(), { type: 'application/pdf' })
    await tusUpload(server.url, 'mediaBucket1', 'tone.wav', wav(), { type: 'audio/wav' })
    await lockBucket(server.url, 'mediaBucket1')
    const { context, page, seen } = await newContext(browser)
    await page.goto(new URL('mediaBucket1', server.url).href)
    await page.getByRole('button', { name: 'Preview hello.pdf' }).click()
    const dialog = page.getByRole('dialog')
    const open = dialog.getByRole('link', { name: 'Open in a new tab' })
    await open.waitFor()
    const inline = new URL((await open.getAttribute('href'))!, server.url)
    expect(inline.searchParams.get('inline')).toBe('1')
    const head = await fetch(inline, { method: 'HEAD' })
    const framable =
      !/deny/i.test(head.headers.get('x-frame-options') ?? '') &&
      !/frame-ancestors 'none'|(^|;)\s*sandbox/i.test(head.headers.get('content-security-policy') ?? '')
    // The server lets our own pages frame inline PDFs, so the PDF is embedded (and the tab link stays).
    expect(framable).toBe(true)
    expect(await dialog.locator('iframe').count()).toBe(1)
    expect(await dialog.getByText('The preview could not be loaded.').count()).toBe(0)
    await screenshot(page, 'download-preview-pdf-desktop')

    await page.keyboard.press('ArrowRight')
    const audio = dialog.locator('audio')
    await audio.waitFor()
    await expect
      .poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState >= 1 && Math.round(a.duration)))
      .toBe(1)
    expect(seen.dialogs).toEqual([])
    await context.close()
  })

  it('previews a video from the inline URL (a WebM recorded by the browser itself)', async () => {
    const { context, page, seen } = await newContext(browser)
    // No video encoder on the test machine: Chromium records a second of an animated canvas.
    await page.goto(server.url)
    const base64 = await page.evaluate(async () => {
      const canvas = document.createElement('canvas')
      canvas.width = 160
      canvas.height = 120
      const g = canvas.getContext('2d') as CanvasRenderingContext2D
      const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm' })
      const chunks: Blob[] = []
      recorder.ondataavailable = (e) => chunks.push(e.data)
      const stopped = new Promise((resolve) => {
        recorder.onstop = resolve
      })
      recorder.start()
      for (let i = 0; i < 25; i++) {
        g.fillStyle = `hsl(${i * 14}, 80%, 50%)`
        g.fillRect(0, 0, 160, 120)
        await new Promise((r) => setTimeout(r, 40))
      }
      recorder.stop()
      await stopped
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer())
      let bin = ''
      for (const b of bytes) bin += String.fromCharCode(b)
      return btoa(bin)
    })
    const webm = Buffer.from(base64, 'base64')
    expect(webm.byteLength).toBeGreaterThan(1000)
    await tusUpload(server.url, 'videoBucket1', 'clip.webm', webm, { type: 'video/webm' })
    await lockBucket(server.url, 'videoBucket1')
    await page.goto(new URL('videoBucket1', server.url).href)
    await page.getByRole('button', { name: 'Preview clip.webm' }).click()
    const video = page.getByRole('dialog').locator('video')
    await video.waitFor()
    expect(new URL((await video.getAttribute('src'))!, server.url).searchParams.get('inline')).toBe('1')
    // Decoded by the browser: the metadata (frame size) of the uploaded bytes is known.
    await expect
      .poll(() =>
        video.evaluate((v: HTMLVideoElement) => v.readyState >= 1 && `${v.videoWidth}x${v.videoHeight}`),
      )
      .toBe('160x120')
    await screenshot(page, 'download-preview-video-desktop')
    expect(seen.dialogs).toEqual([])
    await context.close()
  })

  it('can be used with the keyboard alone: pick, upload, open a preview and close it', async () => {
    const { context, page, seen } = await newContext(browser)
    // Listening early turns on file-chooser interception before the key press that opens one.
    page.on('filechooser', () => {})
    await page.goto(server.url)
    await page.getByRole('button', { name: 'Choose files' }).waitFor()
    const focusOn = async (name: string) => {
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab')
        const focused = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null
          return el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? ''
        })
        if (focused === name) return
      }
      throw new Error(`Tab never reached ${name}`)
    }
    await focusOn('Choose files')
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')])
    await chooser.setFiles({
      name: 'keys.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('typed, not clicked\n'),
    })
    await focusOn('Upload')
    await page.keyboard.press('Enter')
    const shareUrl = await page.locator('#share-link').inputValue({ timeout: 30_000 })
    // Focus moves to the result so the change is announced (polled: the panel's input can be read
    // from another task before the commit's focus lands).
    await page.waitForFunction(() => document.activeElement?.id === 'done-title', undefined, {
      timeout: 5_000,
    })

    await page.goto(shareUrl)
    await page.locator('.download-list .file').waitFor()
    await focusOn('Preview keys.txt')
    await page.keyboard.press('Enter')
    const pre = page.getByRole('dialog').locator('pre')
    await pre.waitFor()
    expect(await pre.textContent()).toBe('typed, not clicked\n')
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true)
    await page.keyboard.press('Escape')
    await page.getByRole('dialog').waitFor({ state: 'detached' })
    expect(seen.errors).toEqual([])
    await context.close()
  })
})
