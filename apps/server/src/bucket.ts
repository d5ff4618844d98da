/**
 * The bucket model over the store: which files are visible, sizes, what of a file is public,
 * archive tokens.
 * @module
 */
import { createHash } from 'node:crypto'
import { type BucketId, type FileMeta, isExpired, needsCompletion, type Store } from '@psitransfer/core'

/** Declared size, or the bytes received so far while the length is deferred. */
export function fileSize(meta: FileMeta): number {
  return meta.uploadLength ?? meta.offset
}

/** Public fields of a file for webhooks (never the password). */
export function publicFile(meta: FileMeta): Record<string, unknown> {
  return {
    sid: meta.sid,
    key: meta.key,
    name: meta.name,
    relativePath: meta.relativePath,
    comment: meta.comment,
    type: meta.type,
    size: fileSize(meta),
    retention: meta.retention,
    createdAt: meta.createdAt,
    expiresAt: meta.expiresAt,
    protected: meta.password !== undefined && meta.password !== '',
  }
}

/** Parts of a TUS concatenation are building blocks, never files of their own. */
export function isPartial(meta: FileMeta): boolean {
  return meta.concat?.kind === 'partial'
}

/** A file that may be listed and downloaded. */
export function isServable(meta: FileMeta, now: number): boolean {
  return meta.complete && !isPartial(meta) && !isExpired(meta, now)
}

/** Stable order for listings and archives: creation time, then key. */
export function byCreation(a: FileMeta, b: FileMeta): number {
  return a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
}

/**
 * Completes a file whose bytes are all there but whose completion never ran (see
 * `upload/complete.ts`), resolving with its record afterwards (unchanged if it cannot now).
 */
export type CompleteFull = (meta: FileMeta) => Promise<FileMeta>

/** Every unexpired file of a bucket (complete or not); full uploads completed by `complete` first. */
export async function liveFiles(
  store: Store,
  sid: BucketId,
  now: number,
  complete?: CompleteFull,
): Promise<FileMeta[]> {
  const out: FileMeta[] = []
  for await (const m of store.list({ sid })) {
    if (m.sid !== sid || isExpired(m, now)) continue
    out.push(complete && needsCompletion(m) ? await complete(m) : m)
  }
  return out.sort(byCreation)
}

export async function servableFiles(
  store: Store,
  sid: BucketId,
  now: number,
  complete?: CompleteFull,
): Promise<FileMeta[]> {
  return (await liveFiles(store, sid, now, complete)).filter((m) => isServable(m, now))
}

/** PsiTransfer's archive token: `sha256(keys.join(',')).slice(0, 32)`. */
export function archiveToken(files: readonly FileMeta[]): string {
  return createHash('sha256')
    .update(files.map((f) => f.key).join(','))
    .digest('hex')
    .slice(0, 32)
}

/** Legacy PsiTransfer archive token (md5 of the same string). */
export function legacyArchiveToken(files: readonly FileMeta[]): string {
  return createHash('md5')
    .update(files.map((f) => f.key).join(','))
    .digest('hex')
}

/** Distinct password hashes of the files, empty when the bucket is public. */
export function passwordHashes(files: readonly FileMeta[]): string[] {
  return [...new Set(files.flatMap((f) => (f.password ? [f.password] : [])))]
}
