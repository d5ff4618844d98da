/**
 * Streaming an append's body into its open data file, keeping every byte that reached it.
 * @module
 */
import type { FileHandle } from 'node:fs/promises'
import { abortable, PsiError } from '@psitransfer/core'
import { type BlockPool, BlockWriter } from './block-writer.js'
import type { Dirty, Durability } from './durability.js'
import { fsError } from './fs-errors.js'
import { invalidInput } from './patch.js'

/** Carries an error of the caller's data source through our fs error mapping untouched. */
export class SourceFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Streams `data` into the open file from `offset` and resolves with the new size. Whatever
 * happens, the bytes that reached the file stay there (they are a prefix of the stream) and
 * count; errors from the source are thrown as a {@link SourceFailure}, write errors become
 * core errors carrying the real offset.
 */
export async function writeBody(
  fh: FileHandle,
  data: AsyncIterable<Uint8Array>,
  offset: number,
  uploadLength: number | null,
  signal: AbortSignal | undefined,
  pool: BlockPool,
  durability: Durability,
  dirty: Dirty,
): Promise<number> {
  const writer = new BlockWriter(fh, offset, pool)
  const limit = uploadLength ?? Number.POSITIVE_INFINITY
  let end = offset
  let failure: { error: unknown } | undefined
  try {
    for await (const chunk of abortable(data, signal)) {
      if (!(chunk instanceof Uint8Array)) throw invalidInput('Upload data must be bytes')
      if (end + chunk.byteLength > limit) {
        // The chunk that crosses the limit is dropped whole; earlier chunks are valid and kept.
        throw new PsiError('TOO_LARGE', `The upload is larger than its declared length of ${limit} bytes`)
      }
      await writer.push(chunk)
      end += chunk.byteLength
      dirty.bytes += chunk.byteLength
      durability.flushWhileWriting(fh, dirty)
    }
    await writer.flush()
  } catch (error) {
    failure = { error }
  }
  if (failure && !writer.failed) {
    // The source failed or was aborted: bytes already received are valid, keep them.
    await writer.flush().catch((error: unknown) => {
      failure = { error }
    })
  }
  await writer.dispose()
  let syncError: { error: unknown } | undefined
  if (durability.eager && !writer.failed) {
    // The offset we report must survive a power loss, on the error path too.
    await fh.datasync().catch((error: unknown) => {
      syncError = { error }
    })
  }
  // Every byte up to `end` was confirmed by write(): that is the file size, no stat needed.
  if (!failure && !syncError) return end
  const size = (await fh.stat()).size
  if (syncError) throw fsError(syncError.error, { offset: size })
  if (writer.failed) throw fsError(failure?.error, { offset: size })
  throw new SourceFailure(failure?.error)
}
