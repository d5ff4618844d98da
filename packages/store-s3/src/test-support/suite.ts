/**
 * What every S3 test file sets up: a key prefix of its own, a plain client and probe reading
 * it, and a store factory whose stores are closed (and the prefix emptied) after the file.
 */
import { afterAll } from 'vitest'
import type { S3StoreOptions } from '../config.js'
import type { S3Store, S3StoreDeps } from '../s3-store.js'
import { makeStore, rawClient, s3Env, testPrefix } from './env.js'
import { S3Probe } from './probe.js'
import { RawS3 } from './raw.js'

export interface StoreSuite {
  prefix: string
  raw: RawS3
  probe: S3Probe
  /** A new store on the suite's prefix: `defaults`, then `extra`. */
  store(extra?: Partial<S3StoreOptions>, deps?: S3StoreDeps): S3Store
}

export function storeSuite(label: string, defaults: Partial<S3StoreOptions> = {}): StoreSuite {
  const prefix = testPrefix(label)
  const raw = new RawS3(rawClient(), s3Env().bucket)
  const stores: S3Store[] = []
  afterAll(async () => {
    for (const s of stores) await s.close()
    await raw.clear(prefix)
    raw.client.destroy()
  })
  return {
    prefix,
    raw,
    probe: new S3Probe(raw, prefix),
    store(extra = {}, deps = {}) {
      const s = makeStore(prefix, { ...defaults, ...extra }, deps)
      stores.push(s)
      return s
    },
  }
}
