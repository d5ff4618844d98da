/**
 * The IETF resumable-upload endpoint `{U}uploads/` and `{U}uploads/{sid}++{key}` (the draft
 * beside TUS 1.0, docs/resumable-upload.md): {@link answerResumable} runs core's
 * {@link handleResumable} with the same upload hooks, locker, limits and bucket rules as
 * {@link answerTus}, so an upload is admitted, protected and completed alike whichever protocol
 * carries it. Each upload is resumed only with the protocol that created it (core enforces it).
 * @module
 */
import { handleResumable, type ResumableRequest, type ResumableResponse } from '@psitransfer/core'
import type { RequestFacts } from '../http/client.js'
import { BUCKET_TOKEN_HEADER } from './bucket-ids.js'
import type { UploadDeps } from './deps.js'
import { type CreateLockHolder, createUploadHooks, releaseBucketLock } from './hooks.js'
import { tusLocker } from './tus-endpoint.js'

/** Core's {@link ResumableRequest} as a front door hands it over (the endpoint URL is known here). */
export interface ResumableEndpointRequest extends Omit<ResumableRequest, 'endpoint'> {
  facts: RequestFacts
}

export interface ResumableEndpointResponse extends ResumableResponse {
  /** For metrics: `resumable_<status>` of refused requests. */
  errorCode?: string
}

/** The path of the endpoint's collection under `uploadAppPath`. */
export const RESUMABLE_COLLECTION = 'uploads'

export async function answerResumable(
  request: ResumableEndpointRequest,
  deps: UploadDeps,
): Promise<ResumableEndpointResponse> {
  const { method } = request
  const holder: CreateLockHolder = {}
  const creation = request.id === undefined && (method === 'POST' || method === 'PUT')
  const writing = creation || method === 'PATCH'
  if (writing) deps.metrics.activeUploads++
  let res: ResumableResponse | undefined
  try {
    res = await handleResumable(
      {
        method,
        headers: request.headers,
        body: request.body ?? null,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.id !== undefined ? { id: request.id } : {}),
        ...(request.informational ? { informational: request.informational } : {}),
        endpoint: `${deps.config.uploadAppPath}${RESUMABLE_COLLECTION}/`,
      },
      {
        store: deps.store,
        locker: tusLocker(deps.locker),
        clock: deps.clock,
        hooks: createUploadHooks(request.facts, deps, holder),
        limits: { maxSize: deps.config.maxFileSize },
      },
    )
  } finally {
    if (writing) deps.metrics.activeUploads--
    if (holder.reservation) deps.buckets.cancel(holder.reservation)
    try {
      // A creation that did not create: the bucket's id is free again (see answerTus).
      const created = res !== undefined && (res.status === 200 || res.status === 201)
      if (holder.took && !(creation && created)) await deps.bucketIds.release(holder.took.sid)
    } finally {
      await releaseBucketLock(holder, request.facts.log)
    }
  }
  const answer: ResumableEndpointResponse = { ...res, headers: { ...res.headers } }
  if (creation && holder.took && (res.status === 200 || res.status === 201)) {
    answer.headers[BUCKET_TOKEN_HEADER] = holder.took.token
  }
  if (res.status >= 400) answer.errorCode = `resumable_${res.status}`
  return answer
}
