/**
 * `FileStore.sweep`: removes what a crash left half-made, which no listing shows and no expiry
 * reaches — a data file whose sidecar was never published (killed during `create`), its temp
 * sidecar, a sidecar or claim marker whose data file is gone (killed during `delete`). Only
 * entries untouched for {@link STALE_MS} go: a `create` or `delete` in flight finishes within
 * milliseconds, so nothing a live request still works on is taken.
 * @module
 */
import type { Dirent } from 'node:fs'
import { lstat, readdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import { isValidId } from '@psitransfer/core'
import { fsError, isErrno } from './fs-errors.js'
import { CLAIM_SUFFIX, SIDECAR_SUFFIX, TEMP_SUFFIX } from './paths.js'

/** Entries older than this (by mtime, against the sweep's `now`) may be leftovers. */
export const STALE_MS = 60 * 60 * 1000

export interface FsSweepResult {
  /** Data files without a sidecar, removed. */
  orphanData: number
  /** Sidecars and claim markers without a data file, removed. */
  orphanRecords: number
  /** Temp files of interrupted atomic writes, removed. */
  tempFiles: number
}

export async function sweepOrphans(
  root: string,
  now: number,
  warn: (where: string, message: string) => void,
): Promise<FsSweepResult> {
  const result: FsSweepResult = { orphanData: 0, orphanRecords: 0, tempFiles: 0 }
  let top: Dirent[]
  try {
    top = await readdir(root, { withFileTypes: true })
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return result
    throw fsError(err)
  }
  const removeIfStale = async (file: string): Promise<boolean> => {
    try {
      const st = await lstat(file)
      if (!st.isFile() || now - st.mtimeMs < STALE_MS) return false
      await unlink(file)
      return true
    } catch {
      // Gone meanwhile (finished by its request, or removed by another sweeper): fine.
      return false
    }
  }
  for (const e of top) {
    if (e.isFile() && e.name.endsWith(TEMP_SUFFIX)) {
      if (await removeIfStale(path.join(root, e.name))) result.tempFiles++
      continue
    }
    // Symlinks and foreign entries are never followed or touched (the listing reports them).
    if (!e.isDirectory() || !isValidId(e.name)) continue
    const dir = path.join(root, e.name)
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) continue
      throw fsError(err)
    }
    const names = new Set(entries.map((x) => x.name))
    for (const x of entries) {
      if (!x.isFile()) continue
      const name = x.name
      const file = path.join(dir, name)
      if (name.endsWith(TEMP_SUFFIX)) {
        if (await removeIfStale(file)) result.tempFiles++
      } else if (name.endsWith(SIDECAR_SUFFIX) || name.endsWith(CLAIM_SUFFIX)) {
        const key = name.slice(0, name.lastIndexOf('.'))
        if (isValidId(key) && !names.has(key) && (await removeIfStale(file))) {
          result.orphanRecords++
          warn(`${e.name}/${name}`, 'removed a record whose data file is gone')
        }
      } else if (isValidId(name) && !names.has(name + SIDECAR_SUFFIX)) {
        // Checked again right before removing: the sidecar may have been published meanwhile.
        const stillOrphan = await lstat(path.join(dir, name + SIDECAR_SUFFIX)).then(
          () => false,
          () => true,
        )
        if (stillOrphan && (await removeIfStale(file))) {
          result.orphanData++
          warn(`${e.name}/${name}`, 'removed a data file whose record was never written')
        }
      }
    }
  }
  return result
}
