/**
 * The small file-system calls of the per-request path (`lstat`, `open`/`close` of sidecars,
 * `rename`, reading and writing a sidecar of a few hundred bytes), in two flavours:
 *
 * - `inline` (default): plain synchronous syscalls on the event loop. Each costs a few µs on a
 *   local file system, where the libuv thread pool round trip costs far more than the call
 *   itself (a queue, a thread wake-up, a completion signal back: two context switches and
 *   tens of µs of CPU, more on a busy machine). An upload of a small file makes about twenty
 *   such calls.
 * - `thread-pool`: the same calls through libuv's thread pool (`fs` callbacks), for storage
 *   where a metadata call can take milliseconds (network file systems), which must not stall
 *   the event loop.
 *
 * Flushes (`fsync`/`fdatasync`), data writes and reads always go through the thread pool: they
 * take milliseconds whatever the file system. So do file creations (see `create`) and bulk
 * scans (listing a bucket reads every sidecar), whatever the flavour.
 * @module
 */
import fs, { type BigIntStats, type Stats } from 'node:fs'
import { promisify } from 'node:util'

export type MetadataCalls = 'inline' | 'thread-pool'

const p = {
  lstat: promisify(fs.lstat),
  mkdir: promisify(fs.mkdir),
  open: promisify(fs.open),
  fstat: promisify(fs.fstat),
  read: (fd: number, buf: Buffer, off: number, len: number, pos: number) =>
    new Promise<number>((resolve, reject) =>
      fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  write: (fd: number, buf: Buffer, off: number, len: number, pos: number) =>
    new Promise<number>((resolve, reject) =>
      fs.write(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))),
    ),
  rename: promisify(fs.rename),
  link: promisify(fs.link),
  unlink: promisify(fs.unlink),
  close: promisify(fs.close),
  fdatasync: promisify(fs.fdatasync),
  fsync: promisify(fs.fsync),
}

export interface MetaCalls {
  readonly inline: boolean
  lstat(file: string): Promise<Stats>
  lstatBig(file: string): Promise<BigIntStats>
  mkdir(dir: string): Promise<void>
  open(file: string, flags: number, mode?: number): Promise<number>
  /**
   * `open` with `O_CREAT`: always through the thread pool. Allocating an inode can take a
   * millisecond (ext4 without a journal scans past recently deleted inodes), and a new file
   * needs two (data and sidecar), which then are allocated in parallel, off the event loop.
   */
  create(file: string, flags: number, mode: number): Promise<number>
  fstatBig(fd: number): Promise<BigIntStats>
  /** Reads the first `size` bytes (or fewer, at EOF) as UTF-8. */
  readText(fd: number, size: number): Promise<string>
  /** Writes all of `text` from position 0 (short writes are continued). */
  writeText(fd: number, text: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  /** A second name for `from` at `to`; fails with EEXIST when anything is at `to`. */
  link(from: string, to: string): Promise<void>
  unlink(file: string): Promise<void>
  close(fd: number): Promise<void>
}

/** Thread-pool flushes, whatever the flavour: they take milliseconds. */
export const fdatasync = (fd: number): Promise<void> => p.fdatasync(fd)
export const fsync = (fd: number): Promise<void> => p.fsync(fd)

type PositionalIo = (buf: Buffer, off: number, len: number, pos: number) => number | Promise<number>

/** The first `size` bytes (fewer at EOF) through `read`, as UTF-8. */
async function readText(read: PositionalIo, size: number): Promise<string> {
  const buf = Buffer.allocUnsafe(size)
  let got = 0
  while (got < size) {
    const n = await read(buf, got, size - got, got)
    if (n === 0) break
    got += n
  }
  return buf.toString('utf8', 0, got)
}

/** All of `text` from position 0 through `write` (short writes are continued). */
async function writeText(write: PositionalIo, text: string): Promise<void> {
  const buf = Buffer.from(text, 'utf8')
  let done = 0
  while (done < buf.length) {
    const n = await write(buf, done, buf.length - done, done)
    if (n <= 0) throw new Error('write() made no progress')
    done += n
  }
}

export const inlineCalls: MetaCalls = {
  inline: true,
  lstat: async (file) => fs.lstatSync(file),
  lstatBig: async (file) => fs.lstatSync(file, { bigint: true }),
  mkdir: async (dir) => {
    fs.mkdirSync(dir)
  },
  open: async (file, flags, mode) => fs.openSync(file, flags, mode),
  create: (file, flags, mode) => p.open(file, flags, mode),
  fstatBig: async (fd) => fs.fstatSync(fd, { bigint: true }),
  readText: (fd, size) => readText((buf, off, len, pos) => fs.readSync(fd, buf, off, len, pos), size),
  writeText: (fd, text) => writeText((buf, off, len, pos) => fs.writeSync(fd, buf, off, len, pos), text),
  rename: async (from, to) => fs.renameSync(from, to),
  link: async (from, to) => fs.linkSync(from, to),
  unlink: async (file) => fs.unlinkSync(file),
  close: async (fd) => fs.closeSync(fd),
}

export const threadPoolCalls: MetaCalls = {
  inline: false,
  lstat: (file) => p.lstat(file),
  lstatBig: (file) => p.lstat(file, { bigint: true }) as Promise<BigIntStats>,
  mkdir: async (dir) => {
    await p.mkdir(dir)
  },
  open: (file, flags, mode) => p.open(file, flags, mode),
  create: (file, flags, mode) => p.open(file, flags, mode),
  fstatBig: (fd) => p.fstat(fd, { bigint: true }) as Promise<BigIntStats>,
  readText: (fd, size) => readText((buf, off, len, pos) => p.read(fd, buf, off, len, pos), size),
  writeText: (fd, text) => writeText((buf, off, len, pos) => p.write(fd, buf, off, len, pos), text),
  rename: (from, to) => p.rename(from, to),
  link: (from, to) => p.link(from, to),
  unlink: (file) => p.unlink(file),
  close: (fd) => p.close(fd),
}

export function metaCalls(flavour: MetadataCalls): MetaCalls {
  return flavour === 'inline' ? inlineCalls : threadPoolCalls
}
