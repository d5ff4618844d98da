/** Shared fixtures for the TUS state machine tests. */
import { ManualClock } from '../clock.js'
import { parseBucketId } from '../ids.js'
import { MemoryLocker } from '../locker.js'
import { computeExpiry, type FileMeta } from '../meta.js'
import { b64, bytes, chunks, collect, failingBody, metadataHeader } from '../test-bodies.test-support.js'
import { MemoryStore } from '../testing/memory-store.js'
import { handleTus } from './handler.js'
import type { ChecksumBudget, TusDeps, TusHooks, TusLimits, TusRequest, TusResponse } from './types.js'

export { b64, bytes, chunks, collect, failingBody, metadataHeader }

export const ENDPOINT = '/files/'

export interface Harness {
  store: MemoryStore
  clock: ManualClock
  deps: TusDeps
  completed: FileMeta[]
  send(init: RequestInit_): Promise<TusResponse>
  create(
    length: number | null,
    metadata?: Record<string, string>,
    extraHeaders?: Record<string, string>,
  ): Promise<string>
  bytesOf(id: string): Promise<Uint8Array>
}

export interface RequestInit_ {
  method: string
  id?: string
  headers?: Record<string, string>
  body?: AsyncIterable<Uint8Array> | Uint8Array | null
  signal?: AbortSignal
  /** Omit Tus-Resumable. */
  noVersion?: boolean
}

export function harness(
  opts: { limits?: TusLimits; hooks?: Partial<TusHooks>; checksumBudget?: ChecksumBudget } = {},
): Harness {
  const store = new MemoryStore()
  const clock = new ManualClock()
  const completed: FileMeta[] = []
  const hooks: TusHooks = {
    onCreate: ({ metadata }) => {
      const createdAt = clock.now()
      return {
        sid: parseBucketId(metadata.sid ?? 'bucket1'),
        name: metadata.name ?? 'file.bin',
        relativePath: '',
        comment: metadata.comment ?? '',
        type: metadata.type ?? '',
        retention: 3600,
        createdAt,
        expiresAt: computeExpiry(createdAt, 3600, null),
        bucketLocked: false,
        extra: {},
        ...(metadata.password ? { password: `hashed:${metadata.password}` } : {}),
      }
    },
    onComplete: (meta) => {
      completed.push(meta)
    },
    ...opts.hooks,
  }
  const deps: TusDeps = {
    store,
    locker: new MemoryLocker(),
    clock,
    hooks,
    limits: { lockWaitMs: 50, ...opts.limits },
    ...(opts.checksumBudget ? { checksumBudget: opts.checksumBudget } : {}),
  }
  const send = async (init: RequestInit_) => {
    const headers = new Headers(init.headers)
    if (!init.noVersion) headers.set('Tus-Resumable', '1.0.0')
    let body: AsyncIterable<Uint8Array> | null = null
    if (init.body instanceof Uint8Array) {
      headers.set('Content-Length', String(init.body.byteLength))
      body = chunks(init.body, 1000)
    } else if (init.body) body = init.body
    const req: TusRequest = {
      method: init.method,
      headers,
      body,
      endpoint: ENDPOINT,
      ...(init.id !== undefined ? { id: init.id } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    }
    return handleTus(req, deps)
  }
  return {
    store,
    clock,
    deps,
    completed,
    send,
    async create(length, metadata = { sid: 'bucket1', name: 'a.bin' }, extraHeaders = {}) {
      const headers: Record<string, string> = { 'Upload-Metadata': metadataHeader(metadata), ...extraHeaders }
      if (length === null) headers['Upload-Defer-Length'] = '1'
      else headers['Upload-Length'] = String(length)
      const res = await send({ method: 'POST', headers })
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`)
      const location = res.headers.Location ?? ''
      return location.slice(ENDPOINT.length)
    },
    async bytesOf(id) {
      const [sid, key] = id.split('++') as [string, string]
      return collect(await store.read({ sid, key } as never))
    },
  }
}

export function patchHeaders(offset: number, extra: Record<string, string> = {}): Record<string, string> {
  return { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), ...extra }
}
