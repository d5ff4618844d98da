/**
 * Vitest global setup: the Azure Blob service the tests run against. With
 * `PSI_AZURE_CONNECTION_STRING` set, that account is used (its container
 * `PSI_AZURE_CONTAINER`, default `psitransfer-test`, is created if missing); otherwise a
 * private Azurite on a free port with in-memory data, stopped when the run ends.
 */
import { BlobServiceClient } from '@azure/storage-blob'
import type { TestProject } from 'vitest/node'
// @ts-expect-error plain ESM script without types
import { AZURITE_VERSION, azuriteNode, startAzurite } from '../../scripts/azurite.mjs'
import type { AzureTestEnv } from './env.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const container = process.env.PSI_AZURE_CONTAINER ?? 'psitransfer-test'
  const external = process.env.PSI_AZURE_CONNECTION_STRING
  let stop = async () => {}
  let env: AzureTestEnv
  if (external) {
    env = { connectionString: external, container, local: false }
  } else {
    const t0 = Date.now()
    const azurite = await startAzurite()
    console.info(
      `[store-azure] Azurite ${AZURITE_VERSION} on port ${azurite.port} (${azuriteNode()}), up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    )
    stop = azurite.stop
    env = { connectionString: azurite.connectionString, container, local: true }
  }
  await BlobServiceClient.fromConnectionString(env.connectionString)
    .getContainerClient(container)
    .createIfNotExists()
  project.provide('azure', env)
  return stop
}
