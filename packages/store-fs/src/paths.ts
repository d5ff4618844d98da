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

/**
 * {@link resolveFile} with a small memo: every store call resolves its paths, and an upload's
 * requests use the same few. Only refs that resolved (valid ids) are remembered.
 */
export class PathCache {
  readonly #entries = new Map<string, FilePaths>()

  constructor(
    private readonly root: string,
    private readonly max = 4096,
  ) {}

  resolve(ref: FileRef): FilePaths {
    const { sid, key } = ref as { sid: unknown; key: unknown }
    // NUL never occurs in a valid id, so the joined string names one (sid, key) pair.
    const id = typeof sid === 'string' && typeof key === 'string' ? `${sid}\0${key}` : undefined
    const hit = id === undefined ? undefined : this.#entries.get(id)
    if (hit) return hit
    const paths = resolveFile(this.root, ref)
    if (id !== undefined) {
      if (this.#entries.size >= this.max) this.#entries.clear()
      this.#entries.set(id, paths)
    }
    return paths
  }
}
