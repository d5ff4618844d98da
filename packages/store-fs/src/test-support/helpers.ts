/** Shared helpers for the FileStore tests (real disk, unique temp dirs). */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { type FileRef, type NewFile, newBucketId, newFileId } from '@psitransfer/core'
import { FileStore, type FileStoreOptions } from '../file-store.js'

/** A fresh directory under the OS temp dir; `cleanup` removes it. */
export async function tempDir(
  prefix = 'psi-store-fs-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export interface LogEntry {
  obj: unknown
  msg: string | undefined
}

export function recordingLogger(): { entries: LogEntry[]; warn(obj: unknown, msg?: string): void } {
  const entries: LogEntry[] = []
  return { entries, warn: (obj, msg) => entries.push({ obj, msg }) }
}

export async function makeStore(dir: string, options: Partial<FileStoreOptions> = {}): Promise<FileStore> {
  const store = new FileStore({ uploadDir: dir, ...options })
  await store.init()
  return store
}

export function newFile(overrides: Partial<NewFile> = {}): NewFile {
  const createdAt = Date.UTC(2026, 0, 1)
  return {
    sid: newBucketId(),
    key: newFileId(),
    name: 'report.pdf',
    relativePath: '',
    comment: '',
    type: 'application/pdf',
    retention: 3600,
    uploadLength: 0,
    createdAt,
    expiresAt: createdAt + 3600_000,
    bucketLocked: false,
    extra: {},
    ...overrides,
  }
}

const BLOCK = (() => {
  // 1 MiB of xorshift noise: cheap, deterministic, and not compressible or repetitive at small scale.
  const buf = Buffer.allocUnsafe(1 << 20)
  let x = 0x9e3779b9
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    buf.writeUInt32LE(x >>> 0, i)
  }
  return buf
})()

/** Byte `i` of the test pattern for `seed` (pattern is BLOCK shifted by a seed-dependent offset). */
export function patternSlice(seed: number, start: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const at = (start + done + seed * 7919) % BLOCK.length
    const n = Math.min(length - done, BLOCK.length - at)
    BLOCK.copy(out, done, at, at + n)
    done += n
  }
  return out
}

/** The pattern from `start` to `end` (exclusive) as chunks of `chunkSize` (fresh buffers). */
export async function* patternChunks(seed: number, start: number, end: number, chunkSize: number) {
  for (let at = start; at < end; at += chunkSize) {
    yield patternSlice(seed, at, Math.min(chunkSize, end - at))
  }
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex')
}

export async function patternHash(seed: number, length: number): Promise<string> {
  const h = createHash('sha256')
  for await (const c of patternChunks(seed, 0, length, 1 << 20)) h.update(c)
  return h.digest('hex')
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of source) parts.push(Buffer.from(c))
  return Buffer.concat(parts)
}

export async function hashStream(source: AsyncIterable<Uint8Array>): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256')
  let size = 0
  for await (const c of source) {
    h.update(c)
    size += c.byteLength
  }
  return { hash: h.digest('hex'), size }
}

/** Yields `chunks`, then throws `error` (a dropped connection). */
export async function* failingAfter(chunks: Uint8Array[], error: unknown): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c
  throw error
}

export async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c
}

export function refOf(meta: FileRef): FileRef {
  return { sid: meta.sid, key: meta.key }
}

/** Expects `p` to reject with a PsiError of `code`; returns the error. */
export async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  try {
    await p
  } catch (err) {
    const e = err as Error & { code: string }
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`, { cause: err })
    return e
  }
  throw new Error(`expected rejection with ${code}, but it resolved`)
}
