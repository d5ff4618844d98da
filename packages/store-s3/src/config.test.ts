import { isPsiError, StoreRegistry } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { MAX_PART_SIZE, MIN_PART_SIZE, parseS3StoreConfig, partSizeFor } from './config.js'
import { s3StoreDefinition } from './definition.js'
import { S3Store } from './s3-store.js'

const MiB = 1024 * 1024

function message(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(isPsiError(err) && err.code).toBe('STORE_MISCONFIGURED')
    return (err as Error).message
  }
  throw new Error('expected a configuration error')
}

describe('parseS3StoreConfig', () => {
  it('fills in defaults (AWS: SDK checksums; custom endpoint: path style and when-required checksums)', () => {
    expect(parseS3StoreConfig({ bucket: 'bucket' })).toEqual({
      bucket: 'bucket',
      region: 'us-east-1',
      forcePathStyle: false,
      prefix: '',
      signedUrlExpiry: 3600,
      partSize: 8 * MiB,
      adaptivePartSize: true,
      deferredPartSize: 32 * MiB,
      maxConcurrentPartUploads: 4,
      maxBufferedBytes: 32 * MiB,
      checksums: 'when-supported',
      lockTtl: 5,
      maxAttempts: 3,
      requestTimeoutMs: 60_000,
      directUpload: false,
    })
    expect(parseS3StoreConfig({ bucket: 'bucket', endpoint: 'http://127.0.0.1:7480' })).toMatchObject({
      forcePathStyle: true,
      checksums: 'when-required',
    })
    expect(
      parseS3StoreConfig({
        bucket: 'bucket',
        endpoint: 'https://r2.example',
        forcePathStyle: false,
        checksums: 'when-supported',
      }),
    ).toMatchObject({ forcePathStyle: false, checksums: 'when-supported' })
  })

  it('is idempotent on its own output', () => {
    const once = parseS3StoreConfig({
      bucket: 'bucket',
      prefix: 'p/',
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    })
    expect(parseS3StoreConfig(once)).toEqual(once)
  })

  it('names the offending key', () => {
    expect(message(() => parseS3StoreConfig({}))).toMatch(/storage\.bucket is required/)
    expect(message(() => parseS3StoreConfig(null))).toMatch(/storage must be an object/)
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', partsize: 1 }))).toMatch(
      /storage\.partsize is not an option.*known: bucket/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', partSize: 4 * MiB }))).toMatch(
      /storage\.partSize must be an integer from 5242880 bytes to 5368709120 bytes/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', partSize: MAX_PART_SIZE + 1 }))).toMatch(
      /storage\.partSize/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', endpoint: 'not a url' }))).toMatch(
      /storage\.endpoint must be a URL/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', endpoint: 'ftp://x' }))).toMatch(
      /http:\/\/ or https:\/\//,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', endpoint: 'https://u:p@x' }))).toMatch(
      /must not contain credentials/,
    )
    expect(
      message(() => parseS3StoreConfig({ bucket: 'bucket', credentials: { accessKeyId: 'a' } })),
    ).toMatch(/storage\.credentials\.secretAccessKey/)
    expect(
      message(() =>
        parseS3StoreConfig({
          bucket: 'bucket',
          credentials: { accessKeyId: 'a', secretAccessKey: 's', x: 1 },
        }),
      ),
    ).toMatch(/storage\.credentials\.x/)
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', prefix: '../x/' }))).toMatch(
      /storage\.prefix/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', prefix: '/abs/' }))).toMatch(
      /storage\.prefix/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', checksums: 'always' }))).toMatch(
      /storage\.checksums/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', signedUrlExpiry: 0 }))).toMatch(
      /storage\.signedUrlExpiry/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', maxBufferedBytes: MiB }))).toMatch(
      /storage\.maxBufferedBytes/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', forcePathStyle: 'yes' }))).toMatch(
      /storage\.forcePathStyle must be true or false/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'bucket', adaptivePartSize: 1 }))).toMatch(
      /storage\.adaptivePartSize must be true or false/,
    )
    expect(message(() => parseS3StoreConfig({ bucket: 'b c' }))).toMatch(/not a valid bucket name/)
  })

  it('never puts credentials in messages', () => {
    const msg = message(() =>
      parseS3StoreConfig({
        bucket: 'bucket',
        credentials: { accessKeyId: 'AKIASECRET', secretAccessKey: 7 },
      }),
    )
    expect(msg).not.toContain('AKIASECRET')
  })
})

describe('partSizeFor', () => {
  const config = { partSize: 8 * MiB, deferredPartSize: 32 * MiB }
  it('keeps the configured size while 10,000 parts suffice, then grows in whole MiB', () => {
    expect(partSizeFor(0, config)).toBe(8 * MiB)
    expect(partSizeFor(10_000 * 8 * MiB, config)).toBe(8 * MiB)
    expect(partSizeFor(10_000 * 8 * MiB + 1, config)).toBe(9 * MiB)
    expect(partSizeFor(1024 * 1024 * MiB, config)).toBe(105 * MiB)
    expect(partSizeFor(null, config)).toBe(32 * MiB)
    expect(partSizeFor(Number.MAX_SAFE_INTEGER, config)).toBe(MAX_PART_SIZE)
    expect(MIN_PART_SIZE).toBe(5 * MiB)
  })
})

describe('s3StoreDefinition', () => {
  it('builds an S3Store through the registry', async () => {
    const store = await new StoreRegistry([s3StoreDefinition]).create({
      type: 's3',
      bucket: 'bucket',
      region: 'eu-west-1',
    })
    expect(store).toBeInstanceOf(S3Store)
    expect(store.type).toBe('s3')
    expect(typeof store.downloadUrl).toBe('function')
    await store.close?.()
  })
})
