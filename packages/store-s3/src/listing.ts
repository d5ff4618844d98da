/**
 * Listing files (for bucket listings, the admin view and expiry) and sweeping what is left
 * over: expired files, multipart uploads nobody refers to, objects without metadata.
 * @module
 */
import { type BucketId, type FileMeta, type FileRef, isExpired, isPsiError } from '@psitransfer/core'
import type { S3Context } from './context.js'
import type { ParsedKey } from './keys.js'
import { INC_METADATA } from './load.js'
import { decodeMeta, type StoredMeta, toFileMeta } from './meta-codec.js'
import { toStoreError } from './s3-errors.js'
import type { ListedObject } from './s3-io.js'
import { deriveState, type SegmentInfo } from './state.js'

/** The objects of one file, gathered from a listing. */
interface Group {
  ref: FileRef
  id: string
  base: string
  meta?: ListedObject
  data?: ListedObject
  others: Array<ListedObject & { parsed: ParsedKey }>
}

const CONCURRENCY = 8

/** Runs `fn` over `items` with bounded concurrency, results in input order. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker))
  return out
}

/**
 * Groups listed objects per file, handing out each group once no later page can hold more of
 * its objects (keys of a file all sort below `{sid}/{key}/`).
 */
async function* groups(ctx: S3Context, sid: BucketId | undefined): AsyncGenerator<Group[]> {
  const pending = new Map<string, Group>()
  for await (const page of ctx.io.listPages(ctx.keys.listPrefix(sid))) {
    for (const o of page) {
      const parsed = ctx.keys.parse(o.key)
      if (!parsed || (sid !== undefined && parsed.ref.sid !== sid)) continue
      let g = pending.get(parsed.id)
      if (!g) {
        g = { ref: parsed.ref, id: parsed.id, base: ctx.keys.base(parsed.ref), others: [] }
        pending.set(parsed.id, g)
      }
      if (parsed.kind === 'meta') g.meta = o
      else if (parsed.kind === 'data') g.data = o
      else g.others.push({ ...o, parsed })
    }
    const last = page.at(-1)?.key
    const ready: Group[] = []
    for (const g of pending.values()) if (last !== undefined && last > `${g.base}/`) ready.push(g)
    for (const g of ready) pending.delete(g.id)
    if (ready.length > 0) yield ready
  }
  if (pending.size > 0) yield [...pending.values()]
}

async function readMeta(ctx: S3Context, g: Group): Promise<StoredMeta | null> {
  if (!g.meta) return null
  const got = await ctx.io.getText(g.meta.key)
  if (!got) return null
  const meta = decodeMeta(got.text, g.ref)
  if (!meta) ctx.logger.warn({ id: g.id }, 'skipping damaged metadata')
  return meta
}

async function resolve(ctx: S3Context, g: Group): Promise<FileMeta | null> {
  const meta = await readMeta(ctx, g)
  if (!meta) return null
  if (meta.complete) return toFileMeta(meta, meta.uploadLength ?? 0)
  const { inc, partSize, uploadId } = meta.s3
  const segments: SegmentInfo[] = g.others
    .filter((o) => o.parsed.kind === 'segment' && o.parsed.inc === inc)
    .map((o) => ({ key: o.key, base: o.parsed.n ?? 0, size: o.size, etag: o.etag }))
  const L = meta.uploadLength
  const dataComplete = async () => {
    if (!g.data || L === null || g.data.size !== L) return false
    const head = await ctx.io.head(g.data.key)
    return head?.metadata[INC_METADATA] === inc
  }
  if (!uploadId)
    return toFileMeta(
      meta,
      deriveState({ uploadLength: L, partSize, segments, dataComplete: await dataComplete() }).offset,
    )
  const parts = await ctx.io.listParts(g.base, uploadId)
  if (parts === null) {
    // The multipart upload is gone: listed (so it can expire and be swept) with what remains.
    const done = await dataComplete()
    return toFileMeta(meta, done ? (L ?? 0) : 0)
  }
  return toFileMeta(
    meta,
    deriveState({ uploadLength: L, partSize, parts, segments, dataComplete: false }).offset,
  )
}

export async function* listFiles(ctx: S3Context, sid: BucketId | undefined): AsyncGenerator<FileMeta> {
  try {
    for await (const batch of groups(ctx, sid)) {
      for (const m of await mapLimit(batch, (g) => resolve(ctx, g))) if (m) yield m
    }
  } catch (err) {
    throw isPsiError(err) ? err : toStoreError(err, 'list files')
  }
}

export interface SweepOptions {
  /** The sweep's notion of now (ms since the epoch). Default `Date.now()`. */
  now?: number
  /**
   * Age below which unreferenced multipart uploads and objects are left alone, because an
   * upload may be between its first and second write. Default one hour.
   */
  graceMs?: number
}

export interface SweepResult {
  /** Expired files deleted. */
  expired: FileRef[]
  /** Expired files left alone because an upload lock was held. */
  skipped: FileRef[]
  /** Multipart uploads aborted because no file refers to them. */
  abortedUploads: Array<{ key: string; uploadId: string }>
  /** Objects deleted because no file refers to them (or an older incarnation did). */
  removedObjects: string[]
}

export async function sweep(
  ctx: S3Context,
  store: { delete(ref: FileRef): Promise<void> },
  options: SweepOptions,
): Promise<SweepResult> {
  const now = options.now ?? Date.now()
  const cutoff = now - (options.graceMs ?? 3_600_000)
  const result: SweepResult = { expired: [], skipped: [], abortedUploads: [], removedObjects: [] }

  const expired: FileRef[] = []
  for await (const m of listFiles(ctx, undefined))
    if (isExpired(m, now)) expired.push({ sid: m.sid, key: m.key })
  for (const ref of expired) {
    const locked = await ctx.sessions.runIfFree(
      ref,
      () => ctx.locks.tryAcquire(ref).catch(() => null),
      async () => {
        try {
          await store.delete(ref)
          result.expired.push(ref)
        } catch (err) {
          if (!(isPsiError(err) && err.code === 'NOT_FOUND')) throw err
        }
      },
    )
    if (!locked) result.skipped.push(ref)
  }

  try {
    for await (const u of ctx.io.listMultipartUploads(ctx.keys.prefix)) {
      const parsed = ctx.keys.parse(u.key)
      if (parsed?.kind !== 'data' || u.initiated > cutoff) continue
      const got = await ctx.io.getText(ctx.keys.meta(parsed.ref))
      const meta = got ? decodeMeta(got.text, parsed.ref) : null
      if (meta && !meta.complete && meta.s3.uploadId === u.uploadId) continue
      await ctx.io.abortMultipart(u.key, u.uploadId)
      result.abortedUploads.push({ key: u.key, uploadId: u.uploadId })
    }

    for await (const batch of groups(ctx, undefined)) {
      const doomed = await mapLimit(batch, async (g) => {
        const old = (o: ListedObject) => o.lastModified < cutoff
        if (!g.meta) return [...(g.data ? [g.data] : []), ...g.others].filter(old).map((o) => o.key)
        const stale = g.others.filter((o) => o.parsed.inc !== undefined && old(o))
        if (stale.length === 0) return []
        const meta = await readMeta(ctx, g)
        if (!meta) return []
        return stale.filter((o) => o.parsed.inc !== meta.s3.inc).map((o) => o.key)
      })
      const keys = doomed.flat()
      if (keys.length > 0) {
        await ctx.io.deleteMany(keys)
        result.removedObjects.push(...keys)
      }
    }
  } catch (err) {
    throw isPsiError(err) ? err : toStoreError(err, 'sweep the bucket')
  }
  return result
}
