/**
 * `FileStore.list`: enumerates buckets and files from directory listings and sidecars, never
 * reading file data. Anything that is not a well-formed file (temp files, claim markers, a
 * sidecar without data or the reverse, garbage, symlinks) is skipped and reported; temp files
 * older than an hour (leftovers of a crash during an atomic write) are removed.
 * @module
 */
import type { Dirent } from 'node:fs'
import { lstat, readdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import {
  type FileMeta,
  type FileRef,
  isValidId,
  type ListOptions,
  PsiError,
  parseBucketId,
} from '@psitransfer/core'
import { errnoCode, fsError, isErrno } from './fs-errors.js'
import { CLAIM_SUFFIX, resolveBucketDir, SIDECAR_SUFFIX, TEMP_SUFFIX } from './paths.js'

/** Temp files older than this are leftovers of a crash and may be removed. */
const STALE_TEMP_MS = 60 * 60 * 1000
/** Records of one bucket read concurrently while listing. */
const READ_AHEAD = 8

export interface ListDeps {
  /** The record of one file (NOT_FOUND for missing or damaged ones, already reported). */
  load(ref: FileRef): Promise<FileMeta>
  /** Reports a skipped entry (`where` is relative to uploadDir). */
  warn(where: string, message: string): void
}

export async function* listFiles(
  root: string,
  options: ListOptions,
  deps: ListDeps,
): AsyncGenerator<FileMeta> {
  let sids: string[]
  if (options.sid !== undefined) {
    sids = [parseBucketId(options.sid)]
  } else {
    let entries: Dirent[]
    try {
      entries = await readdir(root, { withFileTypes: true })
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw fsError(err)
      deps.warn('.', 'the upload directory is missing')
      return
    }
    sids = []
    for (const e of entries) {
      if (e.isDirectory() && isValidId(e.name)) sids.push(e.name)
      else if (e.name.endsWith(TEMP_SUFFIX) && e.isFile()) await cleanTemp(path.join(root, e.name))
      else deps.warn(e.name, 'unexpected entry in the upload directory, skipped')
    }
    sids.sort()
  }
  for (const sid of sids) yield* listBucket(root, sid, deps)
}

async function* listBucket(root: string, sid: string, deps: ListDeps): AsyncGenerator<FileMeta> {
  const dir = resolveBucketDir(root, sid)
  let entries: Dirent[]
  try {
    if (!(await lstat(dir)).isDirectory()) {
      deps.warn(sid, 'bucket is not a plain directory (symlink?), skipped')
      return
    }
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return
    throw fsError(err)
  }
  const names = new Set(entries.map((e) => e.name))
  const keys: string[] = []
  for (const e of entries) {
    const name = e.name
    const where = `${sid}/${name}`
    if (name.endsWith(TEMP_SUFFIX)) {
      if (e.isFile()) await cleanTemp(path.join(dir, name))
    } else if (name.endsWith(CLAIM_SUFFIX)) {
      // one-time download markers, not files
    } else if (name.endsWith(SIDECAR_SUFFIX)) {
      const key = name.slice(0, -SIDECAR_SUFFIX.length)
      if (!isValidId(key)) deps.warn(where, 'sidecar with an invalid file id, skipped')
      else if (!names.has(key)) deps.warn(where, 'sidecar without data file, skipped')
      else keys.push(key)
    } else if (!isValidId(name)) {
      deps.warn(where, 'unexpected entry in a bucket, skipped')
    } else if (!names.has(name + SIDECAR_SUFFIX)) {
      deps.warn(where, 'data file without sidecar, skipped')
    }
  }
  keys.sort()
  const load = async (key: string): Promise<FileMeta | undefined> => {
    try {
      return await deps.load({ sid, key } as unknown as FileRef)
    } catch (err) {
      // Deleted while we listed, or damaged (already reported by load).
      if ((err instanceof PsiError && err.code === 'NOT_FOUND') || isErrno(err, 'ENOENT')) return undefined
      deps.warn(`${sid}/${key}`, `unreadable entry skipped (${errnoCode(err) ?? 'error'})`)
      return undefined
    }
  }
  // A few records are read ahead (each is a couple of thread-pool round trips); output order stays.
  const ahead: Array<Promise<FileMeta | undefined>> = []
  let next = 0
  const fill = () => {
    while (next < keys.length && ahead.length < READ_AHEAD) ahead.push(load(keys[next++] as string))
  }
  fill()
  while (ahead.length > 0) {
    const meta = await ahead.shift()
    fill()
    if (meta) yield meta
  }
}

async function cleanTemp(file: string): Promise<void> {
  try {
    const st = await lstat(file)
    if (st.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlink(file)
  } catch {
    // Gone already, or not ours to remove: either way nothing to do.
  }
}
