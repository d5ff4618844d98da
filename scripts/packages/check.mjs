// `pnpm check:packages`: packs every publishable package as `pnpm publish` would and checks the
// tarball: publint --strict, arethetypeswrong (ESM-only profile: node16 from ESM and bundler must
// resolve every entry point with types), and our own rules: LICENSE and README shipped, no tests
// or test support, no workspace:/catalog: ranges left, every export target and every source-map
// source present, every package the built JS imports declared as a dependency (or peer), no stale
// build output (a dist file whose source is gone). Exits non-zero on any
// problem. Run `pnpm build` first (the script `check:packages` does).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { kB, pack, publishablePackages, ROOT, tarballStats } from './lib.mjs'

const bin = (name) => path.join(ROOT, 'node_modules/.bin', name)

/** Problems of one tarball by our own rules (publint and attw run separately). */
function contentProblems(stats) {
  const problems = []
  const files = new Map(stats.entries.map((e) => [e.path, e]))
  const pkgEntry = files.get('package.json')
  if (!pkgEntry) return ['package.json missing']
  const pkg = JSON.parse(pkgEntry.data.toString('utf8'))
  for (const f of ['LICENSE', 'README.md']) if (!files.has(f)) problems.push(`${f} missing`)
  for (const f of files.keys()) {
    if (/(^|\/)(test-support|fixtures)\/|\.test(-support)?\.|(^|\/)\.env/.test(f)) problems.push(`ships ${f}`)
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
      if (/^(workspace|catalog|link|file):/.test(range)) problems.push(`${field}.${dep} is "${range}"`)
    }
  }
  const declared = new Set(
    ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) => Object.keys(pkg[k] ?? {})),
  )
  const targets = []
  const walk = (v) => {
    if (typeof v === 'string') targets.push(v)
    else if (v && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk(pkg.exports)
  if (targets.length === 0) problems.push('no exports')
  for (const t of targets) {
    if (t.includes('*')) problems.push(`export pattern ${t} (not checked; list subpaths explicitly)`)
    else if (!files.has(path.posix.normalize(t))) problems.push(`export target ${t} is not in the tarball`)
  }
  for (const [f, e] of files) {
    if (f.endsWith('.map')) {
      const map = JSON.parse(e.data.toString('utf8'))
      for (const s of map.sources ?? []) {
        const src = path.posix.join(path.posix.dirname(f), map.sourceRoot ?? '', s)
        if (!files.has(src)) problems.push(`${f} points to ${src}, which is not in the tarball`)
      }
    }
    // Every package the build imports is declared (an installed package has no workspace hoisting).
    if (/^(dist|bin)\/.*\.js$/.test(f)) {
      const code = e.data.toString('utf8')
      for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*['"]([^'"./][^'"]*)['"]/g)) {
        const name = spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/')
        if (spec.startsWith('node:') || builtinModules.includes(name) || name === pkg.name) continue
        if (!declared.has(name)) problems.push(`${f} imports ${spec}, but ${name} is not a dependency`)
      }
    }
    const m = /^dist\/(.+)\.(js|d\.ts)$/.exec(f)
    if (m && !files.has(`src/${m[1]}.ts`))
      problems.push(`${f} has no source src/${m[1]}.ts (stale build? rebuild)`)
  }
  return problems
}

function run(cmd, args) {
  try {
    execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    })
    return null
  } catch (err) {
    return `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || String(err)
  }
}

async function main() {
  const dest = mkdtempSync(path.join(tmpdir(), 'psi-check-packages-'))
  let failed = 0
  const rows = []
  try {
    for (const p of publishablePackages()) {
      const tarball = pack(p, dest)
      const stats = tarballStats(tarball)
      const problems = contentProblems(stats)
      const publint = run(bin('publint'), ['run', tarball, '--strict'])
      if (publint) problems.push(`publint --strict:\n${publint}`)
      const attw = run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji'])
      if (attw) problems.push(`attw --profile esm-only:\n${attw}`)
      rows.push({ name: `${p.name}@${p.version}`, stats, ok: problems.length === 0 })
      if (problems.length) {
        failed++
        console.error(`\n✗ ${p.name}:\n  ${problems.join('\n  ')}`)
      }
    }
  } finally {
    rmSync(dest, { recursive: true, force: true })
  }
  const w = Math.max(...rows.map((r) => r.name.length))
  console.log(`\n${'package'.padEnd(w)}  ${'packed'.padStart(16)}  files  ${'unpacked'.padStart(9)}`)
  for (const r of rows) {
    const { bytes, files, unpacked } = r.stats
    console.log(
      `${r.name.padEnd(w)}  ${`${bytes} B`.padStart(8)} ${`(${kB(bytes)})`.padStart(9)}  ${String(files).padStart(5)}  ${kB(unpacked).padStart(9)}  ${r.ok ? 'ok' : 'FAILED'}`,
    )
  }
  console.log(`\n${rows.length - failed} passed, ${failed} failed`)
  if (failed) process.exitCode = 1
}

await main()
