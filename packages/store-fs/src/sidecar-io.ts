/**
 * Reading and writing sidecar files: atomic writes (temp file in the same directory, then
 * rename), reads that refuse symlinks, and a small per-process cache of parsed sidecars that
 * is revalidated with `lstat` on every use, so a sidecar rewritten by another process (rename:
 * new inode; in-place: new size or mtime) is read again.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { NotFoundError } from '@psitransfer/core'
import { isErrno } from './fs-errors.js'
import { fdatasync, fsync, type MetaCalls } from './meta-calls.js'
import { TEMP_SUFFIX } from './paths.js'

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
/** Open flags for new files: fail if anything (also a symlink) exists at the path. */
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW
export const READ_FLAGS = constants.O_RDONLY | O_NOFOLLOW
export const WRITE_FLAGS = constants.O_WRONLY | O_NOFOLLOW

/** Largest sidecar we read; real ones are < 2 KiB, anything huge is not ours. */
const MAX_SIDECAR_BYTES = 1024 * 1024

interface CacheEntry {
  dev: bigint
  ino: bigint
  size: bigint
  mtimeNs: bigint
  raw: unknown
}

interface Identity {
  dev: bigint
  ino: bigint
  size: bigint
  mtimeNs: bigint
}

function same(a: Identity, b: Identity): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs
}

/** Thrown when a sidecar exists but is not valid JSON (or too big). */
export class DamagedSidecarError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options)
    this.name = 'DamagedSidecarError'
  }
}

export interface PreparedSidecar {
  /** Puts the document in place, replacing any sidecar there. */
  commit(): Promise<void>
  /**
   * Puts the document in place only if no sidecar exists (hard link, then the temp name is
   * removed): of two creations of one file, in any processes, exactly one publishes. Fails
   * with EEXIST (the temp file removed) when a sidecar is there.
   */
  commitNew(): Promise<void>
  discard(): Promise<void>
}

export class SidecarIO {
  readonly #cache = new Map<string, CacheEntry>()
  /** Temp names: a random per-instance prefix plus a counter (O_EXCL catches the impossible clash). */
  readonly #tempPrefix = `${randomBytes(4).toString('hex')}-`
  #tempCounter = 0

  constructor(private readonly maxCached = 1024) {}

  /**
   * Parsed JSON of the sidecar at `file`. `NOT_FOUND` if missing or not a regular file
   * (symlinks included); {@link DamagedSidecarError} if it is not JSON.
   */
  async read(file: string, calls: MetaCalls): Promise<unknown> {
    const st = await calls.lstatBig(file)
    if (!st.isFile()) throw new NotFoundError()
    const cached = this.#cache.get(file)
    if (cached && same(cached, st)) return cached.raw
    const fd = await calls.open(file, READ_FLAGS)
    let text: string
    let id: Identity
    try {
      const fst = await calls.fstatBig(fd)
      if (!fst.isFile()) throw new NotFoundError()
      if (fst.size > BigInt(MAX_SIDECAR_BYTES)) throw new DamagedSidecarError('sidecar is too large')
      text = await calls.readText(fd, Number(fst.size))
      id = fst
    } finally {
      await calls.close(fd)
    }
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (err) {
      throw new DamagedSidecarError('sidecar is not valid JSON', { cause: err })
    }
    this.#remember(file, id, raw)
    return raw
  }

  /**
   * Replaces the sidecar atomically: readers see the old or the new document, never a part.
   * With `durable`, the file and its directory entry are flushed before returning.
   */
  async write(file: string, doc: unknown, durable: boolean, calls: MetaCalls): Promise<void> {
    await (await this.prepare(file, doc, durable, calls)).commit()
  }

  /**
   * First half of {@link write}: the complete new document in a temp file next to `file`.
   * `commit()` renames it into place; `discard()` removes it. Lets `create` write the sidecar
   * while the data file is being created, and publish it only if that succeeded.
   */
  async prepare(file: string, doc: unknown, durable: boolean, calls: MetaCalls): Promise<PreparedSidecar> {
    const tmp = `${file}.${this.#tempPrefix}${(this.#tempCounter++).toString(36)}${TEMP_SUFFIX}`
    const fd = await calls.create(tmp, CREATE_FLAGS, 0o644)
    let id: Identity
    try {
      await calls.writeText(fd, JSON.stringify(doc))
      if (durable) await fdatasync(fd)
      id = await calls.fstatBig(fd)
    } catch (err) {
      await calls.close(fd).catch(() => {})
      await rm(tmp, { force: true }).catch(() => {})
      throw err
    }
    // The document is complete: with thread-pool calls the descriptor is closed after the
    // rename, off the caller's path (an open file can be renamed; nothing is written through
    // it any more). Inline, the close is a cheap syscall and happens at once.
    let closed = false
    const close = () => {
      if (closed) return Promise.resolve()
      closed = true
      return calls.close(fd).catch(() => {})
    }
    if (calls.inline) await close()
    const discard = async () => {
      await close()
      await rm(tmp, { force: true }).catch(() => {})
    }
    const published = async () => {
      void close()
      // rename and link keep inode, size and mtime, so the next lstat of `file` matches this entry.
      this.#remember(file, id, structuredClone(doc))
      if (durable) await syncDir(path.dirname(file), calls)
    }
    return {
      discard,
      commit: async () => {
        try {
          await calls.rename(tmp, file)
        } catch (err) {
          await discard()
          throw err
        }
        await published()
      },
      commitNew: async () => {
        try {
          try {
            await calls.link(tmp, file)
          } catch (err) {
            // File systems without hard links (some network and FUSE mounts, FAT): look, then
            // rename. Not atomic across processes there, which only several instances on one
            // such directory would notice.
            if (!isErrno(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS')) throw err
            const there = await calls.lstat(file).then(
              () => true,
              (e: unknown) => (isErrno(e, 'ENOENT') ? false : Promise.reject(e)),
            )
            if (there) throw Object.assign(new Error(`${file} exists`), { code: 'EEXIST' })
            await calls.rename(tmp, file)
            await published()
            return
          }
        } catch (err) {
          await discard()
          throw err
        }
        // A crash before this unlink leaves a temp file, which the sweep removes.
        await calls.unlink(tmp).catch(() => {})
        await published()
      },
    }
  }

  /**
   * The cached document of `file` without revalidating it (no syscall). Only for facts that
   * never change once set, such as a known `uploadLength`; `undefined` when not cached.
   */
  peek(file: string): unknown {
    return this.#cache.get(file)?.raw
  }

  /**
   * Identity (device, inode, size, mtime) of the cached sidecar of `file`, as last seen by
   * {@link read} or written here; `undefined` when not cached. Changes whenever the sidecar is
   * replaced or rewritten, by this process or (once `read` revalidated it) by another.
   */
  identity(file: string): string | undefined {
    const e = this.#cache.get(file)
    return e ? `${e.dev}:${e.ino}:${e.size}:${e.mtimeNs}` : undefined
  }

  forget(file: string): void {
    this.#cache.delete(file)
  }

  #remember(file: string, id: Identity, raw: unknown): void {
    this.#cache.delete(file)
    this.#cache.set(file, { dev: id.dev, ino: id.ino, size: id.size, mtimeNs: id.mtimeNs, raw })
    if (this.#cache.size > this.maxCached) {
      const oldest = this.#cache.keys().next().value
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
  }
}

/** Flushes a directory's entries (new/renamed/removed files) to disk. No-op where unsupported. */
export async function syncDir(dir: string, calls: MetaCalls): Promise<void> {
  let fd: number | undefined
  try {
    fd = await calls.open(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0))
    await fsync(fd)
  } catch (err) {
    // Windows cannot open or fsync directories; everything else is a real error.
    if (process.platform !== 'win32') throw err
  } finally {
    // Synced or failed, nothing depends on the close: it need not hold up the caller.
    if (fd !== undefined) void calls.close(fd).catch(() => {})
  }
}

/** fdatasync of a file by path (refusing symlinks). The close does not hold up the caller. */
export async function flushFile(file: string, calls: MetaCalls): Promise<void> {
  const fd = await calls.open(file, READ_FLAGS)
  try {
    await fdatasync(fd)
  } finally {
    void calls.close(fd).catch(() => {})
  }
}
