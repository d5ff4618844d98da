// Byte sources (async iterables or WHATWG ReadableStreams) cut into exact-size pieces.

/** What the streaming functions read: any async iterable of byte chunks, or a ReadableStream. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>

/** Iterates a source; a ReadableStream through its reader (not every browser has its async iterator). */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader()
    let done = false
    try {
      while (true) {
        const r = await reader.read()
        if (r.done) {
          done = true
          return
        }
        yield r.value
      }
    } finally {
      // Stopped early (error downstream): cancel the stream so its producer stops too.
      if (!done) await reader.cancel().catch(() => {})
      reader.releaseLock()
    }
  }
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('byte sources must yield Uint8Array chunks')
    yield chunk
  }
}

/**
 * Reads a source in pieces of exactly `n` bytes (the last one may be shorter), holding at most
 * n + one chunk in memory. `fill(n)` returns whether at least n bytes are buffered.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = []
  private head = 0 // bytes already taken from chunks[0]
  length = 0
  private ended = false
  private readonly it: AsyncIterator<Uint8Array>

  constructor(source: ByteSource) {
    this.it = chunksOf(source)[Symbol.asyncIterator]()
  }

  /** Buffers until at least `n` bytes are held or the source ended; true if n are held. */
  async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.ended) {
      const r = await this.it.next()
      if (r.done) this.ended = true
      else if (r.value.length > 0) {
        this.chunks.push(r.value)
        this.length += r.value.length
      }
    }
    return this.length >= n
  }

  /** Removes and returns the first min(n, length) bytes. */
  take(n: number): Uint8Array {
    const size = Math.min(n, this.length)
    const first = this.chunks[0]
    // Fast path: the piece lies inside one chunk, return a view without copying.
    if (first && first.length - this.head >= size) {
      const out = first.subarray(this.head, this.head + size)
      this.head += size
      if (this.head === first.length) {
        this.chunks.shift()
        this.head = 0
      }
      this.length -= size
      return out
    }
    const out = new Uint8Array(size)
    let o = 0
    while (o < size) {
      const c = this.chunks[0]!
      const m = Math.min(c.length - this.head, size - o)
      out.set(c.subarray(this.head, this.head + m), o)
      o += m
      this.head += m
      if (this.head === c.length) {
        this.chunks.shift()
        this.head = 0
      }
    }
    this.length -= size
    return out
  }

  /** Stops the source early (closes its iterator). */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true
      await this.it.return?.()
    }
  }
}

/** An async iterable as a ReadableStream (pull-based: backpressure reaches the iterable). */
export function toReadableStream(iterable: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = iterable[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next()
      if (r.done) controller.close()
      else controller.enqueue(r.value)
    },
    async cancel(reason) {
      await it.return?.(reason)
    },
  })
}
