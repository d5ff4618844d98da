/**
 * Streams a zip (`zip-job.ts`) or tar.gz (archiver's tar engine, gzipped here) of store files.
 * Files are appended one at a time: the next store read opens only after the previous entry is
 * fully written, so an archive of many files holds one open read (one S3 GET) at a time, and
 * the consumer's backpressure reaches the store. `abort()` stops everything at once.
 *
 * The job also knows where each entry ends in the bytes it sends ({@link ArchiveJob.sentWhole}),
 * so an archive that breaks off later still consumes the one-time files the client got whole.
 * @module
 */
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import {
  crc32,
  createDeflateRaw,
  type DeflateRaw,
  deflateRawSync,
  constants as zlibConstants,
} from 'node:zlib'
import { type FileMeta, PsiError, type Store } from '@psitransfer/core'
import type archiver from 'archiver'
import type { BufferPool } from '../buffer-pool.js'
import type { Logger } from '../logger.js'
import { uniqueEntryNames } from './names.js'
import { createZip } from './zip-job.js'

export type ArchiveFormat = 'zip' | 'tar.gz'

export interface ArchiveJob {
  /** The archive bytes. */
  body: AsyncIterable<Uint8Array>
  /** Stops reading from the store and tears the archive down. */
  abort(): void
  /** Settles when all entries were appended and finalized (rejects on failure or abort). */
  done: Promise<void>
  /**
   * True when the first `bytesSent` bytes of {@link body} hold entry `index` (of `files`) whole,
   * so a client that received them has the file even if the archive broke off afterwards.
   */
  sentWhole(index: number, bytesSent: number): boolean
  /** The archive's length in bytes, where it is known before the first byte (zip). */
  size?: number
}

/**
 * archiver (and its tar engine, about 15 MiB of memory) is loaded on the first archive
 * download, not at startup: most servers never serve one. It is CommonJS, so a synchronous
 * require keeps createArchive synchronous.
 */
let archiverModule: typeof archiver | undefined
function loadArchiver(): typeof archiver {
  archiverModule ??= createRequire(import.meta.url)('archiver') as typeof archiver
  return archiverModule
}

/**
 * The archive job for `files`. A zip is written by `zip-job.ts` (into `buffers` where the
 * store can read into them); a tar.gz by archiver's tar engine and zlib.
 */
export function createArchive(
  store: Store,
  files: readonly FileMeta[],
  format: ArchiveFormat,
  logger: Logger,
  buffers?: BufferPool,
): ArchiveJob {
  if (format === 'zip') return createZip(store, files, logger, buffers)
  // Gzipped here rather than by archiver, so entry ends can be flushed (see below).
  const archive = loadArchiver()('tar')
  const controller = new AbortController()
  // Offset in the body at which each entry is complete: set once its bytes were produced.
  const ends: number[] = []
  const produced = archiveBytesWritten(archive)
  // Raw deflate in a gzip frame of our own: Node's Gzip ignores params() (its binding changes
  // the level only for deflate and raw deflate), and the level changes per window below.
  // 1 MiB output chunks: with 64 KiB, 300 MiB of stored (incompressible) tar took 2.7 s of
  // CPU, mostly garbage collection of the output buffers and thread-pool round trips; with
  // 1 MiB 0.75 s.
  const gzip = createDeflateRaw({ level: 1, chunkSize: 1024 * 1024 })
  const onEntryEnd = gzipEntryEnds(archive, gzip, ends, controller.signal, logger)
  let current: Readable | undefined
  // Errors also surface through the body iterator; this listener keeps a late one from
  // becoming an uncaught exception.
  archive.on('error', (err) => logger.debug({ err }, 'archive stream error'))
  archive.on('warning', (err) => logger.warn({ err }, 'archive warning'))

  const names = uniqueEntryNames(files)
  const done = (async () => {
    for (const [i, file] of files.entries()) {
      if (controller.signal.aborted) throw new PsiError('ABORTED', 'Archive download aborted')
      const source = Readable.from(await store.read(file, { signal: controller.signal }), {
        objectMode: false,
      })
      current = source
      await appendOne(
        archive,
        source,
        {
          name: names[i] as string,
          date: new Date(file.createdAt),
          mode: 0o644,
          // Known size lets tar stream the entry instead of buffering it to learn its length.
          stats: { size: file.uploadLength ?? file.offset } as never,
        },
        controller.signal,
      )
      // Every byte of this entry (and nothing of the next, not yet appended) is produced. A
      // tar entry ends with zero padding to 512 bytes, which the client does not need.
      const size = file.uploadLength ?? file.offset
      onEntryEnd(i, produced() - ((512 - (size % 512)) % 512))
      current = undefined
    }
    await archive.finalize()
  })()
  done.catch((err) => {
    if (!controller.signal.aborted) logger.warn({ err }, 'archive failed')
    current?.destroy()
    const error = err instanceof Error ? err : new Error(String(err))
    archive.destroy(error)
    gzip.destroy(error)
  })

  return {
    body: gzip,
    done,
    sentWhole: (index, bytesSent) => {
      const end = ends[index]
      return end !== undefined && bytesSent >= end
    },
    abort() {
      if (controller.signal.aborted) return
      controller.abort(new PsiError('ABORTED', 'Archive download aborted'))
      current?.destroy()
      archive.destroy()
      gzip.destroy()
    },
  }
}

/**
 * Bytes the tar engine has produced so far (archiver passes them through 1:1). archiver has no
 * public API for this; tar-stream's pack pushes every byte it makes. `stream.test.ts` pins this
 * against the real entry offsets, so an archiver upgrade that changes it fails there.
 */
function archiveBytesWritten(archive: archiver.Archiver): () => number {
  const engine = (archive as unknown as { _module?: { engine?: unknown } })._module?.engine as
    | { push?: (chunk: unknown) => boolean }
    | undefined
  if (engine && typeof engine.push === 'function') {
    quietTarSinks(engine)
    let pushed = 0
    const push = engine.push.bind(engine)
    engine.push = (chunk: unknown) => {
      if (chunk instanceof Uint8Array) pushed += chunk.byteLength
      return push(chunk)
    }
    return () => pushed
  }
  throw new Error('archiver engine without a byte count: one-time entries could not be tracked')
}

/**
 * tar-stream makes a sink per entry that archiver feeds with `pipe()`. When a download is
 * aborted the pack is destroyed, the sink errors, and the pipe rethrows that error if the sink
 * has no listener of its own (an uncaught exception). archiver reports the failure through
 * the pack already, so the sink's copy is dropped.
 */
function quietTarSinks(engine: object): void {
  const pack = engine as { entry?: (...args: unknown[]) => unknown }
  const entry = pack.entry?.bind(pack)
  if (!entry) return
  pack.entry = (...args: unknown[]) => {
    const sink = entry(...args) as { on?: (event: string, fn: () => void) => void } | undefined
    sink?.on?.('error', () => {})
    return sink
  }
}

/** gzip member header (RFC 1952): deflate, no flags, no mtime, OS Unix. */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3)

/**
 * Pipes the tar into `gzip` (raw deflate, framed here as gzip: header first, CRC-32 and size
 * of the input last) and, at each entry's end, flushes the compressor (Z_SYNC_FLUSH), so the
 * entry is decodable from the bytes produced up to there: that count is its end. Returns the
 * callback that registers an entry's end offset in the tar.
 */
function gzipEntryEnds(
  archive: archiver.Archiver,
  gzip: DeflateRaw,
  ends: number[],
  signal: AbortSignal,
  logger: Logger,
): (index: number, tarEnd: number) => void {
  let gzipped = 0
  let crc = 0
  let inputSize = 0
  const push = gzip.push.bind(gzip)
  gzip.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null) {
      // The deflate stream ended: the gzip trailer goes before the end of the body.
      const trailer = new Uint8Array(8)
      const view = new DataView(trailer.buffer)
      view.setUint32(0, crc, true)
      view.setUint32(4, inputSize, true)
      gzipped += trailer.byteLength
      push(trailer)
    } else if (chunk instanceof Uint8Array) gzipped += chunk.byteLength
    return push(chunk, encoding)
  }
  gzip.push(GZIP_HEADER)
  let fed = 0
  const level = new AdaptiveLevel(gzip, signal)
  const pending: { index: number; tarEnd: number }[] = []
  const flush = (index: number) =>
    new Promise<void>((resolve) => {
      gzip.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        // The flush ends with an empty stored block's `00 00 ff ff`; the data is decodable
        // without those four bytes.
        ends[index] = Math.max(0, gzipped - 4)
        resolve()
      })
    })
  void (async () => {
    for await (const piece of archive) {
      let chunk = piece as Uint8Array
      while (chunk.byteLength > 0) {
        const next = pending[0]
        // At most one level window per write: a chunk joins whatever the tar stream had
        // buffered (the end of one file, a header, the start of the next), and each window
        // is judged on its own.
        const take = Math.min(chunk.byteLength, next ? next.tarEnd - fed : LEVEL_WINDOW, LEVEL_WINDOW)
        const slice = chunk.subarray(0, take)
        await level.before(slice)
        crc = crc32(slice, crc)
        inputSize = (inputSize + take) % 2 ** 32
        if (!gzip.write(slice)) await once(gzip, 'drain', { signal })
        level.fed(take)
        fed += take
        chunk = chunk.subarray(take)
        if (next && fed >= next.tarEnd) {
          pending.shift()
          void flush(next.index)
        }
      }
    }
    gzip.end()
  })().catch((err) => {
    logger.debug({ err }, 'archive gzip stream ended early')
    gzip.destroy(err instanceof Error ? err : new Error(String(err)))
  })
  return (index, tarEnd) => {
    // The tar may already have passed through (its bytes flow before archiver reports the
    // entry): then flush now; nothing of the next entry was appended yet.
    if (fed >= tarEnd) void flush(index)
    else pending.push({ index, tarEnd })
  }
}

/** Tar bytes between two looks at how compressible the data is. */
const LEVEL_WINDOW = 1024 * 1024
/** Bytes deflated (level 1, on this thread) to judge a window: about 0.2 ms. */
const SAMPLE = 8 * 1024
/** A sample that deflate shrinks by less than 3 % is taken as incompressible. */
const INCOMPRESSIBLE = 0.97

/**
 * Picks the gzip level per 1 MiB window of tar: stored (level 0) where a sample does not
 * compress, level 1 elsewhere. Shared files are mostly compressed already (video, images,
 * zips). Deflate ends up storing such data anyway, but only after searching it for matches:
 * ~40 MiB/s on one core here, where level 0 runs at ~600 MiB/s. Text still shrinks.
 */
export class AdaptiveLevel {
  #level = 1
  #since = LEVEL_WINDOW

  constructor(
    private readonly gzip: Pick<DeflateRaw, 'params' | 'once' | 'off' | 'destroyed'>,
    private readonly signal: AbortSignal,
  ) {}

  get level(): number {
    return this.#level
  }

  /** Called before writing `chunk`: at a window's start, sets the level for what follows. */
  async before(chunk: Uint8Array): Promise<void> {
    // Tar headers and padding come in pieces of 512 bytes: too little to judge by.
    if (this.#since < LEVEL_WINDOW || chunk.byteLength < SAMPLE) return
    this.#since = 0
    // From the middle of the chunk: the tar stream hands over headers and data joined, and a
    // 512-byte header (mostly zeros) at the start of an 8 KiB sample made noise look 6 %
    // compressible. Each such misjudged window flipped the level twice (1,000 files of 1 MiB
    // took 9.7 s of CPU instead of 4.1).
    const at = (chunk.byteLength - SAMPLE) >>> 1
    const sample = chunk.subarray(at, at + SAMPLE)
    const stored = deflateRawSync(sample, { level: 1 }).byteLength >= sample.byteLength * INCOMPRESSIBLE
    const want = stored ? 0 : 1
    if (want === this.#level) return
    this.#level = want
    // params() flushes first and changes the level in the flush's callback; nothing may be
    // written in between (a write running on the thread pool must not meet deflateParams).
    await new Promise<void>((resolve, reject) => {
      const stop = () => reject(new PsiError('ABORTED', 'Archive download aborted'))
      if (this.signal.aborted || this.gzip.destroyed) return stop()
      this.gzip.once('close', stop)
      this.signal.addEventListener('abort', stop, { once: true })
      this.gzip.params(want, zlibConstants.Z_DEFAULT_STRATEGY, () => {
        this.gzip.off('close', stop)
        this.signal.removeEventListener('abort', stop)
        resolve()
      })
    })
  }

  fed(bytes: number): void {
    this.#since += bytes
  }
}

function appendOne(
  archive: archiver.Archiver,
  source: Readable,
  data: archiver.EntryData,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      archive.off('entry', onEntry)
      archive.off('error', onError)
      source.off('error', onError)
      signal.removeEventListener('abort', onAbort)
    }
    const onEntry = () => {
      cleanup()
      resolve()
    }
    const onError = (err: unknown) => {
      cleanup()
      reject(err)
    }
    const onAbort = () => {
      cleanup()
      reject(new PsiError('ABORTED', 'Archive download aborted'))
    }
    archive.on('entry', onEntry)
    archive.on('error', onError)
    source.on('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
    archive.append(source, data)
  })
}
