/**
 * The TUS endpoint `{U}files/` and `{U}files/{sid}++{key}`: translates Hono requests into
 * core's {@link handleTus} and back, plus the bucket-lock PATCH `{U}files/{sid}?lock=yes`.
 * Request bodies are the Node request itself on @hono/node-server, so bytes flow from the
 * socket into `store.append` without a Web-stream adapter in between.
 * @module
 */
import {
  handleTus,
  type NewFile,
  NotFoundError,
  parseBucketId,
  type Store,
  type TusRequest,
  withLock,
} from '@psitransfer/core'
import type { Context } from 'hono'
import { liveFiles } from '../bucket.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { bodySignal, requestBody, sendSmall } from '../http/send.js'

function optionalSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {}
}

import { requireServicePassword } from '../security/auth.js'
import { type CreateLockHolder, createUploadHooks } from '../upload/hooks.js'
import { createLockId } from '../upload/rules.js'

/** The store as the TUS machine sees it on POST: `create` turns the bucket reservation into the file. */
function committingStore(deps: AppDeps, holder: CreateLockHolder): Store {
  const store = deps.store
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'create') {
        return async (file: NewFile) => {
          const meta = await target.create(file)
          if (holder.reservation) deps.buckets.commit(holder.reservation, meta)
          holder.reservation = undefined
          return meta
        }
      }
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export async function tusRequest(
  c: Context<AppEnv>,
  deps: AppDeps,
  id: string | undefined,
): Promise<Response> {
  const method = c.req.method
  const holder: CreateLockHolder = {}
  const hasBody = method === 'POST' || method === 'PATCH'
  const req: TusRequest = {
    method,
    headers: c.req.raw.headers,
    body: hasBody ? requestBody(c) : null,
    ...(hasBody ? optionalSignal(bodySignal(c)) : { signal: c.req.raw.signal }),
    endpoint: `${deps.config.uploadAppPath}files/`,
    ...(id !== undefined ? { id } : {}),
  }
  const writing = method === 'PATCH' || method === 'POST'
  if (writing) deps.metrics.activeUploads++
  let res: Awaited<ReturnType<typeof handleTus>>
  try {
    res = await handleTus(req, {
      store: method === 'POST' ? committingStore(deps, holder) : deps.store,
      locker: deps.locker,
      clock: deps.clock,
      hooks: createUploadHooks(c, deps, holder),
      limits: { maxSize: deps.config.maxFileSize },
    })
  } finally {
    if (writing) deps.metrics.activeUploads--
    if (holder.reservation) deps.buckets.cancel(holder.reservation)
  }
  if (res.status >= 400) c.set('errorCode', `tus_${res.status}`)
  if (res.status === 413) {
    // The contract (and PsiTransfer) answers size limits with JSON the web client can show.
    const { 'Content-Type': _type, ...headers } = res.headers
    return c.json({ code: 'TOO_LARGE', message: res.body }, 413, headers)
  }
  return sendSmall(c, res.status, res.headers, res.body)
}

/** `PATCH {U}files/{sid}?lock=yes`: no more files may be added to the bucket. */
export async function lockBucket(c: Context<AppEnv>, deps: AppDeps, rawSid: string): Promise<Response> {
  await requireServicePassword(c, deps, deps.config.uploadPass, 'upload')
  const sid = parseBucketId(rawSid)
  await withLock(
    deps.bucketLocker,
    createLockId(sid),
    { waitMs: 15_000, signal: c.req.raw.signal },
    async () => {
      const files = await liveFiles(deps.store, sid, deps.clock.now())
      if (files.length === 0) throw new NotFoundError('Bucket not found')
      for (const f of files) if (!f.bucketLocked) await deps.store.update(f, { bucketLocked: true })
      deps.buckets.locked(sid)
    },
  )
  return c.body(null, 204)
}
