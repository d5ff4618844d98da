/** The definition the server loads for `storage.type: azure`, checked by core's kit against Azurite. */
import { readStoreEnv, storeEnv } from '@psitransfer/core'
import { runDefinitionConformance } from '@psitransfer/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { azureStoreDefinition } from './definition.js'
import { AzureLocker } from './locker.js'
import { clearPrefix, rawContainer, storeOptions, testPrefix } from './test-support/env.js'

const prefix = testPrefix('definition')
afterAll(() => clearPrefix(rawContainer(), prefix))

runDefinitionConformance(azureStoreDefinition, { config: { ...storeOptions(prefix) } })

describe('azureStoreDefinition', () => {
  it('reads every option from PSITRANSFER_STORAGE_*, numbers and booleans parsed from their text', () => {
    expect(storeEnv(azureStoreDefinition).map((v) => `${v.name}:${v.kind}`)).toEqual([
      'PSITRANSFER_STORAGE_CONNECTION_STRING:string',
      'PSITRANSFER_STORAGE_ACCOUNT_NAME:string',
      'PSITRANSFER_STORAGE_ACCOUNT_KEY:string',
      'PSITRANSFER_STORAGE_ENDPOINT:string',
      'PSITRANSFER_STORAGE_CONTAINER:string',
      'PSITRANSFER_STORAGE_CREATE_CONTAINER:boolean',
      'PSITRANSFER_STORAGE_PREFIX:string',
      'PSITRANSFER_STORAGE_SIGNED_URL_EXPIRY:number',
      'PSITRANSFER_STORAGE_BLOCK_SIZE:number',
      'PSITRANSFER_STORAGE_LOCK_STALE_AFTER:number',
      'PSITRANSFER_STORAGE_ABANDONED_UPLOAD_TTL:number',
      'PSITRANSFER_STORAGE_MAX_ATTEMPTS:number',
      'PSITRANSFER_STORAGE_REQUEST_TIMEOUT_MS:number',
    ])
    const section = readStoreEnv(azureStoreDefinition, {
      PSITRANSFER_STORAGE_TYPE: 'azure',
      PSITRANSFER_STORAGE_ACCOUNT_NAME: 'acme',
      PSITRANSFER_STORAGE_ACCOUNT_KEY: 'c2VjcmV0',
      PSITRANSFER_STORAGE_CONTAINER: 'psitransfer',
      PSITRANSFER_STORAGE_CREATE_CONTAINER: 'true',
      PSITRANSFER_STORAGE_BLOCK_SIZE: '4194304',
      PSITRANSFER_STORAGE_LOCK_STALE_AFTER: '8',
    })
    expect(section).toEqual({
      accountName: 'acme',
      accountKey: 'c2VjcmV0',
      container: 'psitransfer',
      createContainer: true,
      blockSize: 4194304,
      lockStaleAfter: 8,
    })
    // What the variables give is what the schema takes, defaults filled in.
    expect(azureStoreDefinition.configSchema.parse(section)).toMatchObject({
      createContainer: true,
      blockSize: 4194304,
      lockStaleAfter: 8,
      signedUrlExpiry: 3600,
    })
    expect(() => readStoreEnv(azureStoreDefinition, { PSITRANSFER_STORAGE_BLOCK_SIZE: '8M' })).toThrow(
      'PSITRANSFER_STORAGE_BLOCK_SIZE: expected a number, got "8M"',
    )
    expect(() => readStoreEnv(azureStoreDefinition, { PSITRANSFER_STORAGE_BUCKET: 'x' })).toThrow(
      /PSITRANSFER_STORAGE_BUCKET: unknown setting for storage.type "azure"/,
    )
  })

  it('gives the Azure store its lease-based locker, and refuses another store', async () => {
    const store = await azureStoreDefinition.create(
      azureStoreDefinition.configSchema.parse(storeOptions(prefix)),
      {},
    )
    try {
      expect(azureStoreDefinition.createLocker?.(store)).toBeInstanceOf(AzureLocker)
      expect(() => azureStoreDefinition.createLocker?.({ ...store, type: 'azure' })).toThrow(TypeError)
    } finally {
      await store.close?.()
    }
  })
})
