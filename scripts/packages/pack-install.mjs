// `pnpm test:pack`: the published packages work outside this workspace. Packs every publishable
// package (as `pnpm publish` would), installs the tarballs with npm into a new project under the
// OS temp dir (no workspace links, no hoisting from here; third-party dependencies come from the
// registry, `--prefer-offline` so a warm npm cache makes it fast), then runs the tests in
// ./consumer there with vitest: every export loads, the installed FS store passes the installed
// conformance kit, and the README example of core type-checks against the installed declarations
// and serves a resumed upload from tus-js-client.
// Set PSI_PACK_KEEP=1 to keep the temp project (its path is printed).
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pack, publishablePackages, ROOT } from './lib.mjs'

const here = path.join(ROOT, 'scripts/packages')
const EXAMPLE_MARKER = '<!-- example: server.mjs -->'
const work = mkdtempSync(path.join(tmpdir(), 'psi-pack-install-'))
if (!path.relative(ROOT, work).startsWith('..')) throw new Error(`${work} is inside the workspace`)
const keep = process.env.PSI_PACK_KEEP === '1'
let status = 1
try {
  const t0 = Date.now()
  const tarballs = path.join(work, 'tarballs')
  const app = path.join(work, 'app')
  mkdirSync(tarballs)
  mkdirSync(app)
  const packages = publishablePackages()
  const deps = {}
  for (const p of packages) deps[p.name] = `file:${pack(p, tarballs)}`
  // The test tools in the ranges this workspace uses (its pnpm catalog).
  const catalog = readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8')
  const version = (name) => {
    const m = new RegExp(`^\\s+"?${name}"?:\\s*(\\S+)\\s*$`, 'm').exec(catalog)
    if (!m) throw new Error(`${name} is not in the pnpm catalog`)
    return m[1]
  }
  deps.vitest = version('vitest')
  deps['tus-js-client'] = version('tus-js-client')
  deps.typescript = version('typescript')
  deps['@types/node'] = version('@types/node')
  writeFileSync(
    path.join(app, 'package.json'),
    `${JSON.stringify({ name: 'psi-pack-consumer', private: true, type: 'module', dependencies: deps }, null, 2)}\n`,
  )
  writeFileSync(path.join(app, 'installed.json'), JSON.stringify(packages.map((p) => p.name)))
  for (const f of readdirSync(path.join(here, 'consumer')))
    cpSync(path.join(here, 'consumer', f), path.join(app, f))
  const t1 = Date.now()
  console.log(`packed ${packages.map((p) => p.name).join(', ')} (${t1 - t0} ms); npm install in ${app}`)
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    stdio: 'inherit',
  })
  console.log(`installed (${Date.now() - t1} ms)`)
  // The README example, as published: the code block after the marker in the installed README.
  const readme = readFileSync(path.join(app, 'node_modules/@psitransfer/core/README.md'), 'utf8')
  const example = /```js\n([\s\S]*?)\n```/.exec(readme.split(EXAMPLE_MARKER)[1] ?? '')?.[1]
  if (!example) throw new Error(`no \`\`\`js block after "${EXAMPLE_MARKER}" in the installed core README`)
  writeFileSync(path.join(app, 'server.mjs'), example)
  execFileSync(process.execPath, [path.join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
    cwd: app,
    stdio: 'inherit',
  })
  console.log('README example type-checks against the installed declarations (strict, skipLibCheck off)')
  const run = spawnSync(process.execPath, [path.join(app, 'node_modules/vitest/vitest.mjs'), 'run'], {
    cwd: app,
    stdio: 'inherit',
  })
  status = run.status ?? 1
} finally {
  if (keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
process.exitCode = status
