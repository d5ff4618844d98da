/**
 * Completing an upload's data: the multipart upload completed with the tail as its last part,
 * or (for files that fit one part) one object, then checked against what S3 holds.
 * @module
 */
import { type FileRef, PsiError } from '@psitransfer/core'
import type { S3Context } from './context.js'
import { refId } from './keys.js'
import { INC_METADATA } from './load.js'
import { isNoSuchUpload } from './s3-errors.js'
import type { Loaded } from './sessions.js'
import { tailBytes, type UploadState } from './state.js'
import { tailSignature } from './tail-cache.js'

/** Makes the data object hold the whole file: completes the multipart upload or writes the object. */
export async function finalizeData(ctx: S3Context, ref: FileRef, { meta, state }: Loaded): Promise<void> {
  if (state.dataComplete) return
  const { io, keys } = ctx
  const L = meta.uploadLength as number
  const dataKey = keys.data(ref)
  const metadata = { [INC_METADATA]: meta.s3.inc }
  const { uploadId } = meta.s3
  const single = state.tail.length === 1 && state.tail[0]?.skip === 0 ? state.tail[0] : undefined
  let gone: unknown
  if (uploadId && L > 0) {
    const parts = [...state.parts]
    if (state.tail.length > 0) {
      const partNumber = parts.length + 1
      const size = tailBytes(state.tail)
      const etag = single
        ? await io.uploadPartCopy(dataKey, uploadId, partNumber, single.key, 0, single.size - 1)
        : await io.uploadPart(dataKey, uploadId, partNumber, await gatherTail(ctx, ref, state))
      parts.push({ partNumber, etag, size })
    }
    try {
      await io.completeMultipart(dataKey, uploadId, parts)
    } catch (err) {
      // A retried Complete whose first attempt went through (the answer was lost) finds the
      // upload gone: the object check below decides whether it is complete.
      if (!isNoSuchUpload(err, true)) throw err
      gone = err
    }
  } else {
    if (uploadId) await io.abortMultipart(dataKey, uploadId)
    if (L === 0) await io.put(dataKey, new Uint8Array(0), { metadata })
    else if (single) await io.copy(single.key, dataKey, metadata)
    else await io.put(dataKey, await gatherTail(ctx, ref, state), { metadata })
  }
  // Trust but verify: the object S3 now has must be this upload's, with every byte.
  const head = await io.head(dataKey)
  if (!head && gone)
    throw new PsiError('GONE', 'The upload is gone (its multipart upload no longer exists)', {
      cause: gone,
    })
  if (!head || head.size !== L || head.metadata[INC_METADATA] !== meta.s3.inc) {
    throw new PsiError('INTERNAL', `The completed object has ${head?.size ?? 'no'} bytes instead of ${L}`)
  }
}

/** The tail's bytes (from this process's cache, else from S3). Tails are smaller than a part. */
async function gatherTail(ctx: S3Context, ref: FileRef, state: UploadState): Promise<Uint8Array> {
  const cached = ctx.tails.take(refId(ref), tailSignature(state.tail))
  if (cached) {
    const copy = cached.bytes
    cached.release()
    return copy
  }
  const out = new Uint8Array(tailBytes(state.tail))
  let at = 0
  for (const p of state.tail) {
    const len = p.size - p.skip
    if (!(await ctx.io.readInto(p.key, p.skip, len, out, at))) {
      throw new PsiError('INTERNAL', 'A tail segment of the upload is missing')
    }
    at += len
  }
  return out
}
