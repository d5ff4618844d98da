/**
 * A few send buffers that a body producer reads file bytes into and the Node response gives
 * back once the socket has taken them (its write callback), so a long download allocates
 * nothing per chunk (see `sendFile` in `send.ts` for why that matters to V8). A consumer that
 * cannot tell when the bytes are gone (a Web stream) {@link detach}es the pool: from then on it
 * hands out fresh buffers and never waits.
 * @module
 */
export class BufferPool {
  readonly #free: Buffer[] = []
  readonly #mine = new Map<ArrayBufferLike, Buffer>()
  #wake: Array<() => void> = []
  #closed = false
  #detached = false

  constructor(
    count: number,
    readonly size: number,
  ) {
    for (let i = 0; i < count; i++) {
      // Slow: a buffer of its own, not a slice of Node's shared pool (identified by its ArrayBuffer).
      const b = Buffer.allocUnsafeSlow(size)
      this.#free.push(b)
      this.#mine.set(b.buffer, b)
    }
  }

  /** A free buffer, waiting until one is given back. Throws once the pool is closed. */
  async take(): Promise<Buffer> {
    while (true) {
      if (this.#closed) throw new Error('the response was closed')
      if (this.#detached) return Buffer.allocUnsafe(this.size)
      const b = this.#free.pop()
      if (b) return b
      await new Promise<void>((resolve) => this.#wake.push(resolve))
    }
  }

  /** Whether `chunk` lies in one of the pool's buffers. */
  owns(chunk: Uint8Array): boolean {
    return this.#mine.has(chunk.buffer)
  }

  /** Gives back the buffer `chunk` lies in (a chunk not from the pool is ignored). */
  give(chunk: Uint8Array): void {
    const b = this.#mine.get(chunk.buffer)
    if (!b) return
    this.#free.push(b)
    this.#poke()
  }

  /** The consumer cannot give buffers back: fresh ones from now on. */
  detach(): void {
    this.#detached = true
    this.#poke()
  }

  /** The response is gone: waiting and later takers fail. */
  close(): void {
    this.#closed = true
    this.#poke()
  }

  #poke(): void {
    const wake = this.#wake
    this.#wake = []
    for (const w of wake) w()
  }
}
