#!/usr/bin/env node
// `psitransfer`, the bin of `npx @psitransfer/server`: the server with the web app shipped in this
// package, files in ./data of the current directory, every setting from PSITRANSFER_* variables or
// the JSON file named by PSITRANSFER_CONFIG (README.md), as PsiTransfer's own `npx psitransfer`.
import { readFileSync } from 'node:fs'

// npm only warns about `engines`; an older Node would fail later with an obscure error.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`psitransfer needs Node.js 20.19 or newer; this is ${process.version}.\n`)
  process.exit(1)
}

const args = process.argv.slice(2)
if (args.includes('--version') || args.includes('-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.version}\n`)
} else if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`Usage: psitransfer

Starts PsiTransfer: the upload page on http://0.0.0.0:3000/, files in ./data of the current directory.
It takes no options: configure it with PSITRANSFER_* environment variables, for example
  PSITRANSFER_PORT=8080 PSITRANSFER_UPLOAD_DIR=/srv/psitransfer PSITRANSFER_ADMIN_PASS=secret psitransfer
or a JSON file named by PSITRANSFER_CONFIG. Every setting:
  https://github.com/psitransfer-ts/psitransfer-ts/tree/main/apps/server#configuration
SIGTERM or Ctrl-C stops it gracefully.
`)
} else if (args.length > 0) {
  process.stderr.write(
    `psitransfer: unknown argument ${JSON.stringify(args[0])}. It takes no options; configure it with PSITRANSFER_* environment variables (psitransfer --help).\n`,
  )
  process.exit(2)
} else {
  await import('../dist/main.js')
}
