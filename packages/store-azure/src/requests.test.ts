/**
 * Requests per PATCH: what the TUS machine does per PATCH (lock, info, append, release) costs
 * Azure 6 requests, and what `info` kept for `append` never outlives the state it describes.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'
import type { FileRef } from '@psitransfer/core'
import { chunked, expectPsiError, newFileFixture } from '@psitransfer/core/testing'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import type { AzureStore } from './azure-store.js'
import { AzureLocker } from './locker.js'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('requests')
const host = new URL(suite.raw.url).host

/** The requests to Azure that `fn` makes, as `METHOD comp` (`comp` of the query, or the blob suffix). */
async function requestsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  const onRequest = (message: unknown) => {
    const req = (message as { request: ClientRequest }).request
    if (req.getHeader('host') !== host) return
    const url = new URL(req.path, 'http://x')
    const comp = url.searchParams.get('comp')
    const action = req.getHeader('x-ms-lease-action')
    seen.push(
      `${req.method} ${comp ?? (url.pathname.endsWith('.json') ? 'meta' : 'data')}${action ? ` ${action}` : ''}`,
    )
  }
  subscribe('http.client.request.start', onRequest)
  try {
    await fn()
  } finally {
    unsubscribe('http.client.request.start', onRequest)
  }
  return seen
}

/** Runs `fn` holding the upload's lock, as the TUS machine does around a PATCH. */
async function underLock<T>(store: AzureStore, file: FileRef, fn: () => Promise<T>): Promise<T> {
  const lock = await new AzureLocker(store).lock(`${file.sid}++${file.key}`)
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}

/** One PATCH as the TUS machine drives the store: lock, info, append, release. */
function patch(store: AzureStore, file: FileRef, offset: number, size: number) {
  return underLock(store, file, async () => {
    expect((await store.info(file)).offset).toBe(offset)
    return await store.append(file, chunked(patternBytes(7, offset, size)), offset)
  })
}

it('makes 6 requests per PATCH: lease, metadata and block list once, the block, the commit, release', async () => {
  // A long heartbeat interval (15 s): no timer beat lands inside the counted PATCHes.
  const store = suite.store({ lockStaleAfter: 60, blockSize: 1024 * 1024 })
  // PATCHes over half a block: none is merged into the next (no download of a small tail).
  const size = 600 * 1024
  const file = newFileFixture({ uploadLength: 3 * size, name: 'count.bin' })
  await store.create(file)
  let offset = 0
  for (let i = 0; i < 3; i++) {
    const requests = await requestsOf(async () => {
      offset = await patch(store, file, offset, size)
    })
    expect(requests.sort()).toEqual(
      [
        'PUT lease acquire',
        'GET meta',
        'GET blocklist',
        'PUT block',
        'PUT blocklist',
        'PUT lease release',
      ].sort(),
    )
  }
  expect(offset).toBe(3 * size)
  await store.complete(file)
  const chunks: Uint8Array[] = []
  for await (const c of await store.read(file)) chunks.push(c)
  const bytes = Buffer.concat(chunks)
  expect(bytes.equals(Buffer.from(patternBytes(7, 0, 3 * size)))).toBe(true)
})

it('still beats at once when the lease is taken on a blob idle longer than a beat interval', async () => {
  // lockStaleAfter 4 s: beat interval 1 s; the blob was last written > 2 s before the acquire.
  const store = suite.store({ lockStaleAfter: 4 })
  const file = newFileFixture({ uploadLength: 1000, name: 'idle.bin' })
  await store.create(file)
  await new Promise((r) => setTimeout(r, 2500))
  let lock: { release(): Promise<void> } | undefined
  const requests = await requestsOf(async () => {
    lock = await new AzureLocker(store).lock(`${file.sid}++${file.key}`)
    await new Promise((r) => setTimeout(r, 300))
  })
  await lock?.release()
  expect(requests).toEqual(['PUT lease acquire', 'PUT metadata'])
})

it('drops what info read when the metadata changes under the lock (a length declared in between)', async () => {
  const store = suite.store()
  const file = newFileFixture({ uploadLength: null, name: 'deferred.bin' })
  await store.create(file)
  await underLock(store, file, async () => {
    expect((await store.info(file)).uploadLength).toBe(null)
    await store.update(file, { uploadLength: 10 })
    // With the length info read (none), 20 bytes would be taken.
    await expectPsiError(store.append(file, chunked(patternBytes(8, 0, 20)), 0), 'TOO_LARGE')
  })
  expect((await store.info(file)).offset).toBe(0)
})

it('uses what info read for one append only (appends in a row under one lock, as a concatenation does)', async () => {
  const store = suite.store()
  const file = newFileFixture({ uploadLength: 30, name: 'row.bin' })
  await store.create(file)
  await underLock(store, file, async () => {
    expect((await store.info(file)).offset).toBe(0)
    expect(await store.append(file, chunked(patternBytes(9, 0, 10)), 0)).toBe(10)
    expect(await store.append(file, chunked(patternBytes(9, 10, 10)), 10)).toBe(20)
    await expectPsiError(store.append(file, chunked(patternBytes(9, 0, 10)), 0), 'OFFSET_MISMATCH')
  })
  expect((await store.info(file)).offset).toBe(20)
})

it('fails an append working from what info read when another instance deleted the upload meanwhile', async () => {
  const a = suite.store()
  const b = suite.store()
  const file = newFileFixture({ uploadLength: 10, name: 'deleted.bin' })
  await a.create(file)
  await underLock(a, file, async () => {
    expect((await a.info(file)).offset).toBe(0)
    await b.delete(file)
    await expectPsiError(a.append(file, chunked(patternBytes(3, 0, 10)), 0), 'NOT_FOUND')
  })
  await expectPsiError(b.info(file), 'NOT_FOUND')
  const left: { name: string }[] = []
  for await (const x of suite.raw.listBlobsFlat({
    prefix: `${suite.prefix}${file.sid}/`,
    includeUncommitedBlobs: true,
  }))
    left.push(x)
  expect(left.map((x) => x.name)).toEqual([])
})
