/**
 * Core's TUS state machine on the Azure store and AzureLocker, as a server wires them: a
 * PsiTransfer upload in 5,000,000-byte PATCHes spread over three instances sharing the
 * container, concurrent PATCHes, and termination leaving no blob behind.
 */
import {
  type FileMeta,
  handleTus,
  newBucketId,
  systemClock,
  type TusDeps,
  type TusRequest,
} from '@psitransfer/core'
import { chunked, collect } from '@psitransfer/core/testing'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { describe, expect, it } from 'vitest'
import { MiB } from './config.js'
import { AzureLocker } from './locker.js'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('tus')
const endpoint = 'http://localhost/files/'

/** One "server instance": its own store, locker and hooks. */
function instance(completed: FileMeta[]): TusDeps {
  const store = suite.store()
  return {
    store,
    locker: new AzureLocker(store),
    clock: systemClock,
    hooks: {
      onCreate: () => ({
        sid: newBucketId(),
        name: 'video.mp4',
        relativePath: '',
        comment: '',
        type: 'video/mp4',
        retention: 3600,
        createdAt: Date.now(),
        expiresAt: Date.now() + 3_600_000,
        bucketLocked: false,
        extra: {},
      }),
      onComplete: (meta) => {
        completed.push(meta)
      },
    },
  }
}

function request(
  method: string,
  headers: Record<string, string>,
  id?: string,
  body?: Uint8Array,
): TusRequest {
  return {
    method,
    headers: new Headers({ 'Tus-Resumable': '1.0.0', ...headers }),
    endpoint,
    ...(id ? { id } : {}),
    ...(body ? { body: chunked(body, [64 * 1024]) } : {}),
  }
}

async function create(deps: TusDeps, length: number): Promise<string> {
  const res = await handleTus(request('POST', { 'Upload-Length': String(length) }), deps)
  expect(res.status).toBe(201)
  return (res.headers.Location as string).slice(endpoint.length)
}

function patch(deps: TusDeps, id: string, offset: number, bytes: Uint8Array) {
  const headers = {
    'Upload-Offset': String(offset),
    'Content-Type': 'application/offset+octet-stream',
    'Content-Length': String(bytes.byteLength),
  }
  return handleTus(request('PATCH', headers, id, bytes), deps)
}

describe('TUS on Azure', () => {
  it('5,000,000-byte PATCHes rotating over three instances, HEAD in between, completed once', async () => {
    const completed: FileMeta[] = []
    const instances = [instance(completed), instance(completed), instance(completed)]
    const size = 23_456_789
    const payload = patternBytes(61, 0, size)
    const id = await create(instances[0] as TusDeps, size)
    let offset = 0
    for (let i = 0; offset < size; i++) {
      const deps = instances[i % 3] as TusDeps
      const head = await handleTus(request('HEAD', {}, id), deps)
      expect(head.headers['Upload-Offset']).toBe(String(offset))
      const n = Math.min(5_000_000, size - offset)
      const res = await patch(deps, id, offset, payload.subarray(offset, offset + n))
      expect(res.status).toBe(204)
      offset = Number(res.headers['Upload-Offset'])
    }
    expect(offset).toBe(size)
    expect(completed).toHaveLength(1)
    expect(completed[0]).toMatchObject({ complete: true, offset: size })
    const [sid, key] = id.split('++') as [string, string]
    const back = await collect(await (instances[2] as TusDeps).store.read({ sid, key } as never))
    expect(Buffer.from(back).equals(Buffer.from(payload))).toBe(true)
  })

  it('a PATCH with the wrong offset gets 409; concurrent PATCHes on two instances: one 204, one refused', async () => {
    const completed: FileMeta[] = []
    const [a, b] = [instance(completed), instance(completed)] as [TusDeps, TusDeps]
    const size = 3 * MiB
    const payload = patternBytes(62, 0, size)
    const id = await create(a, size)
    expect((await patch(b, id, 100, payload.subarray(100, 200))).status).toBe(409)
    const fast = { ...a, limits: { lockWaitMs: 0 } }
    const slow = { ...b, limits: { lockWaitMs: 0 } }
    const results = await Promise.all([patch(fast, id, 0, payload), patch(slow, id, 0, payload)])
    const statuses = results.map((r) => r.status).sort()
    expect(statuses[0]).toBe(204)
    expect([409, 423]).toContain(statuses[1])
    expect(completed).toHaveLength(1)
  })

  it('termination deletes data, metadata and everything else of the upload', async () => {
    const deps = instance([])
    const id = await create(deps, 40 * MiB)
    const res = await patch(deps, id, 0, patternBytes(63, 0, 3 * MiB))
    expect(res.headers['Upload-Offset']).toBe(String(3 * MiB))
    const [sid, key] = id.split('++') as [string, string]
    expect((await handleTus(request('DELETE', {}, id), deps)).status).toBe(204)
    const left: string[] = []
    for await (const b of suite.raw.listBlobsFlat({ prefix: `${suite.prefix}${sid}/${key}` }))
      left.push(b.name)
    expect(left).toEqual([])
    expect((await handleTus(request('HEAD', {}, id), deps)).status).toBe(404)
  })
})
