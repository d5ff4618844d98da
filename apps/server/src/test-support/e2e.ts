/**
 * End-to-end harness: a real listening server on the filesystem store (loaded through the
 * same registry main.ts uses), in a fresh temp directory, on port 0.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Clock, ManualClock, MemoryLocker, type Store, systemClock } from '@psitransfer/core'
import { createMemoryLogger } from '../logger.js'
import { type RunningServer, startServer } from '../server.js'
import { registryFor } from '../stores.js'
import { hideBucketMarks } from '../upload/bucket-ids.js'
import { testConfig } from './harness.js'

export interface E2eServer extends RunningServer {
  /** The store as the routes see it: without the marks of used bucket ids. */
  store: Store
  /** The store the server was given, marks included (what the sweeper sees). */
  rawStore: Store
  dir: string
  url(path: string): string
  logger: ReturnType<typeof createMemoryLogger>
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'psi-e2e-'))
}

export async function startFsServer(
  options: {
    dir?: string
    clock?: Clock
    config?: Record<string, unknown>
    wrapStore?: (s: Store) => Store
  } = {},
): Promise<E2eServer> {
  const dir = options.dir ?? tempDir()
  const config = testConfig({
    port: 0,
    iface: '127.0.0.1',
    uploadDir: dir,
    sweepInterval: 3600,
    ...options.config,
  })
  const registry = await registryFor('filesystem')
  const raw = await registry.create(config.storage, { uploadDir: dir })
  await raw.init()
  const store = options.wrapStore ? options.wrapStore(raw) : raw
  const logger = createMemoryLogger()
  const running = await startServer({
    config,
    store,
    locker: new MemoryLocker(),
    clock: options.clock ?? systemClock,
    logger,
    authFailDelayMs: 0,
    webhookBackoffMs: 10,
    webRoot: null,
  })
  return {
    ...running,
    store: hideBucketMarks(store),
    rawStore: store,
    dir,
    logger,
    url: (path) => `http://127.0.0.1:${running.port}${path}`,
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export { ManualClock }
