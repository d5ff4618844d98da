/**
 * E2E plumbing: a real apps/server (built dist, FS store in a temp dir, free port) and Debian's
 * Chromium driven by playwright-core. Nothing here is mocked.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER_MAIN = resolve(WEB_ROOT, '../server/dist/main.js')
export const SCREENSHOTS = join(WEB_ROOT, 'test-results', 'screenshots')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags known to work on this machine kind (see the env notes): no sandbox as root, no background traffic. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A port nobody listens on right now (PsiTransfer's config does not accept port 0). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      s.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))))
    })
  })
}

export interface RunningServer {
  url: string
  dataDir: string
  output(): string
  stop(): Promise<void>
}

/** Starts `node apps/server/dist/main.js` with `PSITRANSFER_*` settings and waits until it answers. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: build apps/server first`)
  if (!existsSync(join(WEB_ROOT, 'dist', 'index.html')))
    throw new Error('apps/web/dist is missing: run the build')
  const root = await mkdtemp(join(tmpdir(), 'psi-web-e2e-'))
  const dataDir = join(root, 'data')
  await mkdir(dataDir)
  let lastError: unknown
  // A port can be taken between probing and binding by a parallel test run: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/`
    let log = ''
    const child: ChildProcess = spawn(process.execPath, [SERVER_MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        PSITRANSFER_PORT: String(port),
        PSITRANSFER_IFACE: '127.0.0.1',
        PSITRANSFER_UPLOAD_DIR: dataDir,
        PSITRANSFER_WEB_ROOT: join(WEB_ROOT, 'dist'),
        PSITRANSFER_LOG_LEVEL: 'warn',
        PSITRANSFER_ACCESS_LOG: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString()
    })
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)))
    void exited.then((code) => {
      log += `\n[harness] server exited with ${code}\n`
    })
    const ready = await waitUntilUp(url, exited)
    if (ready) {
      return {
        url,
        dataDir,
        output: () => log,
        async stop() {
          // Keep what the server said, for a failed run (test-results/ is an artifact folder).
          await mkdir(join(WEB_ROOT, 'test-results', 'server-logs'), { recursive: true })
          await writeFile(join(WEB_ROOT, 'test-results', 'server-logs', `${port}.log`), log)
          if (child.exitCode === null) {
            child.kill('SIGTERM')
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
            await exited
            clearTimeout(timer)
          }
          await rm(root, { recursive: true, force: true })
        },
      }
    }
    lastError = new Error(`server did not start on ${url}:\n${log}`)
    child.kill('SIGKILL')
    await exited
  }
  await rm(root, { recursive: true, force: true })
  throw lastError
}

async function waitUntilUp(url: string, exited: Promise<number | null>): Promise<boolean> {
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && !gone) {
    try {
      const res = await fetch(new URL('healthz', url))
      if (res.ok) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh`)
  // launch() gives every run a fresh temporary user-data-dir.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

export interface PageErrors {
  /** Uncaught exceptions and console errors in the page. */
  errors: string[]
  /** `alert()` / `confirm()` texts that were not expected (and were dismissed). */
  dialogs: string[]
}

/** A context that records page errors and unexpected dialogs; `accept` lists dialogs to accept. */
export async function newContext(
  browser: Browser,
  options: { width?: number; height?: number; dark?: boolean; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; seen: PageErrors; acceptNextDialog(): void }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.dark ? 'dark' : 'light',
    locale: options.locale ?? 'en-US',
    acceptDownloads: true,
  })
  const page = await context.newPage()
  const seen: PageErrors = { errors: [], dialogs: [] }
  let accept = 0
  page.on('pageerror', (e) => seen.errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text())
  })
  page.on('dialog', (d) => {
    // Leaving a page mid-upload asks first; tests that reload mean it.
    if (d.type() === 'beforeunload') {
      void d.accept()
      return
    }
    if (accept > 0 && d.type() === 'confirm') {
      accept--
      void d.accept()
    } else {
      seen.dialogs.push(`${d.type()}: ${d.message()}`)
      void d.dismiss()
    }
  })
  return {
    context,
    page,
    seen,
    acceptNextDialog: () => {
      accept++
    },
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}
