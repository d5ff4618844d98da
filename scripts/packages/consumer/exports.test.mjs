// Every subpath in the installed packages' `exports` loads, names what the docs promise, and
// every store package shares the one installed core (no nested copy: `instanceof` and the
// registry would split otherwise).
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const installed = JSON.parse(readFileSync(new URL('./installed.json', import.meta.url), 'utf8'))
const require = createRequire(import.meta.url)
const pkgDir = (name) => path.join(process.cwd(), 'node_modules', name)

const expected = {
  '@psitransfer/core': ['handleTus', 'createStore', 'StoreRegistry', 'MemoryLocker', 'PsiError'],
  '@psitransfer/core/testing': ['runStoreConformance', 'MemoryStore', 'CONFORMANCE_TESTS'],
  '@psitransfer/core/testing/pattern': ['patternBytes', 'patternStream', 'checkPattern'],
  '@psitransfer/store-fs': ['FileStore', 'fsStoreDefinition'],
  '@psitransfer/store-s3': ['S3Store'],
  '@psitransfer/store-azure': ['AzureStore', 'AzureLocker', 'azureStoreDefinition'],
  '@psitransfer/e2e': [
    'createEncryptor',
    'decrypt',
    'sealMetadata',
    'openMetadata',
    'keyFromLink',
    'E2EError',
  ],
  '@psitransfer/server': ['createApp', 'startServer', 'loadConfig', 'createJsonLogger'],
}

describe.each(installed)('installed %s', (name) => {
  const pkg = JSON.parse(readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8'))

  it('ships its LICENSE and README', () => {
    expect(existsSync(path.join(pkgDir(name), 'LICENSE'))).toBe(true)
    expect(existsSync(path.join(pkgDir(name), 'README.md'))).toBe(true)
  })

  it('depends on the one installed core, with a real version range', () => {
    expect(existsSync(path.join(pkgDir(name), 'node_modules/@psitransfer'))).toBe(false)
    for (const range of Object.values(pkg.dependencies ?? {}))
      expect(range).not.toMatch(/^(workspace|catalog):/)
  })

  const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json')
  it.each(subpaths)('export %s loads', async (subpath) => {
    const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`
    const mod = await import(specifier)
    expect(Object.keys(mod).length).toBeGreaterThan(0)
    for (const key of expected[specifier] ?? [])
      expect(mod, `${specifier} exports ${key}`).toHaveProperty(key)
    if (!name.startsWith('@psitransfer/store-')) return
    // A store package exports a definition for the registry: its type is the package's suffix.
    const type = name === '@psitransfer/store-fs' ? 'filesystem' : name.slice('@psitransfer/store-'.length)
    const definitions = Object.values(mod).filter(
      (v) => v && typeof v === 'object' && typeof v.create === 'function',
    )
    expect(definitions.map((d) => d.type)).toContain(type)
  })

  it('exposes package.json', () => {
    expect(require(`${name}/package.json`).version).toBe(pkg.version)
  })
})
