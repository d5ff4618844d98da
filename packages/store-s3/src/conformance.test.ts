/**
 * The core conformance kit against a real S3 server (the local Ceph RGW the test command
 * starts, or the server named by PSI_S3_* variables), with a probe reading S3 directly.
 */
import { runStoreConformance } from '@psitransfer/core/testing'
import { afterAll } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import { makeStore, rawClient, s3Env, testPrefix } from './test-support/env.js'
import { PartRecorder, S3Probe } from './test-support/probe.js'
import { RawS3 } from './test-support/raw.js'

const MiB = 1024 * 1024
const prefix = testPrefix('conformance')
const raw = new RawS3(rawClient(), s3Env().bucket)
const recorder = new PartRecorder()

afterAll(async () => {
  await raw.clear(prefix)
  raw.client.destroy()
})

runStoreConformance({
  name: 'S3Store',
  // The smallest part size S3 allows, so files of a few MiB already span several parts.
  makeStore: () => {
    const store = makeStore(prefix, { partSize: MIN_PART_SIZE })
    recorder.attach(store.client)
    return store
  },
  // Another instance on the same bucket and prefix (nothing shared in memory with the first).
  reopen: () => {
    const store = makeStore(prefix, { partSize: MIN_PART_SIZE })
    recorder.attach(store.client)
    return store
  },
  probe: new S3Probe(raw, prefix, recorder),
  bigFileBytes: 256 * MiB,
  bigFileTimeoutMs: 5 * 60_000,
})
