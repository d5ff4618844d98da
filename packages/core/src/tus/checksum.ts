/**
 * Checksum extension support. The machine buffers a checksummed chunk (bounded by
 * `maxChecksumChunk`) before writing it, so a chunk that fails verification is never persisted.
 * Every such buffer holds a reservation of a {@link ChecksumBudget} shared by all requests, so
 * the memory of checksummed chunks stays bounded however many arrive at once.
 * Defaults use Web Crypto; the server may inject native streaming hashers (and more algorithms).
 * @module
 */
import { PsiError } from '../errors.js'
import type { ChecksumBudget, ChecksumReservation, Hasher } from './types.js'

const WEB_CRYPTO_NAMES: Record<string, string> = {
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
}

/**
 * Web Crypto has no streaming digest: the hasher keeps the chunks it was given (the machine's
 * own buffer, not copies) and digests them at the end. Chunks that are consecutive views of one
 * buffer, as the machine passes them, are digested as one view, without joining them in a copy.
 */
function webCryptoHasher(name: string): () => Hasher {
  return () => {
    const chunks: Uint8Array[] = []
    let size = 0
    return {
      update(chunk) {
        const last = chunks[chunks.length - 1]
        if (last && last.buffer === chunk.buffer && last.byteOffset + last.byteLength === chunk.byteOffset) {
          chunks[chunks.length - 1] = new Uint8Array(
            last.buffer,
            last.byteOffset,
            last.byteLength + chunk.byteLength,
          )
        } else {
          chunks.push(chunk)
        }
        size += chunk.byteLength
      },
      async digest() {
        let all = chunks[0] ?? new Uint8Array(0)
        if (chunks.length > 1) {
          all = new Uint8Array(size)
          let at = 0
          for (const c of chunks) {
            all.set(c, at)
            at += c.byteLength
          }
        }
        return new Uint8Array(await crypto.subtle.digest(name, all as Uint8Array<ArrayBuffer>))
      },
    }
  }
}

export const defaultChecksums: Record<string, () => Hasher> = Object.fromEntries(
  Object.entries(WEB_CRYPTO_NAMES).map(([alg, name]) => [alg, webCryptoHasher(name)]),
)

export function toBase64(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}

/** Default size of the checksum buffer budget: four chunks of the default 64 MiB limit. */
export const DEFAULT_CHECKSUM_BUDGET = 256 * 1024 * 1024

interface Waiter {
  size: number
  grant: (r: ChecksumReservation) => void
}

/**
 * The in-process {@link ChecksumBudget}: reservations are all-or-nothing and granted in arrival
 * order (a large chunk is not starved by a stream of small ones). Waiting is bounded: a request
 * that cannot get its bytes in time gets `null` and is answered 503.
 */
export class MemoryChecksumBudget implements ChecksumBudget {
  #used = 0
  #peak = 0
  readonly #waiters: Waiter[] = []

  constructor(readonly capacity: number = DEFAULT_CHECKSUM_BUDGET) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError('The checksum budget must be a positive number of bytes')
    }
  }

  /** Bytes reserved right now. */
  get used(): number {
    return this.#used
  }

  /** The most bytes ever reserved at once. */
  get peak(): number {
    return this.#peak
  }

  /** Requests waiting for bytes. */
  get waiting(): number {
    return this.#waiters.length
  }

  reserve(
    size: number,
    options: { waitMs: number; signal?: AbortSignal },
  ): Promise<ChecksumReservation | null> {
    const { waitMs, signal } = options
    if (size > this.capacity) {
      return Promise.reject(new RangeError(`Cannot reserve ${size} bytes of a budget of ${this.capacity}`))
    }
    if (signal?.aborted) return Promise.reject(new PsiError('ABORTED', 'Request aborted'))
    // Nothing to hold (an empty chunk): never queue it behind a large waiter.
    if (size === 0) return Promise.resolve(this.#grant(0))
    if (this.#waiters.length === 0 && this.#used + size <= this.capacity)
      return Promise.resolve(this.#grant(size))
    if (waitMs <= 0) return Promise.resolve(null)
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        // The head of the queue left: those behind it may fit now.
        if (i === 0) this.#drain()
      }
      const waiter: Waiter = {
        size,
        grant: (r) => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          resolve(r)
        },
      }
      const timer = setTimeout(() => {
        leave()
        resolve(null)
      }, waitMs)
      const onAbort = () => {
        leave()
        reject(new PsiError('ABORTED', 'Request aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  #grant(size: number): ChecksumReservation {
    this.#used += size
    if (this.#used > this.#peak) this.#peak = this.#used
    let held = true
    return {
      size,
      release: () => {
        if (!held) return
        held = false
        this.#used -= size
        this.#drain()
      },
    }
  }

  #drain(): void {
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0] as Waiter
      if (this.#used + next.size > this.capacity) return
      this.#waiters.shift()
      next.grant(this.#grant(next.size))
    }
  }
}

let sharedBudget: MemoryChecksumBudget | undefined

/** The budget of TUS machines given none: one per process, {@link DEFAULT_CHECKSUM_BUDGET} bytes. */
export function defaultChecksumBudget(): ChecksumBudget {
  sharedBudget ??= new MemoryChecksumBudget()
  return sharedBudget
}
