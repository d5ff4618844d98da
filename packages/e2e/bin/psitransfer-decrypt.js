#!/usr/bin/env node
// `psitransfer-decrypt`: decrypts a file that PsiTransfer encrypted end to end (psitransfer-decrypt --help).
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`psitransfer-decrypt needs Node.js 20.19 or newer; this is ${process.version}.\n`)
  process.exit(1)
}
const { main } = await import('../dist/cli.js')
process.exitCode = await main(process.argv.slice(2))
