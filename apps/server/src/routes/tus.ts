/**
 * The TUS endpoint `{U}files/` and `{U}files/{sid}++{key}`: {@link answerTus} runs core's
 * {@link handleTus} with PsiTransfer's upload hooks for a request however it arrived; the
 * Hono route ({@link tusRequest}) and the Node fast path (`http/tus-fast.ts`) only translate.
 * Plus the bucket-lock PATCH `{U}files/{sid}?lock=yes` (Hono only).
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
  PsiError,
  parseBucketId,
  type TusHeaders,
  withLock,
} from '@psitransfer/core'
import type { Context } from 'hono'
import { liveFiles } from '../bucket.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts, type RequestFacts } from '../http/client.js'
import { bodySignal, requestBody, sendSmall } from '../http/send.js'
import { requireServicePassword } from '../security/auth.js'
import { BUCKET_MARK_KEY, BUCKET_TOKEN_HEADER } from '../upload/bucket-ids.js'
import { type CreateLockHolder, createUploadHooks, releaseBucketLock } from '../upload/hooks.js'
import { bucketLockId } from '../upload/rules.js'

/** One TUS request, framework-neutral. */
export interface TusCall {
  method: string
  /** `sid++key` from the URL; `undefined` for the collection. */
  id: string | undefined
  headers: TusHeaders
  body: AsyncIterable<Uint8Array> | null
  /** Fires when the client goes away (not needed where the body itself fails then). */
  signal?: AbortSignal
  facts: RequestFacts
}

/** What to send back. */
export interface TusAnswer {
  status: number
  headers: Record<string, string>
  /** Plain-text body (core's answers). */
  body: string
  /** A JSON body instead (size limits, which the web client shows). */
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
function tusLocker(locker: Locker): Locker {
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

export async function answerTus(call: TusCall, deps: AppDeps): Promise<TusAnswer> {
  const { method } = call
  const holder: CreateLockHolder = {}
  const writing = method === 'PATCH' || method === 'POST'
  if (writing) deps.metrics.activeUploads++
  let res: Awaited<ReturnType<typeof handleTus>> | undefined
  try {
    res = await handleTus(
      {
        method,
        headers: call.headers,
        body: call.body,
        ...(call.signal ? { signal: call.signal } : {}),
        endpoint: `${deps.config.uploadAppPath}files/`,
        ...(call.id !== undefined ? { id: call.id } : {}),
      },
      {
        store: deps.store,
        locker: tusLocker(deps.locker),
        clock: deps.clock,
        hooks: createUploadHooks(call.facts, deps, holder),
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
      await releaseBucketLock(holder, call.facts.log)
    }
  }
  const answer: TusAnswer = { status: res.status, headers: res.headers, body: res.body }
  // The creation that took its bucket's id hands out the right to add more and to lock it.
  if (res.status === 201 && holder.took) answer.headers[BUCKET_TOKEN_HEADER] = holder.took.token
  if (res.status >= 400) answer.errorCode = `tus_${res.status}`
  if (res.status === 413) {
    // The contract (and PsiTransfer) answers size limits with JSON the web client can show.
    const { 'Content-Type': _type, ...headers } = res.headers
    answer.headers = headers
    answer.json = { code: 'TOO_LARGE', message: res.body }
  }
  return answer
}

/** The Hono route of the TUS endpoint. */
export async function tusRequest(
  c: Context<AppEnv>,
  deps: AppDeps,
  id: string | undefined,
): Promise<Response> {
  const method = c.req.method
  const hasBody = method === 'POST' || method === 'PATCH'
  const signal = hasBody ? bodySignal(c) : c.req.raw.signal
  const answer = await answerTus(
    {
      method,
      id,
      headers: c.req.raw.headers,
      body: hasBody ? requestBody(c) : null,
      ...(signal ? { signal } : {}),
      facts: honoFacts(c, deps.logger),
    },
    deps,
  )
  if (answer.errorCode) c.set('errorCode', answer.errorCode)
  if (answer.json) return c.json(answer.json, answer.status as 413, answer.headers)
  return sendSmall(c, answer.status, answer.headers, answer.body)
}

/**
 * `PATCH {U}files/{sid}?lock=yes`: no more files may be added to the bucket. Only its uploader
 * may lock it (the bucket token of its first creation), else anyone knowing a share link could.
 */
export async function lockBucket(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  await requireServicePassword(c, deps, deps.config.uploadPass, 'upload')
  const sid = parseBucketId(rawSid)
  const state = await deps.bucketIds.check(sid, c.req.header(BUCKET_TOKEN_HEADER))
  if (state === 'fresh' && (await deps.buckets.get(sid)).count === 0)
    throw new NotFoundError('Bucket not found')
  if (state !== 'owner') {
    throw new PsiError(
      'FORBIDDEN',
      `Only the bucket's uploader can lock it (send the ${BUCKET_TOKEN_HEADER} header its first upload answered)`,
    )
  }
  await withLock(
    deps.bucketLocker,
    bucketLockId(sid),
    { waitMs: 15_000, signal: c.req.raw.signal },
    async () => {
      const files = await liveFiles(deps.store, sid, deps.clock.now())
      if (files.length === 0) throw new NotFoundError('Bucket not found')
      // The shared ledger first: admissions on every instance read it (the files' flags are
      // what listings show, and what a recount goes by).
      await deps.buckets.ledgers?.lock(sid)
      for (const f of files) if (!f.bucketLocked) await deps.store.update(f, { bucketLocked: true })
      deps.buckets.locked(sid)
    },
  )
  return c.body(null, 204)
}
