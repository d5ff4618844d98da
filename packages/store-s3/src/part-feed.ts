/**
 * The body of a part uploaded while its buffer is still filling: a readable stream over the
 * buffer that hands out each byte range once it has been written (views, no copies), and ends
 * when the whole part is there. Streaming a part lets it travel while the request's next bytes
 * are still arriving (and the old tail, already in memory, goes out first).
 * @module
 */
import { Readable } from 'node:stream'

/** Largest slice handed to the socket at once. */
const SLICE = 1024 * 1024

export class PartFeed extends Readable {
  #sent = 0
  #ready = 0
  #wanted = false

  constructor(
    private readonly buf: Uint8Array,
    /** Bytes of the part (the stream ends after them). */
    readonly length: number,
  ) {
    super({ highWaterMark: SLICE })
  }

  /** Bytes handed to the request so far. */
  get sent(): number {
    return this.#sent
  }

  /** The buffer holds the part's bytes `[0, ready)`. */
  advance(ready: number): void {
    this.#ready = Math.min(ready, this.length)
    if (this.#wanted) this.#pump()
  }

  override _read(): void {
    this.#wanted = true
    this.#pump()
  }

  #pump(): void {
    if (this.destroyed) return
    while (this.#wanted && this.#sent < this.#ready) {
      const n = Math.min(SLICE, this.#ready - this.#sent)
      const view = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.#sent, n)
      this.#sent += n
      this.#wanted = this.push(view)
    }
    if (this.#sent === this.length && this.#wanted) {
      this.#wanted = false
      this.push(null)
    }
  }
}
