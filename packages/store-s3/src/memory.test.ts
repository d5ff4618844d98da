/**
 * Memory stays bounded by the store's budget however many uploads run at once: 16 parallel
 * uploads never buffer more than 16 part sizes (the store counts every buffered byte).
 */

import { patternBytes } from '@psitransfer/core/testing/pattern'
import { afterAll, describe, expect, it } from 'vitest'
import { MIN_PART_SIZE } from './config.js'
import type { S3Store } from './s3-store.js'
import { makeStore, rawClient, s3Env, testPrefix } from './test-support/env.js'
import { S3Probe } from './test-support/probe.js'
import { RawS3 } from './test-support/raw.js'
import { newFile } from './test-support/upload.js'

const MiB = 1024 * 1024
const S = MIN_PART_SIZE
const prefix = testPrefix('memory')
const raw = new RawS3(rawClient(), s3Env().bucket)
const probe = new S3Probe(raw, prefix)
const stores: S3Store[] = []

afterAll(async () => {
  for (const s of stores) await s.close()
  await raw.clear(prefix)
  raw.client.destroy()
})

async function* body(seed: number, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += 256 * 1024) yield patternBytes(seed, at, Math.min(256 * 1024, size - at))
}

async function parallelUploads(s: S3Store, count: number, size: number) {
  const files = Array.from({ length: count }, (_, i) => ({ file: newFile(size + i), seed: 100 + i }))
  await Promise.all(files.map(({ file }) => s.create(file)))
  s.resetPeak()
  let peakRss = 0
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 20)
  const rss0 = process.memoryUsage().rss
  try {
    const offsets = await Promise.all(
      files.map(({ file, seed }) => s.append(file, body(seed, file.uploadLength as number), 0)),
    )
    expect(offsets).toEqual(files.map(({ file }) => file.uploadLength))
  } finally {
    clearInterval(sampler)
  }
  for (const { file, seed } of files) {
    await s.complete(file)
    expect(await probe.verify(file, patternBytes(seed, 0, file.uploadLength as number))).toBe(
      file.uploadLength,
    )
  }
  return { peak: s.stats.peakBufferedBytes, rssGrowth: peakRss - rss0 }
}

describe('memory', () => {
  it('16 parallel uploads with the default budget (4 parts) buffer within it', async () => {
    const s = makeStore(prefix, { partSize: S })
    stores.push(s)
    const { peak, rssGrowth } = await parallelUploads(s, 16, 3 * S + 12_345)
    expect(peak).toBeGreaterThan(0)
    expect(s.config.maxBufferedBytes).toBe(4 * S)
    expect(peak).toBeLessThanOrEqual(s.config.maxBufferedBytes)
    expect(rssGrowth).toBeLessThan(16 * S + 128 * MiB)
    expect(s.stats.bufferedBytes).toBe(0)
  }, 120_000)

  it('with room for 16 parts and 4 uploads in flight per request, 16 uploads still stay within 16 parts', async () => {
    const s = makeStore(prefix, { partSize: S, maxBufferedBytes: 16 * S, maxConcurrentPartUploads: 4 })
    stores.push(s)
    const { peak } = await parallelUploads(s, 16, 2 * S + 99)
    expect(peak).toBeLessThanOrEqual(16 * S)
  }, 120_000)
})
