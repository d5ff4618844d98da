/** Drives uploads the way the TUS machine does: one lock, info and append per PATCH. */
import { type FileRef, formatFileRef, type Locker, type NewFile } from '@psitransfer/core'
import { newFileFixture, patternStream } from '@psitransfer/core/testing'
import type { S3Store } from '../s3-store.js'

export function newFile(uploadLength: number | null, overrides: Partial<NewFile> = {}): NewFile {
  return newFileFixture({ name: 'file.bin', uploadLength, ...overrides })
}

/** Yields `bytes` in chunks of `chunk` bytes (fresh copies, like a network body). */
export async function* chunks(bytes: Uint8Array, chunk = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += chunk) yield bytes.slice(at, at + chunk)
}

export interface PatchOptions {
  /** Lock each PATCH with this locker, as the server does. */
  locker?: Locker
  /** Called after every PATCH with the offset the store reported. */
  afterPatch?: (offset: number, patch: number) => Promise<void> | void
}

/**
 * Sends `[from, to)` of the pattern file `seed` in PATCHes of `patchSize` bytes, each checking
 * the offset first (as a client resuming with HEAD would). Returns the final offset.
 */
export async function patchPattern(
  store: S3Store,
  ref: FileRef,
  seed: number,
  from: number,
  to: number,
  patchSize: number,
  options: PatchOptions = {},
): Promise<number> {
  let offset = from
  for (let patch = 0; offset < to; patch++) {
    const n = Math.min(patchSize, to - offset)
    const run = async () => {
      const info = await store.info(ref)
      if (info.offset !== offset)
        throw new Error(`offset ${info.offset} before PATCH ${patch}, expected ${offset}`)
      return store.append(ref, patternStream(seed, n, { offset, chunkSize: Math.min(n, 64 * 1024) }), offset)
    }
    let next: number
    if (options.locker) {
      const lock = await options.locker.lock(formatFileRef(ref))
      try {
        next = await run()
      } finally {
        await lock.release()
      }
    } else {
      next = await run()
    }
    if (next !== offset + n) throw new Error(`PATCH ${patch} of ${n} bytes at ${offset} returned ${next}`)
    offset = next
    await options.afterPatch?.(offset, patch)
  }
  return offset
}
