/**
 * `pnpm new-store <name>` (scripts/new-store.mjs) creates a store package that typechecks against
 * this core and whose conformance test runs and fails until the store is written. Generated into
 * a temporary workspace root, never into this repository.
 */
import { execFile } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const core = fileURLToPath(new URL('..', import.meta.url))
const repo = path.resolve(core, '../..')
const script = path.join(repo, 'scripts/new-store.mjs')
const root = mkdtempSync(path.join(tmpdir(), 'psi-new-store-'))
mkdirSync(path.join(root, 'packages'))
copyFileSync(path.join(repo, 'tsconfig.base.json'), path.join(root, 'tsconfig.base.json'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const generate = (...args: string[]) =>
  run(process.execPath, [script, '--root', root, ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  )

/** Links what `pnpm install` would: this core and the toolchain core's own tests use. */
function link(pkgDir: string): void {
  const nm = path.join(pkgDir, 'node_modules')
  mkdirSync(path.join(nm, '@psitransfer'), { recursive: true })
  mkdirSync(path.join(nm, '@types'), { recursive: true })
  symlinkSync(core, path.join(nm, '@psitransfer/core'))
  for (const dep of ['vitest', 'typescript', '@types/node']) {
    symlinkSync(realpathSync(path.join(core, 'node_modules', dep)), path.join(nm, dep))
  }
}

describe('pnpm new-store', () => {
  it('creates packages/store-<name> that typechecks and fails its conformance test until written', async () => {
    const made = await generate('blob-box')
    expect(made).toMatchObject({ code: 0 })
    const dir = path.join(root, 'packages/store-blob-box')
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
    expect(pkg).toMatchObject({
      name: '@psitransfer/store-blob-box',
      type: 'module',
      license: 'BSD-2-Clause',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist', '!dist/**/*.test.*'],
      engines: { node: '>=20.19' },
      dependencies: { '@psitransfer/core': 'workspace:^' },
    })
    const index = readFileSync(path.join(dir, 'src/index.ts'), 'utf8')
    expect(index).toContain('export const blobBoxStoreDefinition = defineStore<BlobBoxStoreConfig>({')
    expect(index).toContain("type: 'blob-box'")
    const test = readFileSync(path.join(dir, 'src/conformance.test.ts'), 'utf8')
    expect(test.match(/runStoreConformance\(/g)).toHaveLength(1)
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('# @psitransfer/store-blob-box')

    link(dir)
    const tsc = path.join(dir, 'node_modules/typescript/bin/tsc')
    await run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json'), '--noEmit'], { cwd: dir })
    const vitest = path.join(dir, 'node_modules/vitest/vitest.mjs')
    const tested = await run(process.execPath, [vitest, 'run'], {
      cwd: dir,
      env: { ...process.env, CI: '1' },
    }).then(
      () => ({ code: 0, out: '' }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    )
    expect(tested.code).not.toBe(0)
    expect(tested.out).toContain('@psitransfer/store-blob-box: Store.create() is not implemented yet')
  }, 180_000)

  it('refuses an existing directory and names that are no store types', async () => {
    mkdirSync(path.join(root, 'packages/store-taken'))
    expect(await generate('taken')).toMatchObject({ code: 1, out: expect.stringContaining('already exists') })
    for (const bad of ['Azure', '1s3', 'a_b', 'a--b', 'x-', '../evil', '']) {
      expect(await generate(bad), bad).toMatchObject({
        code: 1,
        out: expect.stringContaining('not a store name'),
      })
    }
    expect(await generate()).toMatchObject({ code: 1, out: expect.stringContaining('usage') })
  }, 60_000)
})
