// The web app inside the @psitransfer/server tarball: its `prepack` runs `copy`, its `postpack`
// `clean`. `copy` builds the server and the web app through turbo (cached: fast when nothing
// changed, so a manual `pnpm pack` or `pnpm publish` never ships a stale build) and copies
// apps/web/dist to apps/server/public, where the installed server finds it by default
// (apps/server/src/app.ts). `clean` removes that copy again, so the workspace keeps serving
// apps/web/dist itself. apps/server/public is git-ignored.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './lib.mjs'

const webDist = path.join(ROOT, 'apps/web/dist')
const publicDir = path.join(ROOT, 'apps/server/public')
const mode = process.argv[2]

if (mode === 'copy') {
  // Quiet unless it fails: `pnpm pack --json` callers parse stdout (scripts/packages/lib.mjs).
  try {
    execFileSync(
      path.join(ROOT, 'node_modules/.bin/turbo'),
      [
        'run',
        'build',
        '--filter=@psitransfer/server...',
        '--filter=@psitransfer/web',
        '--output-logs=errors-only',
      ],
      { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' },
    )
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`)
    console.error('server-web: building the server and the web app failed (above); nothing packed')
    process.exit(1)
  }
  if (!existsSync(path.join(webDist, 'index.html'))) {
    throw new Error(
      `server-web: ${webDist}/index.html is missing after the build; the tarball would have no web app`,
    )
  }
  rmSync(publicDir, { recursive: true, force: true })
  cpSync(webDist, publicDir, { recursive: true })
} else if (mode === 'clean') {
  rmSync(publicDir, { recursive: true, force: true })
} else {
  console.error('usage: node scripts/packages/server-web.mjs copy|clean')
  process.exit(2)
}
