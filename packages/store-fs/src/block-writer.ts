/**
 * Writes a byte stream into an open file at explicit positions, coalescing small network
 * chunks into large blocks (one `pwrite` per block instead of one per 16-64 KiB chunk).
 *
 * At most one write is in flight and writes are issued in file order, so a failed write can
 * never leave a hole before bytes that were written: the file size is always a prefix of
 * the stream. While a block is being written the next one is filled, so the source keeps
 * flowing; a chunk of block size or more is written directly (no copy) and awaited before
 * the next chunk is pulled, because a source may reuse a chunk's memory once it yields again.
 * @module
 */
import type { FileHandle } from 'node:fs/promises'

/** A few reusable blocks, so steady uploads do not allocate a block per request. */
export class BlockPool {
  readonly #free: Buffer[] = []

  constructor(
    readonly blockSize: number,
    private readonly maxFree = 8,
  ) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafe(this.blockSize)
  }

  give(buf: Buffer): void {
    if (this.#free.length < this.maxFree && buf.byteLength === this.blockSize) this.#free.push(buf)
  }
}

/** Writes all of `buf[0..len)` at `position` (regular files may return short writes, e.g. near ENOSPC). */
export async function writeFully(
  fh: FileHandle,
  buf: Uint8Array,
  len: number,
  position: number,
): Promise<void> {
  let done = 0
  while (done < len) {
    const { bytesWritten } = await fh.write(buf, done, len - done, position + done)
    if (bytesWritten <= 0) throw new Error('write() made no progress')
    done += bytesWritten
  }
}

export class BlockWriter {
  readonly #fh: FileHandle
  readonly #pool: BlockPool
  /** File position of the next byte handed to {@link push} (pending bytes included). */
  #end: number
  #block: Buffer | undefined
  #fill = 0
  #inFlight: Promise<void> | undefined
  #failure: { error: unknown } | undefined

  constructor(fh: FileHandle, position: number, pool: BlockPool) {
    this.#fh = fh
    this.#end = position
    this.#pool = pool
  }

  /** True once a write failed; nothing more is written after that. */
  get failed(): boolean {
    return this.#failure !== undefined
  }

  /** Adds a chunk. Resolves when the writer is ready for the next one (backpressure). */
  async push(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed()
    const size = this.#pool.blockSize
    if (chunk.byteLength >= size) {
      await this.flush()
      const position = this.#end
      this.#end += chunk.byteLength
      await this.#guard(writeFully(this.#fh, chunk, chunk.byteLength, position))
      return
    }
    let off = 0
    while (off < chunk.byteLength) {
      this.#block ??= this.#pool.take()
      const n = Math.min(chunk.byteLength - off, size - this.#fill)
      this.#block.set(chunk.subarray(off, off + n), this.#fill)
      this.#fill += n
      off += n
      this.#end += n
      if (this.#fill === size) await this.#submit()
    }
  }

  /** Writes pending bytes and waits for every write. Rejects with the first write error. */
  async flush(): Promise<void> {
    if (this.#fill > 0 && !this.#failure) await this.#submit()
    const pending = this.#inFlight
    this.#inFlight = undefined
    if (pending) await pending
    this.#throwIfFailed()
  }

  /** Drops pending bytes and returns buffers to the pool (after a failure). Never throws. */
  async dispose(): Promise<void> {
    await this.#inFlight?.catch(() => {})
    this.#inFlight = undefined
    if (this.#block) this.#pool.give(this.#block)
    this.#block = undefined
    this.#fill = 0
  }

  /** Starts writing the current block once the previous write is done (one write in flight). */
  async #submit(): Promise<void> {
    const previous = this.#inFlight
    this.#inFlight = undefined
    if (previous) await previous
    this.#throwIfFailed()
    const buf = this.#block!
    const len = this.#fill
    const position = this.#end - len
    this.#block = undefined
    this.#fill = 0
    const write = this.#guard(writeFully(this.#fh, buf, len, position)).finally(() => this.#pool.give(buf))
    // Observed by the next submit/flush; this keeps an early failure from being "unhandled".
    write.catch(() => {})
    this.#inFlight = write
  }

  #guard(p: Promise<void>): Promise<void> {
    return p.catch((error: unknown) => {
      this.#failure ??= { error }
      throw error
    })
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error
  }
}
