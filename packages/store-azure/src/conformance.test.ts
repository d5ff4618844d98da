/**
 * The core conformance kit against Azurite (or the account named by PSI_AZURE_* variables),
 * with a probe reading the container directly. No test is skipped.
 */
import { runStoreConformance } from '@psitransfer/core/testing'
import { afterAll } from 'vitest'
import { AzureStore } from './azure-store.js'
import { MiB } from './config.js'
import { clearPrefix, rawContainer, storeOptions, testPrefix } from './test-support/env.js'
import { AzureProbe } from './test-support/probe.js'

const prefix = testPrefix('conformance')
const raw = rawContainer()

afterAll(async () => {
  await clearPrefix(raw, prefix)
})

runStoreConformance({
  name: 'AzureStore',
  // The smallest block size, so files of a few MiB already span several blocks.
  makeStore: () => new AzureStore(storeOptions(prefix, { blockSize: MiB })),
  // Another instance on the same container and prefix (nothing shared in memory with the first).
  reopen: () => new AzureStore(storeOptions(prefix, { blockSize: MiB })),
  probe: new AzureProbe(raw, prefix),
  bigFileBytes: 64 * MiB,
  bigFileTimeoutMs: 5 * 60_000,
})
