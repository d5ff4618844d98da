/** The Azure account the tests run against (provided by global-setup.ts) and store factories. */
import { randomBytes } from 'node:crypto'
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { afterAll, inject } from 'vitest'
import { AzureStore, type AzureStoreDeps } from '../azure-store.js'
import type { AzureStoreOptions } from '../config.js'

export interface AzureTestEnv {
  connectionString: string
  container: string
  /** Azurite started by the test command (false: an account given by environment variables). */
  local: boolean
}

declare module 'vitest' {
  export interface ProvidedContext {
    azure: AzureTestEnv
  }
}

export function azureEnv(): AzureTestEnv {
  return inject('azure')
}

/** A blob-name prefix of its own for every test file, so runs never see each other's blobs. */
export function testPrefix(label: string): string {
  return `psi-test-${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`
}

export function storeOptions(prefix: string, extra: Partial<AzureStoreOptions> = {}): AzureStoreOptions {
  const env = azureEnv()
  return { connectionString: env.connectionString, container: env.container, prefix, ...extra }
}

/** A plain SDK client on the test container (to inspect what the store wrote). */
export function rawContainer(): ContainerClient {
  const env = azureEnv()
  return BlobServiceClient.fromConnectionString(env.connectionString).getContainerClient(env.container)
}

export async function clearPrefix(container: ContainerClient, prefix: string): Promise<void> {
  for await (const b of container.listBlobsFlat({ prefix })) {
    const blob = container.getBlobClient(b.name)
    await blob
      .getBlobLeaseClient()
      .breakLease(0)
      .catch(() => {})
    await blob.deleteIfExists()
  }
}

export interface StoreSuite {
  prefix: string
  raw: ContainerClient
  store(extra?: Partial<AzureStoreOptions>, deps?: AzureStoreDeps): AzureStore
}

/** A prefix, a raw client and a store factory whose stores are closed (and blobs removed) after the file. */
export function storeSuite(label: string): StoreSuite {
  const prefix = testPrefix(label)
  const raw = rawContainer()
  const stores: AzureStore[] = []
  afterAll(async () => {
    for (const s of stores) await s.close()
    await clearPrefix(raw, prefix)
  })
  return {
    prefix,
    raw,
    store(extra = {}, deps = {}) {
      const s = new AzureStore(storeOptions(prefix, extra), deps)
      stores.push(s)
      return s
    },
  }
}
