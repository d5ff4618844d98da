/**
 * A tar.gz of store files, written here: the tar records come from `tar.ts`, the gzip member
 * from `gzip.ts`. The tar stream is cut into segments of up to one send buffer (an entry's data
 * with the padding and headers before it); each segment is read from the store straight into a
 * buffer of the response's {@link BufferPool}, then either framed there as stored deflate
 * blocks and sent from that buffer, or compressed by zlib (on the thread pool) when it looks
 * compressible. An entry's last segment ends where its data ends, so the bytes sent up to there
 * decode to the whole file ({@link ArchiveJob.sentWhole}).
 *
 * archiver's tar engine and a zlib stream at an adaptive level did this at ~4 s of CPU per GiB
 * of incompressible files (0.42× the rate of downloading them one by one): every byte passed
 * through tar-stream's JavaScript, deflate's stored path, its CRC in JavaScript, and fresh
 * buffers at each step.
 * @module
 */
import { promisify } from 'node:util'
import { crc32, deflateRaw, constants as zlibConstants } from 'node:zlib'
import type { FileMeta, Store } from '@psitransfer/core'
import { BufferPool } from '../buffer-pool.js'
import type { Logger } from '../logger.js'
import {
  GZIP_HEADER,
  gzipTrailer,
  looksCompressible,
  storedBlocks,
  storedCapacity,
  storedOffset,
} from './gzip.js'
import { archiveAborted, openEntry, runJob } from './job.js'
import { uniqueEntryNames } from './names.js'
import type { ArchiveJob } from './stream.js'
import { TAR_END, tarHeader, tarPadding } from './tar.js'

const deflate = promisify(deflateRaw)
/** Level 1: text still shrinks to a third or so, at several times the speed of the default 6. */
const LEVEL = 1
/** Segment buffers when the caller gives none (fresh ones each time). */
const OWN_BUFFER_BYTES = 256 * 1024
/** Data bytes a segment needs before its compressibility is judged; smaller ones go as the last did. */
const JUDGE_FROM = 1024

export function createTarGz(
  store: Store,
  files: readonly FileMeta[],
  logger: Logger,
  buffers?: BufferPool,
): ArchiveJob {
  const names = uniqueEntryNames(files)
  // Offset in the body at which each entry's data is complete.
  const ends: number[] = []
  let pool = buffers
  if (!pool) {
    pool = new BufferPool(0, OWN_BUFFER_BYTES)
    pool.detach()
  }
  const segmentCap = storedCapacity(pool.size)

  async function* produce(signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const buffers = pool as BufferPool
    let crc = 0
    let tarBytes = 0
    let sent = 0
    let compress = true
    /** Sends `bytes` (in `buf`, a pool buffer, when given) as one segment. */
    async function* segment(
      bytes: Uint8Array,
      judge: Uint8Array,
      buf?: Buffer,
    ): AsyncGenerator<Uint8Array, number> {
      crc = crc32(bytes, crc)
      tarBytes += bytes.byteLength
      if (judge.byteLength >= JUDGE_FROM) compress = looksCompressible(judge)
      if (compress || !buf) {
        const out = await deflate(bytes, { level: LEVEL, finishFlush: zlibConstants.Z_SYNC_FLUSH })
        if (buf) buffers.give(buf)
        if (signal.aborted) throw archiveAborted()
        sent += out.byteLength
        yield out
        // The sync flush ends with an empty stored block's LEN and NLEN: the data is
        // decodable without those four bytes.
        return 4
      }
      const out = storedBlocks(buf, bytes.byteLength)
      sent += out.byteLength
      yield out
      return 0
    }

    yield GZIP_HEADER
    sent += GZIP_HEADER.byteLength
    let head: Uint8Array = new Uint8Array(0)
    for (const [i, file] of files.entries()) {
      if (signal.aborted) throw archiveAborted()
      const size = file.uploadLength ?? file.offset
      head = concat(head, tarHeader({ name: names[i] as string, size, mtime: file.createdAt }))
      if (head.byteLength > segmentCap / 2) {
        // Long pax names: the headers go on their own.
        yield* segment(head, head)
        head = new Uint8Array(0)
      }
      const entry = await openEntry(store, file, signal)
      try {
        let pos = 0
        let tail = 0
        do {
          const buf = await buffers.take()
          if (signal.aborted) throw archiveAborted()
          const take = Math.min(size - pos, segmentCap - head.byteLength)
          const length = head.byteLength + take
          const at = storedOffset(length)
          buf.set(head, at)
          const data = buf.subarray(at + head.byteLength, at + length)
          await entry.fill(data)
          pos += take
          head = new Uint8Array(0)
          tail = yield* segment(buf.subarray(at, at + length), data, buf)
        } while (pos < size)
        ends[i] = sent - tail
      } finally {
        await entry.close()
      }
      head = new Uint8Array(tarPadding(size))
    }
    // The padding of the last entry and the end of the tar, in deflate's final block.
    const last = concat(head, TAR_END)
    crc = crc32(last, crc)
    tarBytes += last.byteLength
    yield await deflate(last, { level: LEVEL })
    yield gzipTrailer(crc, tarBytes)
  }

  const job = runJob(logger, produce, buffers)
  return {
    ...job,
    sentWhole: (index, bytesSent) => {
      const end = ends[index]
      return end !== undefined && bytesSent >= end
    },
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}
