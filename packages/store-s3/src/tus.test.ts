/**
 * Core's TUS state machine on the S3 store and S3Locker, as the server wires them: a PsiTransfer
 * upload in 5,000,000-byte PATCHes spread over two server instances, concurrent PATCHes, and
 * termination leaving nothing behind in S3.
 */
import {
  type FileMeta,
  handleTus,
  newBucketId,
  systemClock,
  type TusDeps,
  type TusRequest,
} from '@psitransfer/core'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { afterAll, describe, expect, it } from 'vitest'
import { S3Locker } from './locker.js'
import type { S3Store } from './s3-store.js'
import { makeStore, rawClient, s3Env, testPrefix } from './test-support/env.js'
import { S3Probe } from './test-support/probe.js'
import { RawS3 } from './test-support/raw.js'
import { chunks } from './test-support/upload.js'

const MiB = 1024 * 1024
const prefix = testPrefix('tus')
const raw = new RawS3(rawClient(), s3Env().bucket)
const probe = new S3Probe(raw, prefix)
const stores: S3Store[] = []
const endpoint = 'http://localhost/files/'

afterAll(async () => {
  for (const s of stores) await s.close()
  await raw.clear(prefix)
  raw.client.destroy()
})

/** One "server instance": its own store, locker and hooks. */
function instance(completed: FileMeta[]): TusDeps {
  const store = makeStore(prefix, { partSize: 8 * MiB })
  stores.push(store)
  return {
    store,
    locker: new S3Locker(store),
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
    ...(body ? { body: chunks(body, 64 * 1024) } : {}),
  }
}

async function create(deps: TusDeps, length: number): Promise<string> {
  const res = await handleTus(request('POST', { 'Upload-Length': String(length) }), deps)
  expect(res.status).toBe(201)
  return (res.headers.Location as string).slice(endpoint.length)
}

async function patch(deps: TusDeps, id: string, offset: number, bytes: Uint8Array) {
  return handleTus(
    request(
      'PATCH',
      {
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': String(bytes.byteLength),
      },
      id,
      bytes,
    ),
    deps,
  )
}

describe('TUS on S3', () => {
  it('5,000,000-byte PATCHes alternating between two instances, HEAD in between, completed once', async () => {
    const completed: FileMeta[] = []
    const instances = [instance(completed), instance(completed)]
    const size = 23_456_789
    const payload = patternBytes(61, 0, size)
    const id = await create(instances[0] as TusDeps, size)
    let offset = 0
    for (let i = 0; offset < size; i++) {
      const deps = instances[i % 2] as TusDeps
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
    expect(await probe.verify({ sid, key } as never, payload)).toBe(size)
  })

  it('a PATCH with the wrong offset gets 409 and the current offset; concurrent PATCHes: one 204, one refused', async () => {
    const completed: FileMeta[] = []
    const [a, b] = [instance(completed), instance(completed)] as [TusDeps, TusDeps]
    const size = 6 * MiB
    const payload = patternBytes(62, 0, size)
    const id = await create(a, size)
    const wrong = await patch(b, id, 100, payload.subarray(100, 200))
    expect(wrong.status).toBe(409)
    const fast = { ...a, limits: { lockWaitMs: 0 } }
    const slow = { ...b, limits: { lockWaitMs: 0 } }
    const results = await Promise.all([patch(fast, id, 0, payload), patch(slow, id, 0, payload)])
    const statuses = results.map((r) => r.status).sort()
    expect(statuses[0]).toBe(204)
    expect([409, 423]).toContain(statuses[1])
    expect(completed).toHaveLength(1)
  })

  it('termination aborts the multipart upload and leaves no object behind', async () => {
    const completed: FileMeta[] = []
    const deps = instance(completed)
    const id = await create(deps, 40 * MiB)
    const res = await patch(deps, id, 0, patternBytes(63, 0, 9 * MiB))
    expect(res.headers['Upload-Offset']).toBe(String(9 * MiB))
    const [sid, key] = id.split('++') as [string, string]
    expect(await raw.multipartUploads(`${prefix}${sid}/`)).toHaveLength(1)
    expect((await handleTus(request('DELETE', {}, id), deps)).status).toBe(204)
    expect(await raw.multipartUploads(`${prefix}${sid}/`)).toEqual([])
    await expect.poll(async () => (await raw.list(`${prefix}${sid}/${key}`)).map((o) => o.key)).toEqual([])
    expect((await handleTus(request('HEAD', {}, id), deps)).status).toBe(404)
  })
})
