/**
 * Counts failed password attempts per key (bucket + client, or service + client) in memory.
 * The map is bounded: when full, the oldest entries go first, so an attacker cycling keys
 * cannot grow memory, only forget old entries.
 * @module
 */

export interface RateLimitOptions {
  /** Failures allowed within `windowMs` before further attempts are refused. */
  maxFailures: number
  windowMs: number
  maxKeys: number
}

interface Entry {
  failures: number
  resetAt: number
}

export class FailureRateLimiter {
  readonly #entries = new Map<string, Entry>()
  constructor(
    private readonly options: RateLimitOptions = { maxFailures: 10, windowMs: 15 * 60_000, maxKeys: 10_000 },
  ) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, now: number): number {
    const e = this.#entries.get(key)
    if (!e) return 0
    if (e.resetAt <= now) {
      this.#entries.delete(key)
      return 0
    }
    return e.failures >= this.options.maxFailures ? Math.ceil((e.resetAt - now) / 1000) : 0
  }

  /**
   * Counts an attempt before it is checked, so parallel attempts cannot all pass while the first
   * ones are still being verified: returns the seconds to wait (refused, not counted), or 0
   * (counted as a failure until {@link succeed} or {@link refund}).
   */
  attempt(key: string, now: number): number {
    const wait = this.retryAfter(key, now)
    if (wait > 0) return wait
    this.fail(key, now)
    return 0
  }

  /** Gives back an attempt that was never checked (e.g. the server was too busy to). */
  refund(key: string, now: number): void {
    const e = this.#entries.get(key)
    if (!e || e.resetAt <= now) return
    if (--e.failures <= 0) this.#entries.delete(key)
  }

  fail(key: string, now: number): void {
    const e = this.#entries.get(key)
    if (e && e.resetAt > now) {
      e.failures++
      return
    }
    if (e) this.#entries.delete(key)
    while (this.#entries.size >= this.options.maxKeys) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
    this.#entries.set(key, { failures: 1, resetAt: now + this.options.windowMs })
  }

  /** A success forgets earlier failures. */
  succeed(key: string): void {
    this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }
}
