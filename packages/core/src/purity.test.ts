/**
 * Core must stay pure: no Node built-ins, no HTTP framework, no SDK, no store adapter.
 * This scans every import/export-from and dynamic import in src/ (tests included, except the
 * `testing` kit's optional vitest peer) and fails on anything but relative imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = new URL('.', import.meta.url).pathname
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
/** Node-only globals that would tie core to Node at runtime. */
const NODE_GLOBALS = /\b(?:Buffer\.|process\.(?!memoryUsage)|require\(|__dirname|__filename|setImmediate\()/

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* files(p)
    else if (p.endsWith('.ts')) yield p
  }
}

describe('core purity', () => {
  const sources = [...files(SRC)].filter((f) => !f.endsWith('.test.ts'))

  it('finds the sources it guards', () => {
    expect(sources.length).toBeGreaterThan(8)
  })

  it('imports only relative modules (and vitest from the testing kit)', () => {
    const offenders: string[] = []
    for (const file of sources) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? ''
        const rel = relative(SRC, file)
        const allowed =
          spec.startsWith('./') || spec.startsWith('../') || (rel.startsWith('testing/') && spec === 'vitest')
        if (!allowed) offenders.push(`${rel}: ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('uses no Node-only globals', () => {
    const offenders = sources
      .filter((f) => NODE_GLOBALS.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f))
    expect(offenders).toEqual([])
  })

  it('detects a forbidden import (the guard itself works)', () => {
    const sample =
      "import { readFile } from 'node:fs'\nexport { x } from '@aws-sdk/client-s3'\nconst h = await import('hono')"
    const specs = [...sample.matchAll(IMPORT)].map((m) => m[1] ?? m[2])
    expect(specs).toEqual(['node:fs', '@aws-sdk/client-s3', 'hono'])
  })
})
