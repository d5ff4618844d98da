/**
 * The store-wide memory budget: every buffered byte (parts being filled or uploaded, cached
 * tails) holds a reservation here, so memory stays bounded however many uploads run at once.
 * Reservations are all-or-nothing and FIFO, so uploads waiting for memory cannot deadlock
 * each other: memory already held belongs to parts that finish without more memory.
 * @module
 */
import { abortError } from '@psitransfer/core'

export interface Reservation {
  readonly size: number
  /** Gives back part of the reservation (keeps `size`). */
  shrink(size: number): void
  release(): void
}

interface Waiter {
  size: number
  resolve: (r: Reservation) => void
  reject: (err: unknown) => void
}

export class ByteBudget {
  #used = 0
  #peak = 0
  readonly #waiters: Waiter[] = []
  /** Called when a reservation cannot be granted; frees optional holdings (the tail cache). */
  evict: ((needed: number) => void) | undefined

  constructor(readonly capacity: number) {}

  get used(): number {
    return this.#used
  }
  get peak(): number {
    return this.#peak
  }
  resetPeak(): void {
    this.#peak = this.#used
  }

  /** Resolves once `size` bytes are free (a request larger than the capacity waits until nothing else is held). */
  acquire(size: number, signal?: AbortSignal): Promise<Reservation> {
    if (signal?.aborted) return Promise.reject(abortError(signal))
    const now = this.tryAcquire(size)
    if (now) return Promise.resolve(now)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { size, resolve, reject }
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        reject(abortError(signal as AbortSignal))
      }
      waiter.resolve = (r) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(r)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  /**
   * A reservation if `size` bytes are free right now (and nobody is queued), else `null`.
   * `evict` replaces the store-wide eviction for this request (e.g. an optional cache entry may
   * only push out other cache entries, never memory that uploads are using).
   */
  tryAcquire(size: number, evict: ((needed: number) => void) | undefined = this.evict): Reservation | null {
    if (this.#waiters.length > 0 || !this.#fits(size, evict)) return null
    return this.#grant(size)
  }

  #fits(size: number, evict: ((needed: number) => void) | undefined = this.evict): boolean {
    if (this.#used + size <= this.capacity || this.#used === 0) return true
    evict?.(this.#used + size - this.capacity)
    return this.#used + size <= this.capacity || this.#used === 0
  }

  #grant(size: number): Reservation {
    this.#used += size
    if (this.#used > this.#peak) this.#peak = this.#used
    let held = size
    const self = this
    return {
      get size() {
        return held
      },
      shrink(to: number) {
        if (to >= held) return
        self.#free(held - Math.max(0, to))
        held = Math.max(0, to)
      },
      release() {
        if (held === 0) return
        self.#free(held)
        held = 0
      },
    }
  }

  #free(n: number): void {
    this.#used -= n
    this.#drain()
  }

  #draining = false

  /** Grants queued requests in order; not re-entered when eviction frees memory meanwhile. */
  #drain(): void {
    if (this.#draining) return
    this.#draining = true
    try {
      while (this.#waiters.length > 0) {
        const next = this.#waiters[0] as Waiter
        if (!(this.#used + next.size <= this.capacity || this.#used === 0)) {
          this.evict?.(this.#used + next.size - this.capacity)
          if (!(this.#used + next.size <= this.capacity || this.#used === 0)) break
        }
        this.#waiters.shift()
        next.resolve(this.#grant(next.size))
      }
    } finally {
      this.#draining = false
    }
  }
}

/**
 * Reuses part buffers instead of allocating a fresh one per part: with the allocator keeping
 * freed multi-MiB blocks, fresh allocations made RSS grow with the file size. Every pooled
 * buffer was once held under a reservation, so buffers in existence never exceed the most
 * that was reserved at once; `limit` caps the idle ones.
 */
export class BufferPool {
  readonly #free = new Map<number, Uint8Array[]>()
  #idle = 0

  constructor(readonly limit: number) {}

  /** Bytes in idle buffers. */
  get idleBytes(): number {
    return this.#idle
  }

  take(size: number): Uint8Array {
    const list = this.#free.get(size)
    const buf = list?.pop()
    if (buf) {
      this.#idle -= size
      return buf
    }
    return Buffer.allocUnsafe(size)
  }

  give(buf: Uint8Array): void {
    const size = buf.byteLength
    if (this.#idle + size > this.limit) return
    const list = this.#free.get(size) ?? []
    list.push(buf)
    this.#free.set(size, list)
    this.#idle += size
  }

  clear(): void {
    this.#free.clear()
    this.#idle = 0
  }
}
