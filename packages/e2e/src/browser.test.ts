// The built library in Chromium (Debian's, driven by playwright-core), loaded as plain ES modules
// from dist/ with no bundler and no Node: the committed vectors both ways with Blob streams as
// sources, metadata, and the typed errors. Proves the library needs nothing but what a browser has.
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VECTORS_PATH } from './test-support/vectors.js'

// The page's module script: plain JS, sent as is (vitest would rewrite a function's dynamic import).
const PAGE_SCRIPT = `
(async () => {
  const out = (globalThis.progress = ['started'])
  const e2e = await import('/dist/index.js')
  out.push('imported')
  const vectors = await (await fetch('/vectors.json')).json()
  out.push('vectors')
  const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16))
  const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  const collect = async (it) =>
    new Uint8Array(await new Response(e2e.toReadableStream(it)).arrayBuffer())
  for (const v of vectors.files) {
    const key = hex(v.key)
    const plaintext =
      v.plaintext !== undefined
        ? hex(v.plaintext)
        : Uint8Array.from({ length: v.plaintextPattern }, (_, j) => (j * 7 + 3) & 255)
    const enc = await e2e.createEncryptor(key, { salt: hex(v.salt) })
    const ciphertext = await collect(enc.encrypt(new Blob([plaintext]).stream()))
    out.push(\`\${v.name} encrypt \${toHex(ciphertext) === v.ciphertext}\`)
    const back = await collect(
      e2e.decrypt(key, new Blob([hex(v.ciphertext)]).stream(), { expectedSalt: hex(v.salt) }),
    )
    out.push(\`\${v.name} decrypt \${toHex(back) === toHex(plaintext)}\`)
    const last = e2e.recordCount(plaintext.length) - 1
    const tail = await collect(
      enc.encrypt(new Blob([plaintext.subarray(last * 65536)]).stream(), { startRecord: last }),
    )
    out.push(
      \`\${v.name} resume \${toHex(tail) === v.ciphertext.slice(2 * (last === 0 ? 0 : e2e.recordOffset(last)))}\`,
    )
  }
  for (const v of vectors.metadata) {
    const sealed = await e2e.sealMetadata(hex(v.key), v.fields, hex(v.fileSalt))
    const opened = await e2e.openMetadata(hex(v.key), v.blob)
    out.push(\`\${v.name} metadata \${sealed === v.blob && JSON.stringify(opened.fields) === v.json}\`)
  }
  const v = vectors.files.at(-1)
  const errorOf = async (bytes, key = hex(v.key)) => {
    try {
      // Iterated directly: a Response over an errored stream would reject with its own TypeError.
      for await (const _ of e2e.decrypt(key, [bytes])) {
      }
      return 'none'
    } catch (err) {
      return \`\${err.name}/\${err.code}\`
    }
  }
  const c = hex(v.ciphertext)
  out.push(\`wrong key \${await errorOf(c, e2e.generateKey())}\`)
  out.push(\`truncated \${await errorOf(c.subarray(0, e2e.recordOffset(1)))}\`)
  const flipped = c.slice()
  flipped[100] ^= 1
  out.push(\`modified \${await errorOf(flipped)}\`)
  out.push(
    \`format \${await errorOf(new TextEncoder().encode('plain text that is no PSIE2E file at all'))}\`,
  )
  const link = e2e.linkWithKey(\`\${location.origin}/abc\`, hex(v.key))
  out.push(\`link \${toHex(e2e.keyFromLink(link)) === v.key && !e2e.linkWithoutKey(link).includes('#')}\`)
  globalThis.report = out
})().catch((err) => { globalThis.report = String(err && err.stack || err) })
`

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// Skipped only where no Chromium is installed (it is in CI and on the dev machines: CHROMIUM_PATH
// or /usr/bin/chromium, as for apps/web's browser tests); the Node tests cover the same logic.
describe.skipIf(!existsSync(CHROMIUM))('in Chromium', () => {
  let server: Server
  let browser: Browser
  let origin: string

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/')
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>e2e</title><script type="module" src="/page.js"></script>')
      if (path === '/page.js')
        return res.writeHead(200, { 'content-type': 'text/javascript' }).end(PAGE_SCRIPT)
      if (path === '/vectors.json')
        return res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(VECTORS_PATH))
      const file = normalize(join(pkg, path))
      if (!path.startsWith('/dist/') || !file.startsWith(join(pkg, 'dist')) || !existsSync(file))
        return res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}` // loopback: a secure context
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => server?.close(r))
  })

  it('passes the vectors both ways, resumes, and reports errors by class', async () => {
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`))
    await page.goto(`${origin}/`)
    await page
      .waitForFunction(() => 'report' in globalThis, null, { timeout: 20_000 })
      .catch(async (err) => {
        const progress = await page.evaluate(() =>
          JSON.stringify((globalThis as { progress?: unknown }).progress),
        )
        throw new Error(`in the page: ${problems.join('; ')}; got as far as ${progress}: ${err}`)
      })
    const report = await page.evaluate(() => (globalThis as unknown as { report: string[] | string }).report)
    if (typeof report === 'string') throw new Error(`in the page: ${report}`)
    expect(report.slice(0, 3)).toEqual(['started', 'imported', 'vectors'])
    const checks = report.slice(3)
    expect(checks.filter((line) => line.endsWith(' false'))).toEqual([])
    expect(checks.filter((line) => line.endsWith(' true'))).toHaveLength(3 * 5 + 3 + 1)
    expect(checks.filter((line) => !line.endsWith(' true'))).toEqual([
      'wrong key E2EWrongKeyError/wrong-key',
      'truncated E2ETruncatedError/truncated',
      'modified E2EModifiedError/modified',
      'format E2EFormatError/format',
    ])
  })
})
