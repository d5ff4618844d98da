/** Things the e2e does in the page: watch progress, read downloads, run axe. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Download, Page } from 'playwright-core'
import { expect } from 'vitest'
import { screenshot } from './harness.js'

/** Records the highest value/max the overall <progress> ever shows (the done screen replaces it). */
export async function watchOverallProgress(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { __maxProgress: number }
    w.__maxProgress = 0
    const check = () => {
      const bar = document.querySelector<HTMLProgressElement>('progress[aria-label="Overall progress"]')
      if (bar && bar.max > 0) w.__maxProgress = Math.max(w.__maxProgress, bar.value / bar.max)
    }
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true })
  })
  return () => page.evaluate(() => (window as unknown as { __maxProgress: number }).__maxProgress)
}

export async function downloadBytes(download: Download): Promise<Buffer> {
  const path = await download.path()
  return readFileSync(path)
}

export async function clickAndDownload(page: Page, click: () => Promise<void>): Promise<Download> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()])
  return download
}

const require = createRequire(import.meta.url)
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeFinding {
  id: string
  impact: string | null
  help: string
  nodes: string[]
}

/** Runs axe-core in the page (evaluated through the debugger protocol, so the app's CSP does not apply). */
export async function axe(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(AXE_SOURCE)
  return page.evaluate(async () => {
    type Result = { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }
    const a = (
      window as unknown as { axe: { run(o: unknown): Promise<{ violations: Result[]; passes: Result[] }> } }
    ).axe
    const r = await a.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    })
    // A run that checked nothing proves nothing.
    if (r.passes.length === 0) throw new Error('axe ran no checks')
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => String(n.target)),
    }))
  })
}

/** Only what the issue forbids: serious and critical findings. */
export function serious(findings: AxeFinding[]): AxeFinding[] {
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical')
}

/** A screenshot of the page under `name`, and no serious axe finding on it. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name)
  expect(serious(await axe(page))).toEqual([])
}
