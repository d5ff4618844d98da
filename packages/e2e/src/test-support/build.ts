// vitest globalSetup: builds dist/ once before any test file runs, so the CLI and browser tests
// (which run the built code) never see stale or half-written output from parallel builds.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export default async function setup(): Promise<void> {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const tsc = join(pkg, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { cwd: pkg })
}
