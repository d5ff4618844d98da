/**
 * The only place where file system paths are built. Every path comes from ids that are parsed
 * again here (a `FileRef` may have been cast from anything), is joined under the upload
 * directory and checked to stay inside it.
 * @module
 */
import path from 'node:path'
import {
  type BucketId,
  type FileId,
  type FileRef,
  PsiError,
  parseBucketId,
  parseFileId,
} from '@psitransfer/core'

/** Suffix of the metadata sidecar next to each data file (PsiTransfer's layout). */
export const SIDECAR_SUFFIX = '.json'
/** Suffix of the one-time-download claim marker. */
export const CLAIM_SUFFIX = '.claim'
/** Suffix of temporary files (atomic sidecar writes, init probe). PsiTransfer skips names with a dot. */
export const TEMP_SUFFIX = '.tmp'

export interface FilePaths extends FileRef {
  readonly sid: BucketId
  readonly key: FileId
  /** `{root}/{sid}` */
  readonly bucketDir: string
  /** `{root}/{sid}/{key}` */
  readonly data: string
  /** `{root}/{sid}/{key}.json` */
  readonly sidecar: string
  /** `{root}/{sid}/{key}.claim` */
  readonly claim: string
}

/** Absolute, normalized upload directory (no trailing separator). */
export function normalizeRoot(uploadDir: string): string {
  return path.resolve(uploadDir)
}

function inside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/** Bucket directory for `sid` (re-parsed), guaranteed to be a direct child of `root`. */
export function resolveBucketDir(root: string, sid: unknown): string {
  const dir = path.join(root, parseBucketId(sid))
  if (!inside(root, dir) || path.dirname(dir) !== root) {
    throw new PsiError('INVALID_ID', 'Invalid bucket id')
  }
  return dir
}

/** All paths of one file. Throws `INVALID_ID` for anything that is not a parsed id. */
export function resolveFile(root: string, ref: FileRef): FilePaths {
  const sid = parseBucketId(ref.sid)
  const bucketDir = resolveBucketDir(root, sid)
  const key = parseFileId(ref.key)
  const data = path.join(bucketDir, key)
  if (path.dirname(data) !== bucketDir || !inside(root, data)) {
    throw new PsiError('INVALID_ID', 'Invalid file id')
  }
  return {
    sid,
    key,
    bucketDir,
    data,
    sidecar: data + SIDECAR_SUFFIX,
    claim: data + CLAIM_SUFFIX,
  }
}
