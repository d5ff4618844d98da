/**
 * The Hono front door of the TUS endpoint (`upload/tus-endpoint.ts`, found by the table in
 * `tus-route.ts`; on the Node server most TUS requests take the fast path in `tus-fast.ts`),
 * and the bucket-lock PATCH `{U}files/{sid}?lock=yes` (Hono only).
 * @module
 */
import { NotFoundError, PsiError, parseBucketId, withLock } from '@psitransfer/core'
import type { Context } from 'hono'
import { liveFiles } from '../bucket.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { honoFacts } from '../http/client.js'
import { bodySignal, requestBody, sendSmall } from '../http/send.js'
import { requireServicePassword } from '../security/auth.js'
import { BUCKET_TOKEN_HEADER, bucketTokenOf } from '../upload/bucket-ids.js'
import { bucketLockId } from '../upload/rules.js'
import { answerTus } from '../upload/tus-endpoint.js'

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
  const state = await deps.bucketIds.check(
    sid,
    bucketTokenOf((name) => c.req.header(name), sid),
  )
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
