/**
 * Reading an upload's metadata and deriving its state from S3.
 *
 * An upload's identity in S3 (incarnation, multipart upload id, part size) never changes, so
 * once this process has seen it, the listing of parts and segments is requested together with
 * the metadata (one round trip instead of two); a different incarnation in the metadata just
 * means asking again.
 * @module
 */
import { type FileRef, isPsiError, NotFoundError, PsiError } from '@psitransfer/core'
import { MIN_PART_SIZE } from './config.js'
import type { S3Context } from './context.js'
import { refId } from './keys.js'
import { decodeMeta, type S3State, type StoredMeta } from './meta-codec.js'
import { toStoreError } from './s3-errors.js'
import type { Loaded, Session } from './sessions.js'
import { deriveState, type PartInfo, type SegmentInfo, type UploadState } from './state.js'

export const INC_METADATA = 'psi-inc'

const KNOWN_LIMIT = 10_000

/** The metadata object, or NOT_FOUND (also for damaged metadata: the file is not usable). */
export async function loadMeta(ctx: S3Context, ref: FileRef): Promise<StoredMeta> {
  const key = ctx.keys.meta(ref)
  let got: Awaited<ReturnType<typeof ctx.io.getText>>
  try {
    got = await ctx.io.getText(key)
  } catch (err) {
    throw toStoreError(err, 'read metadata')
  }
  if (!got) {
    ctx.known.delete(refId(ref))
    throw new NotFoundError()
  }
  const meta = decodeMeta(got.text, ref)
  if (!meta) {
    ctx.logger.warn({ id: refId(ref) }, 'damaged metadata object; treating the file as missing')
    throw new NotFoundError()
  }
  remember(ctx, ref, meta.s3, meta.complete)
  return meta
}

function remember(ctx: S3Context, ref: FileRef, s3: S3State, complete: boolean): void {
  const id = refId(ref)
  ctx.known.delete(id)
  if (ctx.known.size >= KNOWN_LIMIT) {
    const oldest = ctx.known.keys().next().value
    if (oldest !== undefined) ctx.known.delete(oldest)
  }
  ctx.known.set(id, { ...s3, complete })
}

export async function listSegments(ctx: S3Context, ref: FileRef, inc: string): Promise<SegmentInfo[]> {
  const prefix = ctx.keys.segmentPrefix(ref, inc)
  const listed = await ctx.io.listAll(prefix)
  const out: SegmentInfo[] = []
  for (const o of listed) {
    const rest = o.key.slice(prefix.length)
    if (/^\d+$/.test(rest)) out.push({ key: o.key, base: Number(rest), size: o.size, etag: o.etag })
  }
  return out
}

/** What S3 holds for an incarnation, before looking at the metadata's mutable fields. */
interface Listing {
  segments: SegmentInfo[]
  /** Parts (multipart), `null` when the multipart upload is gone, `undefined` without one. */
  parts: PartInfo[] | null | undefined
  /** The data object's size and incarnation, if it exists (looked up when it can matter). */
  data?: { size: number; inc: string | undefined } | null
}

async function headData(ctx: S3Context, ref: FileRef): Promise<Listing['data']> {
  const head = await ctx.io.head(ctx.keys.data(ref))
  return head ? { size: head.size, inc: head.metadata[INC_METADATA] } : null
}

async function list(ctx: S3Context, ref: FileRef, s3: S3State): Promise<Listing> {
  if (!s3.uploadId) {
    const [segments, data] = await Promise.all([listSegments(ctx, ref, s3.inc), headData(ctx, ref)])
    return { segments, parts: undefined, data }
  }
  const [segments, parts] = await Promise.all([
    listSegments(ctx, ref, s3.inc),
    ctx.io.listParts(ctx.keys.data(ref), s3.uploadId),
  ])
  // Completed by an instance that stopped before marking the metadata, or aborted.
  return parts === null ? { segments, parts, data: await headData(ctx, ref) } : { segments, parts }
}

function derive(ctx: S3Context, meta: StoredMeta, listing: Listing): UploadState {
  const L = meta.uploadLength
  const { partSize, inc } = meta.s3
  const dataComplete = L !== null && listing.data?.size === L && listing.data.inc === inc
  if (listing.parts === null && !dataComplete) {
    throw new PsiError('GONE', 'The upload is gone (its multipart upload no longer exists)')
  }
  return deriveState({
    uploadLength: L,
    partSize,
    ...(ctx.config.adaptivePartSize ? { minPartSize: MIN_PART_SIZE } : {}),
    ...(listing.parts ? { parts: listing.parts } : {}),
    segments: listing.segments,
    dataComplete,
  })
}

const COMPLETE: Omit<UploadState, 'offset' | 'partSize'> = {
  parts: [],
  partsBytes: 0,
  tail: [],
  dataComplete: true,
  garbage: [],
}

/** Metadata and state read from S3 (ignoring any session). */
export async function loadFresh(ctx: S3Context, ref: FileRef): Promise<Loaded> {
  const known = ctx.known.get(refId(ref))
  // With a known identity, list in parallel with the metadata read (finished files need no listing).
  const early = known && !known.complete ? list(ctx, ref, known) : undefined
  early?.catch(() => {})
  const meta = await loadMeta(ctx, ref)
  if (meta.complete)
    return { meta, state: { ...COMPLETE, offset: meta.uploadLength ?? 0, partSize: meta.s3.partSize } }
  try {
    const same = known && known.inc === meta.s3.inc && known.uploadId === meta.s3.uploadId
    const listing = same && early ? await early : await list(ctx, ref, meta.s3)
    return { meta, state: derive(ctx, meta, listing) }
  } catch (err) {
    throw toStoreError(err, 'read the upload state')
  }
}

/** Metadata and derived state; served from the lock session when this process holds the lock. */
export async function loadState(ctx: S3Context, ref: FileRef): Promise<Loaded> {
  const session = ctx.sessions.get(refId(ref))
  try {
    return await loadFor(ctx, ref, session)
  } catch (err) {
    // A lock taken for a file that does not exist (a PATCH to an unknown id) leaves no lock
    // object behind: its release deletes it instead of marking it free.
    if (session && isPsiError(err) && err.code === 'NOT_FOUND') session.deleted = true
    throw err
  }
}

async function loadFor(ctx: S3Context, ref: FileRef, session: Session | undefined): Promise<Loaded> {
  if (session?.loaded) return session.loaded
  if (session?.loading) {
    const pending = session.loading
    session.loading = undefined
    try {
      const loaded = await pending
      if (!session.deleted && !session.loaded) session.loaded = loaded
      return session.loaded ?? loaded
    } catch {
      // Prefetch failed; read again below (and report that error instead).
    }
  }
  const loaded = await loadFresh(ctx, ref)
  if (session && !session.deleted) session.loaded = loaded
  return loaded
}
