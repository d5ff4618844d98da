/** The definition the server loads for `storage.type: s3`, checked by core's kit against the real S3 server. */
import { readStoreEnv, storeEnv } from '@psitransfer/core'
import { runDefinitionConformance } from '@psitransfer/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { s3StoreDefinition } from './definition.js'
import { S3Locker } from './locker.js'
import { rawClient, s3Env, storeOptions, testPrefix } from './test-support/env.js'
import { RawS3 } from './test-support/raw.js'

const prefix = testPrefix('definition')
const raw = new RawS3(rawClient(), s3Env().bucket)
afterAll(async () => {
  await raw.clear(prefix)
  raw.client.destroy()
})

runDefinitionConformance(s3StoreDefinition, { config: { ...storeOptions(prefix) } })

describe('s3StoreDefinition', () => {
  it('reads every option from PSITRANSFER_STORAGE_*, the credentials by their AWS-like names', () => {
    expect(storeEnv(s3StoreDefinition).map((v) => v.name)).toEqual([
      'PSITRANSFER_STORAGE_BUCKET',
      'PSITRANSFER_STORAGE_REGION',
      'PSITRANSFER_STORAGE_ENDPOINT',
      'PSITRANSFER_STORAGE_FORCE_PATH_STYLE',
      'PSITRANSFER_STORAGE_ACCESS_KEY_ID',
      'PSITRANSFER_STORAGE_SECRET_ACCESS_KEY',
      'PSITRANSFER_STORAGE_SESSION_TOKEN',
      'PSITRANSFER_STORAGE_PREFIX',
      'PSITRANSFER_STORAGE_SIGNED_URL_EXPIRY',
      'PSITRANSFER_STORAGE_PART_SIZE',
      'PSITRANSFER_STORAGE_ADAPTIVE_PART_SIZE',
      'PSITRANSFER_STORAGE_DEFERRED_PART_SIZE',
      'PSITRANSFER_STORAGE_MAX_CONCURRENT_PART_UPLOADS',
      'PSITRANSFER_STORAGE_MAX_BUFFERED_BYTES',
      'PSITRANSFER_STORAGE_CHECKSUMS',
      'PSITRANSFER_STORAGE_LOCK_TTL',
      'PSITRANSFER_STORAGE_MAX_ATTEMPTS',
      'PSITRANSFER_STORAGE_REQUEST_TIMEOUT_MS',
      'PSITRANSFER_STORAGE_DIRECT_UPLOAD',
    ])
    expect(
      readStoreEnv(s3StoreDefinition, {
        PSITRANSFER_STORAGE_ACCESS_KEY_ID: 'AK',
        PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: 'SK',
        PSITRANSFER_STORAGE_LOCK_TTL: '30',
      }),
    ).toEqual({ credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, lockTtl: 30 })
  })

  it('gives the S3 store its bucket-wide locker', async () => {
    const store = await s3StoreDefinition.create(
      s3StoreDefinition.configSchema.parse(storeOptions(prefix)),
      {},
    )
    try {
      expect(s3StoreDefinition.createLocker?.(store)).toBeInstanceOf(S3Locker)
    } finally {
      await store.close?.()
    }
  })
})
