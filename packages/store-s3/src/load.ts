/**
 * Reading an upload's metadata and deriving its state from S3.
 * @module
 */
import { type FileRef, NotFoundError, PsiError } from '@psitransfer/core'
import type { Loaded, StoreContext } from './context.js'
import { refId } from './keys.js'
import { decodeMeta, type StoredMeta } from './meta-codec.js'
import { toStoreError } from './s3-errors.js'
import { deriveState, type SegmentInfo, type UploadState } from './state.js'

export const INC_METADATA = 'psi-inc'

/** The metadata object, or NOT_FOUND (also for damaged metadata: the file is not usable). */
export async function loadMeta(ctx: StoreContext, ref: FileRef): Promise<StoredMeta> {
  const key = ctx.keys.meta(ref)
  let got: Awaited<ReturnType<typeof ctx.io.getText>>
  try {
    got = await ctx.io.getText(key)
  } catch (err) {
    throw toStoreError(err, 'read metadata')
  }
  if (!got) throw new NotFoundError()
  const meta = decodeMeta(got.text, ref)
  if (!meta) {
    ctx.logger.warn({ id: refId(ref) }, 'damaged metadata object; treating the file as missing')
    throw new NotFoundError()
  }
  return meta
}

export async function listSegments(ctx: StoreContext, ref: FileRef, inc: string): Promise<SegmentInfo[]> {
  const prefix = ctx.keys.segment(ref, inc, 0).replace(/\d+$/, '')
  const listed = await ctx.io.listAll(prefix)
  const out: SegmentInfo[] = []
  for (const o of listed) {
    const rest = o.key.slice(prefix.length)
    if (/^\d+$/.test(rest)) out.push({ key: o.key, base: Number(rest), size: o.size, etag: o.etag })
  }
  return out
}

/** True when the data object holds the whole file of this incarnation. */
async function dataComplete(ctx: StoreContext, ref: FileRef, meta: StoredMeta): Promise<boolean> {
  if (meta.uploadLength === null) return false
  const head = await ctx.io.head(ctx.keys.data(ref))
  return head !== null && head.size === meta.uploadLength && head.metadata[INC_METADATA] === meta.s3.inc
}

/** Derives where the upload's bytes are (see state.ts), from S3 only. */
export async function deriveFromS3(ctx: StoreContext, ref: FileRef, meta: StoredMeta): Promise<UploadState> {
  const L = meta.uploadLength
  if (meta.complete) {
    return { offset: L ?? 0, parts: [], partsBytes: 0, tail: [], dataComplete: true, garbage: [] }
  }
  const { partSize, uploadId, inc } = meta.s3
  try {
    if (!uploadId) {
      const [segments, complete] = await Promise.all([
        listSegments(ctx, ref, inc),
        dataComplete(ctx, ref, meta),
      ])
      return deriveState({ uploadLength: L, partSize, segments, dataComplete: complete })
    }
    const [segments, parts] = await Promise.all([
      listSegments(ctx, ref, inc),
      ctx.io.listParts(ctx.keys.data(ref), uploadId),
    ])
    if (parts === null) {
      // Completed by an instance that stopped before marking the metadata, or aborted.
      if (await dataComplete(ctx, ref, meta)) {
        return deriveState({ uploadLength: L, partSize, segments, dataComplete: true })
      }
      throw new PsiError('GONE', 'The upload is gone (its multipart upload no longer exists)')
    }
    return deriveState({ uploadLength: L, partSize, parts, segments, dataComplete: false })
  } catch (err) {
    throw toStoreError(err, 'read the upload state')
  }
}

/** Metadata and derived state; served from the lock session when this process holds the lock. */
export async function loadState(ctx: StoreContext, ref: FileRef): Promise<Loaded> {
  const session = ctx.sessions.get(refId(ref))
  if (session?.loaded) return session.loaded
  const meta = await loadMeta(ctx, ref)
  const loaded = { meta, state: await deriveFromS3(ctx, ref, meta) }
  if (session && !session.deleted) session.loaded = loaded
  return loaded
}
