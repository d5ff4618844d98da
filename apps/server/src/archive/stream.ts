/**
 * Streams a zip or tar.gz of store files with archiver. Files are appended one at a time:
 * the next store read opens only after the previous entry is fully written, so an archive of
 * many files holds one open read (one S3 GET) at a time, and archiver's backpressure reaches
 * the store. `abort()` stops everything at once.
 * @module
 */
import { Readable } from 'node:stream'
import { type FileMeta, PsiError, type Store } from '@psitransfer/core'
import archiver from 'archiver'
import type { Logger } from '../logger.js'
import { uniqueEntryNames } from './names.js'

export type ArchiveFormat = 'zip' | 'tar.gz'

export interface ArchiveJob {
  /** The archive bytes. */
  body: AsyncIterable<Uint8Array>
  /** Stops reading from the store and tears the archive down. */
  abort(): void
  /** Settles when all entries were appended and finalized (rejects on failure or abort). */
  done: Promise<void>
}

export function createArchive(
  store: Store,
  files: readonly FileMeta[],
  format: ArchiveFormat,
  logger: Logger,
): ArchiveJob {
  const archive =
    format === 'zip'
      ? // Stored, not deflated: shared files are mostly compressed already, and on small
        // machines deflate would cap the download rate.
        archiver('zip', { store: true })
      : archiver('tar', { gzip: true, gzipOptions: { level: 1 } })
  const controller = new AbortController()
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
      current = undefined
    }
    await archive.finalize()
  })()
  done.catch((err) => {
    if (!controller.signal.aborted) logger.warn({ err }, 'archive failed')
    current?.destroy()
    archive.destroy(err instanceof Error ? err : new Error(String(err)))
  })

  return {
    body: archive,
    done,
    abort() {
      if (controller.signal.aborted) return
      controller.abort(new PsiError('ABORTED', 'Archive download aborted'))
      current?.destroy()
      archive.destroy()
    },
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
