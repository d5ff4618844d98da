/**
 * Entry point: the only module that reads the environment. Parses the config once (a bad
 * setting prints the key and value and exits 2), loads the package that provides
 * `storage.type`, builds the store and its locker through core's registry, serves, and shuts down gracefully on SIGTERM/SIGINT.
 * @module
 */
import { readFileSync } from 'node:fs'
import { systemClock, toPsiError } from '@psitransfer/core'
import { type Config, ConfigError } from './config.js'
import { createJsonLogger } from './logger.js'
import { startServer } from './server.js'
import { loadServerConfig } from './stores.js'

async function main(): Promise<void> {
  // Two steps: the general settings, then the store package of `storage.type` and its section.
  let config: Config
  let registry: Awaited<ReturnType<typeof loadServerConfig>>['registry']
  try {
    ;({ config, registry } = await loadServerConfig({
      env: process.env,
      readFile: (p) => readFileSync(p, 'utf8'),
    }))
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
    process.exit(2)
  }
  const logger = createJsonLogger({ level: config.logLevel })
  if (!config.secret) {
    logger.info(
      {},
      'no "secret" configured: download tokens are signed with a random per-boot key (set one for several instances)',
    )
  }

  let store: Awaited<ReturnType<typeof registry.create>>
  try {
    store = await registry.create(config.storage, { uploadDir: config.uploadDir, logger })
    await store.init()
  } catch (err) {
    const e = toPsiError(err)
    process.stderr.write(`Storage error: ${e.message}\n`)
    if (e.cause) logger.error({ err: e.cause }, 'storage initialization failed')
    process.exit(1)
  }
  const locker = registry.createLocker(config.storage.type, store)
  const running = await startServer({ config, store, locker, clock: systemClock, logger })
  const display = running.origin + config.uploadAppPath
  logger.info({ url: display, store: store.type }, 'PsiTransfer is listening')
  process.stdout.write(`PsiTransfer listening on ${display}\n`)

  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals > 1) process.exit(1)
    logger.info({ signal }, 'shutting down')
    running.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

void main().catch((err) => {
  process.stderr.write(`Fatal: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exit(1)
})
