/**
 * The direction of imports (CONTRIBUTING.md, "Map of the house"), checked on the sources:
 * - in the server, every import goes down the layers below (a folder may also import itself);
 *   `main.ts` is imported by nothing;
 * - across packages, a store imports core and nothing of another store, and no package reaches
 *   into another one's files with a relative path. That core imports nothing but itself is
 *   `packages/core/src/purity.test.ts`.
 * Plain regexes over `import … from`, `export … from`, `import '…'` and `import()`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = new URL('.', import.meta.url).pathname
const PACKAGES = resolve(SRC, '..', '..', '..', 'packages')
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/**
 * The server's layers, bottom up. A module may import modules of lower layers, and of its own
 * layer only within its own folder (the root files of `base` import each other freely).
 */
const LAYERS: ReadonlyArray<{ name: string; holds: (file: string) => boolean }> = [
  {
    name: 'base',
    holds: (f) =>
      [
        'config.ts',
        'logger.ts',
        'metrics.ts',
        'webhooks.ts',
        'deliveries.ts',
        'i18n.ts',
        'bucket.ts',
        'env.ts',
        'stores.ts',
        'sweeper.ts',
        'buffer-pool.ts',
      ].includes(f),
  },
  { name: 'http, archive', holds: (f) => f.startsWith('http/') || f.startsWith('archive/') },
  { name: 'security', holds: (f) => f.startsWith('security/') },
  { name: 'mail', holds: (f) => f.startsWith('mail/') },
  { name: 'compat', holds: (f) => f.startsWith('compat/') },
  { name: 'api', holds: (f) => f.startsWith('api/') },
  { name: 'upload', holds: (f) => f.startsWith('upload/') },
  { name: 'deps', holds: (f) => f === 'deps.ts' },
  { name: 'routes', holds: (f) => f.startsWith('routes/') },
  { name: 'app', holds: (f) => f === 'app.ts' },
  { name: 'server', holds: (f) => f === 'server.ts' },
  { name: 'index', holds: (f) => f === 'index.ts' },
  { name: 'main', holds: (f) => f === 'main.ts' },
]

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* files(p)
    else if (p.endsWith('.ts')) yield p
  }
}

function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '')
}

const isTest = (f: string) => f.endsWith('.test.ts') || f.split('/').includes('test-support')
const posix = (p: string) => p.split(sep).join('/')
const folderOf = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : '')

function layerOf(file: string): number {
  const i = LAYERS.findIndex((l) => l.holds(file))
  if (i < 0) throw new Error(`${file} has no layer: add it to LAYERS and to CONTRIBUTING.md`)
  return i
}

/** `from` (a file under src/, `/`-separated) importing `spec`: the broken rule, if any. */
function serverViolation(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined
  const to = posix(join(dirname(from), spec)).replace(/\.js$/, '.ts')
  if (to === 'main.ts') return `${from} imports main.ts (the executable)`
  if (isTest(from) || isTest(to)) return undefined
  const [a, b] = [layerOf(from), layerOf(to)]
  if (b < a || (b === a && (folderOf(from) === folderOf(to) || LAYERS[a]?.name === 'base'))) return undefined
  return `${from} (${LAYERS[a]?.name}) imports ${to} (${LAYERS[b]?.name})`
}

/** `file` of package `pkg` (directory name under packages/) importing `spec`: the broken rule. */
function packageViolation(pkg: string, file: string, spec: string): string | undefined {
  if (spec.startsWith('.')) {
    const to = posix(relative(join(PACKAGES, pkg), resolve(dirname(join(PACKAGES, pkg, file)), spec)))
    return to.startsWith('../') ? `${pkg}/${file} reaches into ${posix(join(pkg, to))}` : undefined
  }
  const scoped = /^@psitransfer\/([^/]+)/.exec(spec)?.[1]
  if (pkg.startsWith('store-') && scoped !== undefined && scoped !== 'core' && scoped !== pkg) {
    return `${pkg}/${file} imports ${spec} (a store imports only core)`
  }
  return undefined
}

describe('import direction in the server', () => {
  const sources = [...files(SRC)].map((f) => posix(relative(SRC, f)))

  it('finds the layers it guards', () => {
    for (const dir of ['http/', 'security/', 'upload/', 'routes/']) {
      expect(sources.filter((f) => f.startsWith(dir) && !isTest(f)).length, dir).toBeGreaterThan(2)
    }
  })

  it('imports only downwards, and nothing imports main.ts', () => {
    const offenders: string[] = []
    for (const file of sources) {
      for (const spec of importsOf(readFileSync(join(SRC, file), 'utf8'))) {
        const broken = serverViolation(file, spec)
        if (broken) offenders.push(broken)
      }
    }
    expect(offenders).toEqual([])
  })

  it('catches imports against the direction (the guard itself works)', () => {
    expect(serverViolation('http/tus-fast.ts', '../routes/tus.js')).toMatch(/imports routes\/tus.ts/)
    expect(serverViolation('upload/hooks.ts', '../routes/download.js')).toBeDefined()
    expect(serverViolation('security/auth.ts', '../routes/tus.js')).toBeDefined()
    expect(serverViolation('security/auth.ts', '../deps.js')).toBeDefined()
    expect(serverViolation('http/send.ts', '../security/auth.js')).toBeDefined()
    expect(serverViolation('api/schemas.ts', '../upload/rules.js')).toBeDefined()
    expect(serverViolation('config.ts', './http/client.js')).toBeDefined()
    expect(serverViolation('index.ts', './main.js')).toMatch(/main.ts/)
    expect(serverViolation('main.test.ts', './main.js')).toMatch(/main.ts/)
    // Allowed: down the layers, within a folder, among the base files, and tests.
    expect(serverViolation('routes/tus.ts', '../upload/tus-endpoint.js')).toBeUndefined()
    expect(serverViolation('upload/direct-endpoint.ts', '../api/schemas.js')).toBeUndefined()
    expect(serverViolation('upload/hooks.ts', './complete.js')).toBeUndefined()
    expect(serverViolation('bucket.ts', './config.js')).toBeUndefined()
    expect(serverViolation('upload/complete.test.ts', '../deps.js')).toBeUndefined()
    expect(
      importsOf(
        "import {\n  a,\n} from '../x.js'\nexport * from './y.js'\nimport './w.js'\nawait import('./z.js')",
      ),
    ).toEqual(['../x.js', './y.js', './w.js', './z.js'])
  })
})

describe('import direction across packages', () => {
  const packages = readdirSync(PACKAGES).filter((p) => statSync(join(PACKAGES, p, 'src')).isDirectory())

  it('finds core and the stores', () => {
    expect(packages).toContain('core')
    expect(packages.filter((p) => p.startsWith('store-')).length).toBeGreaterThanOrEqual(3)
  })

  it('stores import core, not each other; no package reaches into another', () => {
    const offenders: string[] = []
    for (const pkg of packages) {
      for (const path of files(join(PACKAGES, pkg, 'src'))) {
        const file = posix(relative(join(PACKAGES, pkg), path))
        for (const spec of importsOf(readFileSync(path, 'utf8'))) {
          const broken = packageViolation(pkg, file, spec)
          if (broken) offenders.push(broken)
        }
      }
    }
    expect(offenders).toEqual([])
  })

  it('catches a store importing another store (the guard itself works)', () => {
    expect(packageViolation('store-s3', 'src/x.ts', '@psitransfer/store-fs')).toBeDefined()
    expect(packageViolation('store-fs', 'src/x.ts', '../../store-s3/src/y.js')).toBeDefined()
    expect(packageViolation('core', 'src/x.ts', '../../store-fs/src/y.js')).toBeDefined()
    expect(packageViolation('store-s3', 'src/x.ts', '@psitransfer/core/testing')).toBeUndefined()
    expect(packageViolation('store-s3', 'src/a/x.ts', '../y.js')).toBeUndefined()
  })
})
