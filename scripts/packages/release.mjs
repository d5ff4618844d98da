// `pnpm release [--dry-run]`: publishes every publishable package whose version is not on npm yet,
// as `changeset publish` decides, after the same checks as CI. `--dry-run` changes nothing: it
// lists pending changesets (versions to bump first), then each package with its version, whether
// that version is already on npm, and the tarball that would be uploaded (bytes, files, unpacked).
// Release steps: CONTRIBUTING.md#releases.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { kB, pack, publishablePackages, ROOT, tarballStats } from './lib.mjs'

const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const unknown = args.filter((a) => a !== '--dry-run')
if (unknown.length) {
  console.error(`usage: pnpm release [--dry-run]  (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}

/** Changeset files not yet applied by `changeset version`: `{ file, bumps: { name: type } }`. */
function pendingChangesets() {
  const dir = path.join(ROOT, '.changeset')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((file) => {
      const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(path.join(dir, file), 'utf8'))?.[1] ?? ''
      const bumps = Object.fromEntries(
        [...front.matchAll(/^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/gm)].map((m) => [
          m[1],
          m[2],
        ]),
      )
      return { file, bumps }
    })
}

/** `published`, `new` (the registry has no such version) or `unknown (why)`. */
function registryState(name, version) {
  const r = spawnSync('npm', ['view', `${name}@${version}`, 'version', '--json'], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  if (r.status === 0) return r.stdout.trim() ? 'published' : 'new'
  if (/E404|404 Not Found/.test(`${r.stdout}${r.stderr}`)) return 'new'
  return `unknown (${(r.stderr || r.error?.message || 'npm view failed').trim().split('\n')[0]})`
}

const pending = pendingChangesets()
if (pending.length) {
  console.log(`Pending changesets (apply with \`pnpm changeset version\`, commit, then release):`)
  for (const c of pending) {
    console.log(
      `  ${c.file}: ${Object.entries(c.bumps)
        .map(([n, t]) => `${n} ${t}`)
        .join(', ')}`,
    )
  }
  if (!dryRun) {
    console.error('Refusing to publish with pending changesets.')
    process.exit(1)
  }
} else console.log('No pending changesets.')

if (!dryRun) {
  const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim()
  if (dirty) {
    console.error(`Refusing to publish from a dirty work tree:\n${dirty}`)
    process.exit(1)
  }
}

// A fresh build, so nothing stale is packed (turbo restores cached outputs only when inputs match).
execFileSync(
  path.join(ROOT, 'node_modules/.bin/turbo'),
  [
    'run',
    'build',
    '--filter=./packages/*',
    '--filter=@psitransfer/server...',
    '--filter=@psitransfer/web',
    '--output-logs=errors-only',
  ],
  {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
)

const dest = mkdtempSync(path.join(tmpdir(), 'psi-release-'))
const rows = []
try {
  for (const p of publishablePackages()) {
    const stats = tarballStats(pack(p, dest))
    rows.push({ p, stats, state: registryState(p.name, p.version) })
  }
} finally {
  rmSync(dest, { recursive: true, force: true })
}
const w = Math.max(...rows.map((r) => `${r.p.name}@${r.p.version}`.length))
console.log(
  `\n${dryRun ? 'Would publish' : 'Publishing'} (every package not private; the server with the web app inside):`,
)
for (const { p, stats, state } of rows) {
  const verdict =
    state === 'published' ? 'skip: already on npm' : state === 'new' ? 'publish' : `publish? ${state}`
  console.log(
    `  ${`${p.name}@${p.version}`.padEnd(w)}  ${`${stats.bytes} B`.padStart(9)} packed (${kB(stats.bytes)}), ${stats.files} files, ${kB(stats.unpacked)} unpacked  ${verdict}`,
  )
}
if (dryRun) {
  console.log('\nDry run: nothing was published.')
  process.exit(0)
}

const step = (cmd, cmdArgs) => {
  console.log(`\n$ ${cmd} ${cmdArgs.join(' ')}`)
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
step(process.execPath, [path.join(ROOT, 'scripts/packages/check.mjs')])
step(process.execPath, [path.join(ROOT, 'scripts/packages/pack-install.mjs')])
// `changeset publish` runs `pnpm publish` (which rewrites workspace: ranges) for every package whose
// version is not on npm yet, and tags each release in git.
step(path.join(ROOT, 'node_modules/.bin/changeset'), ['publish'])
console.log('\nPublished. Push the release tags: git push --follow-tags')
