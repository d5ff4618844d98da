/**
 * The TUS endpoint `{U}files/` and `{U}files/{sid}++{key}`: {@link answerTus} runs core's
 * {@link handleTus} with PsiTransfer's upload hooks for a request however it arrived; the
 * front doors (the Hono route in `routes/tus.ts`, the Node fast path in `routes/tus-fast.ts`)
 * only translate, and find it by the one table in `routes/tus-route.ts`.
 * Request bodies are the Node request itself on Node, so bytes flow from the socket into
 * `store.append` without a Web-stream adapter in between.
 * @module
 */
import { createHash } from 'node:crypto'
import {
  defaultChecksums,
  type Hasher,
  handleTus,
  ID_SEPARATOR,
  type Locker,
  NotFoundError,
  type TusRequest,
  type TusResponse,
} from '@psitransfer/core'
import type { RequestFacts } from '../http/client.js'
import { BUCKET_MARK_KEY, BUCKET_TOKEN_HEADER, bucketTokenCookie } from './bucket-ids.js'
import type { UploadDeps } from './deps.js'
import { type CreateLockHolder, createUploadHooks, releaseBucketLock } from './hooks.js'

/**
 * Core's {@link TusRequest} as a front door hands it over: without the endpoint URL (known
 * here), with what the password checks and hooks need of the client. `signal` is not needed
 * where the body itself fails when the client goes away.
 */
export interface TusEndpointRequest extends Omit<TusRequest, 'endpoint'> {
  facts: RequestFacts
}

/** Core's {@link TusResponse} with what the front doors send and count besides. */
export interface TusEndpointResponse extends TusResponse {
  /** A JSON body instead of `body` (size limits, which the web client shows). */
  json?: { code: string; message: string }
  /** For metrics: `tus_<status>` of refused requests. */
  errorCode?: string
}

/**
 * Native streaming hashers for the algorithms core offers: each piece of a checksummed chunk is
 * hashed as it arrives and nothing is kept, where core's Web Crypto default (which has no
 * streaming digest) hashes the whole chunk at the end, handing Node one more full copy of it.
 */
export const nodeChecksums: Record<string, () => Hasher> = Object.fromEntries(
  Object.keys(defaultChecksums).map((alg) => [
    alg,
    () => {
      const hash = createHash(alg)
      return {
        update: (chunk: Uint8Array) => {
          hash.update(chunk)
        },
        digest: async () => new Uint8Array(hash.digest()),
      }
    },
  ]),
)

const tusLockers = new WeakMap<Locker, Locker>()

/**
 * The upload locker as TUS requests use it: an id naming a bucket's mark (PATCH, HEAD or a
 * concatenation part `{sid}++psitransfer-bucket`) is not found without taking its lock, which
 * is the bucket's lock (`bucketLockId`): requests for it would hold up the bucket's creations.
 */
export function tusLocker(locker: Locker): Locker {
  let guarded = tusLockers.get(locker)
  if (!guarded) {
    guarded = {
      lock: (id, options) =>
        id.endsWith(`${ID_SEPARATOR}${BUCKET_MARK_KEY}`)
          ? Promise.reject(new NotFoundError('Upload not found'))
          : locker.lock(id, options),
    }
    tusLockers.set(locker, guarded)
  }
  return guarded
}

export async function answerTus(request: TusEndpointRequest, deps: UploadDeps): Promise<TusEndpointResponse> {
  const { method } = request
  const holder: CreateLockHolder = {}
  const writing = method === 'PATCH' || method === 'POST'
  if (writing) deps.metrics.activeUploads++
  let res: Awaited<ReturnType<typeof handleTus>> | undefined
  try {
    res = await handleTus(
      {
        method,
        headers: request.headers,
        body: request.body,
        ...(request.signal ? { signal: request.signal } : {}),
        endpoint: `${deps.config.uploadAppPath}files/`,
        ...(request.id !== undefined ? { id: request.id } : {}),
      },
      {
        store: deps.store,
        locker: tusLocker(deps.locker),
        clock: deps.clock,
        hooks: createUploadHooks(request.facts, deps, holder),
        limits: { maxSize: deps.config.maxFileSize },
        checksums: nodeChecksums,
        checksumBudget: deps.checksumBudget,
      },
    )
  } finally {
    if (writing) deps.metrics.activeUploads--
    if (holder.reservation) deps.buckets.cancel(holder.reservation)
    try {
      // The first file of a bucket was not created after all: the id is free again (released
      // before the bucket's lock, so no admission in between sees a mark without a file).
      if (holder.took && res?.status !== 201) await deps.bucketIds.release(holder.took.sid)
    } finally {
      await releaseBucketLock(holder, request.facts.log)
    }
  }
  const answer: TusEndpointResponse = { status: res.status, headers: res.headers, body: res.body }
  // The creation that took its bucket's id hands out the right to add more and to lock it.
  if (res.status === 201 && holder.took) {
    answer.headers[BUCKET_TOKEN_HEADER] = holder.took.token
    answer.headers['Set-Cookie'] = bucketTokenCookie(
      holder.took.sid,
      holder.took.token,
      deps.config.baseUrl,
      deps.config.uploadExpiry,
    )
  }
  if (res.status >= 400) answer.errorCode = `tus_${res.status}`
  if (res.status === 413) {
    // The contract (and PsiTransfer) answers size limits with JSON the web client can show.
    const { 'Content-Type': _type, ...headers } = res.headers
    answer.headers = headers
    answer.json = { code: 'TOO_LARGE', message: res.body }
  }
  return answer
}
