// Shared by the package scripts (check, pack-install test, release): which workspace packages are
// published, packing them the way `pnpm publish` does, and reading a tarball without extracting it.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The workspace folders (pnpm-workspace.yaml `packages:` globs, all of the form `dir/*`). */
function workspaceDirs() {
  const yaml = readFileSync(path.join(ROOT, 'pnpm-workspace.yaml'), 'utf8')
  const block = yaml.split(/^packages:\s*$/m)[1]?.split(/^\S/m)[0] ?? ''
  const globs = [...block.matchAll(/^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/gm)].map((m) => m[1])
  const dirs = []
  for (const glob of globs) {
    if (!glob.endsWith('/*')) throw new Error(`scripts/packages: unsupported workspace glob "${glob}"`)
    const parent = path.join(ROOT, glob.slice(0, -2))
    for (const name of readdirSync(parent).sort()) {
      const dir = path.join(parent, name)
      try {
        statSync(path.join(dir, 'package.json'))
        dirs.push(dir)
      } catch {}
    }
  }
  return dirs
}

/**
 * Every workspace package that is not `private`: exactly what `changeset publish` would publish.
 * A package becomes publishable (and so checked and pack-tested) by dropping `private: true`.
 */
export function publishablePackages() {
  return workspaceDirs()
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => pkg.private !== true)
    .map(({ dir, pkg }) => ({ dir, name: pkg.name, version: pkg.version, pkg }))
}

/** Runs pnpm: the one running this script when started by `pnpm run`, else the pinned one via npx. */
export function pnpm(args, options = {}) {
  const execPath = process.env.npm_execpath
  const [cmd, pre] =
    execPath && /pnpm/.test(path.basename(execPath))
      ? [process.execPath, [execPath]]
      : ['npx', ['--yes', 'pnpm@10.34.9']]
  return execFileSync(cmd, [...pre, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  })
}

/**
 * `pnpm pack` of one package into `dest` (what `pnpm publish` uploads: `workspace:` and `catalog:`
 * ranges replaced by real versions). Returns the tarball path.
 */
export function pack(p, dest) {
  const out = pnpm(['pack', '--pack-destination', dest, '--json'], { cwd: p.dir })
  const filename = JSON.parse(out.slice(out.indexOf('{'))).filename
  return path.isAbsolute(filename) ? filename : path.join(dest, filename)
}

/** The files of a `.tgz` (paths without the `package/` prefix) with their sizes and contents. */
export function readTarball(file) {
  const tar = gunzipSync(readFileSync(file))
  const entries = []
  let longName = null
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512)
    if (header.every((b) => b === 0)) break
    const field = (start, len) =>
      header
        .subarray(start, start + len)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    const body = tar.subarray(at + 512, at + 512 + size)
    at += 512 + Math.ceil(size / 512) * 512
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '')
      continue
    }
    if (type === 'x' || type === 'g') continue // pax headers
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    longName = null
    if (type !== '0' && type !== '') continue
    entries.push({ path: name.replace(/^[^/]+\//, ''), size, data: body })
  }
  return entries
}

/** Bytes, file count and unpacked bytes of a tarball. */
export function tarballStats(file) {
  const entries = readTarball(file)
  return {
    bytes: statSync(file).size,
    files: entries.length,
    unpacked: entries.reduce((sum, e) => sum + e.size, 0),
    entries,
  }
}

export const kB = (n) => `${(n / 1000).toFixed(1)} kB`
