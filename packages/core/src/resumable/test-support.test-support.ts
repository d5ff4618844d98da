/** Shared fixtures for the resumable-upload machine tests. */
import { ManualClock } from '../clock.js'
import { parseBucketId } from '../ids.js'
import { MemoryLocker } from '../locker.js'
import { computeExpiry, type FileMeta } from '../meta.js'
import { b64, bytes, chunks, collect, failingBody, metadataHeader } from '../test-bodies.test-support.js'
import { MemoryStore } from '../testing/memory-store.js'
import type { TusHooks } from '../tus/types.js'
import { handleResumable, PARTIAL_UPLOAD_CONTENT_TYPE } from './handler.js'
import type {
  InformationalResponse,
  ResumableDeps,
  ResumableLimits,
  ResumableRequest,
  ResumableResponse,
} from './types.js'

export { b64, bytes, chunks, collect, failingBody }

export const ENDPOINT = 'https://example.com/uploads/'

export interface Send {
  method: string
  id?: string
  headers?: Record<string, string>
  /** Bytes get a Content-Length; an iterable goes without one (chunked). */
  body?: AsyncIterable<Uint8Array> | Uint8Array | null
  signal?: AbortSignal
  /** Collects informational responses live (as the server's callback would send them). */
  live?: InformationalResponse[]
  /** Sets `Upload-Draft-Interop-Version` (default 9; `null` for none). */
  interop?: number | null
}

export interface Harness {
  store: MemoryStore
  clock: ManualClock
  deps: ResumableDeps
  completed: FileMeta[]
  terminated: FileMeta[]
  errors: unknown[]
  send(init: Send): Promise<ResumableResponse>
  /** Creates an upload (careful creation: no content) and returns its id. */
  create(headers?: Record<string, string>): Promise<string>
  bytesOf(id: string): Promise<Uint8Array>
}

/** PsiTransfer's metadata as the TUS-encoded `Upload-Metadata` header. */
export function metadata(md: Record<string, string> = { sid: 'bucket1' }): string {
  return metadataHeader(md)
}

export function appendHeaders(offset: number, complete: boolean, extra: Record<string, string> = {}) {
  return {
    'Content-Type': PARTIAL_UPLOAD_CONTENT_TYPE,
    'Upload-Offset': String(offset),
    'Upload-Complete': complete ? '?1' : '?0',
    ...extra,
  }
}

export function idOf(res: ResumableResponse): string {
  const location = res.headers.Location ?? ''
  if (!location.startsWith(ENDPOINT)) throw new Error(`no Location: ${res.status} ${res.body}`)
  return location.slice(ENDPOINT.length)
}

export function harness(opts: { limits?: ResumableLimits; hooks?: Partial<TusHooks> } = {}): Harness {
  const store = new MemoryStore()
  const clock = new ManualClock()
  const completed: FileMeta[] = []
  const terminated: FileMeta[] = []
  const errors: unknown[] = []
  const hooks: TusHooks = {
    onCreate: ({ metadata: md }) => {
      const createdAt = clock.now()
      return {
        sid: parseBucketId(md.sid ?? 'bucket1'),
        name: md.name ?? 'file.bin',
        relativePath: '',
        comment: md.comment ?? '',
        type: md.type ?? '',
        retention: 3600,
        createdAt,
        expiresAt: computeExpiry(createdAt, 3600, null),
        bucketLocked: false,
        extra: md.note ? { note: md.note } : ({} as Record<string, string>),
        ...(md.password ? { password: `hashed:${md.password}` } : {}),
      }
    },
    onComplete: (meta) => {
      completed.push(meta)
    },
    onTerminate: (meta) => {
      terminated.push(meta)
    },
    onError: (err) => {
      errors.push(err)
    },
    ...opts.hooks,
  }
  const deps: ResumableDeps = {
    store,
    locker: new MemoryLocker(),
    clock,
    hooks,
    limits: { lockWaitMs: 50, ...opts.limits },
  }
  const send = async (init: Send) => {
    const headers = new Headers(init.headers)
    const interop = init.interop === undefined ? 9 : init.interop
    if (interop !== null) headers.set('Upload-Draft-Interop-Version', String(interop))
    let body: AsyncIterable<Uint8Array> | null = null
    if (init.body instanceof Uint8Array) {
      headers.set('Content-Length', String(init.body.byteLength))
      body = chunks(init.body, 1000)
    } else if (init.body) body = init.body
    const live = init.live
    const req: ResumableRequest = {
      method: init.method,
      headers,
      body,
      endpoint: ENDPOINT,
      ...(init.id !== undefined ? { id: init.id } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
      ...(live ? { informational: (r: InformationalResponse) => void live.push(r) } : {}),
    }
    return handleResumable(req, deps)
  }
  return {
    store,
    clock,
    deps,
    completed,
    terminated,
    errors,
    send,
    async create(extra = {}) {
      const res = await send({
        method: 'POST',
        headers: { 'Upload-Complete': '?0', 'Upload-Metadata': metadata(), ...extra },
      })
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`)
      return idOf(res)
    },
    async bytesOf(id) {
      const [sid, key] = id.split('++') as [string, string]
      return collect(await store.read({ sid, key } as never))
    },
  }
}
