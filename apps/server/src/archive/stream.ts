/**
 * Streams a zip (`zip-job.ts`) or tar.gz (`tar-gz-job.ts`) of store files. Both read the files
 * one at a time, in order, as the consumer pulls: an archive of many files holds one open read
 * (one S3 GET) at a time, and the consumer's backpressure reaches the store. `abort()` stops
 * everything at once.
 *
 * The job also knows where each entry ends in the bytes it sends ({@link ArchiveJob.sentWhole}),
 * so an archive that breaks off later still consumes the one-time files the client got whole.
 * @module
 */
import type { FileMeta, Store } from '@psitransfer/core'
import type { BufferPool } from '../buffer-pool.js'
import type { Logger } from '../logger.js'
import { createTarGz } from './tar-gz-job.js'
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
 * The archive job for `files`: a zip (`zip-job.ts`) or a tar.gz (`tar-gz-job.ts`). Where
 * `buffers` are given, file bytes are read into them (see {@link BufferPool}).
 */
export function createArchive(
  store: Store,
  files: readonly FileMeta[],
  format: ArchiveFormat,
  logger: Logger,
  buffers?: BufferPool,
): ArchiveJob {
  return format === 'zip'
    ? createZip(store, files, logger, buffers)
    : createTarGz(store, files, logger, buffers)
}
