/** The S3 server the tests run against (provided by global-setup.ts) and store factories. */
import { randomBytes } from 'node:crypto'
import type { S3Client } from '@aws-sdk/client-s3'
import { inject } from 'vitest'
import { createS3Client } from '../client.js'
import { parseS3StoreConfig, type S3StoreOptions } from '../config.js'
import { S3Store, type S3StoreDeps } from '../s3-store.js'

export interface S3TestEnv {
  bucket: string
  region: string
  endpoint?: string
  credentials?: { accessKeyId: string; secretAccessKey: string }
  forcePathStyle?: boolean
  /** The local RGW started by the test command (false: a server given by environment variables). */
  local: boolean
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestEnv
  }
}

export function s3Env(): S3TestEnv {
  return inject('s3')
}

/** A key prefix of its own for every test file, so runs never see each other's objects. */
export function testPrefix(label: string): string {
  return `psi-test-${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`
}

export function storeOptions(prefix: string, extra: Partial<S3StoreOptions> = {}): S3StoreOptions {
  const env = s3Env()
  return {
    bucket: env.bucket,
    region: env.region,
    prefix,
    ...(env.endpoint ? { endpoint: env.endpoint } : {}),
    ...(env.credentials ? { credentials: env.credentials } : {}),
    ...(env.forcePathStyle !== undefined ? { forcePathStyle: env.forcePathStyle } : {}),
    ...extra,
  }
}

export function makeStore(
  prefix: string,
  extra: Partial<S3StoreOptions> = {},
  deps: S3StoreDeps = {},
): S3Store {
  return new S3Store(storeOptions(prefix, extra), deps)
}

/** A plain SDK client for the same server (to inspect what the store wrote). */
export function rawClient(): S3Client {
  return createS3Client(parseS3StoreConfig(storeOptions('')))
}
