/**
 * What the zip and tar.gz jobs share: the body as a generator over the job's abort signal, a
 * `done` that settles once (complete, failed, aborted, or stopped early by the consumer), and
 * reading an entry's bytes from the store into buffers the job chose.
 * @module
 */
import { type FileMeta, type FileReader, PsiError, type Store } from '@psitransfer/core'
import type { BufferPool } from '../buffer-pool.js'
import type { Logger } from '../logger.js'

export const archiveAborted = (): PsiError => new PsiError('ABORTED', 'Archive download aborted')

export interface RunningJob {
  body: AsyncGenerator<Uint8Array>
  done: Promise<void>
  abort(): void
}

/** Runs `produce` as the body of an archive job. */
export function runJob(
  logger: Logger,
  produce: (signal: AbortSignal) => AsyncGenerator<Uint8Array>,
  buffers?: BufferPool,
): RunningJob {
  const controller = new AbortController()
  let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  done.catch((err) => {
    if (!controller.signal.aborted) logger.warn({ err }, 'archive failed')
  })
  const finish = (err?: unknown) => {
    const s = settle
    settle = undefined
    if (err === undefined) s?.resolve()
    else s?.reject(err)
  }
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      yield* produce(controller.signal)
      finish()
    } catch (err) {
      finish(controller.signal.aborted ? archiveAborted() : err)
      throw err
    } finally {
      // Stopped early by the consumer (a `return()` at a yield): not a complete archive.
      finish(archiveAborted())
    }
  }
  return {
    body: body(),
    done,
    abort() {
      if (controller.signal.aborted) return
      controller.abort(archiveAborted())
      // A body waiting for a buffer fails at once.
      buffers?.close()
      finish(archiveAborted())
    },
  }
}

const shorter = () => new Error('a stored file is shorter than its recorded size')

/** Reads exactly `into.byteLength` bytes at `position`; a file ending first is an error. */
export async function readExactly(reader: FileReader, into: Uint8Array, position: number): Promise<void> {
  for (let got = 0; got < into.byteLength; ) {
    const n = await reader.read(into.subarray(got), position + got)
    if (n === 0) throw shorter()
    got += n
  }
}

/** A stored file read front to back into buffers of the caller's choosing. */
export interface EntryReader {
  /** Fills `into` with the file's next bytes; throws if the file ends first. */
  fill(into: Uint8Array): Promise<void>
  close(): Promise<void>
}

/**
 * The file's bytes through the store's {@link FileReader} (read straight into `into`) where it
 * has one, else copied from its read stream (never more than `into` asks for).
 */
export async function openEntry(store: Store, file: FileMeta, signal: AbortSignal): Promise<EntryReader> {
  if (store.openReader) {
    const reader = await store.openReader(file)
    let pos = 0
    return {
      async fill(into) {
        await readExactly(reader, into, pos)
        pos += into.byteLength
      },
      close: () => reader.close(),
    }
  }
  const it = (await store.read(file, { signal }))[Symbol.asyncIterator]()
  let rest: Uint8Array = new Uint8Array(0)
  return {
    async fill(into) {
      for (let got = 0; got < into.byteLength; ) {
        if (rest.byteLength === 0) {
          const r = await it.next()
          if (r.done) throw shorter()
          rest = r.value
          continue
        }
        const n = Math.min(rest.byteLength, into.byteLength - got)
        into.set(n === rest.byteLength ? rest : rest.subarray(0, n), got)
        rest = rest.subarray(n)
        got += n
      }
    },
    async close() {
      await it.return?.()
    },
  }
}
