/**
 * Admission to the Argon2id workers. Every bucket password that is hashed (a new protected
 * bucket, `PUT` with `x-download-pass`) or checked (listing, creation in a protected bucket)
 * costs ~50 ms of a worker, and there are at most two: without a bound, one address sending
 * hundreds of guesses made everyone else's correct password wait behind them (101 s measured).
 *
 * So, per client (address, see `clientKeyOf`):
 * - at most `perClient` jobs waiting or running, and at most `perMinute` started per minute
 *   (a token bucket, bursts up to `perMinute`); beyond either: 429 with `Retry-After`;
 * and for everyone together:
 * - at most `maxQueued` jobs waiting for a worker; beyond: 503 with `Retry-After`;
 * - waiting jobs are served round-robin by client, not first come first served, so a client's
 *   job waits for at most one job of each other client, never for a whole queue of one client.
 * @module
 */
import { type Clock, PsiError } from '@psitransfer/core'

export interface KdfGateOptions {
  /** Jobs running at once (the size of the worker pool). */
  concurrency: number
  /** Jobs waiting for a worker, all clients together. */
  maxQueued: number
  /** Jobs one client may have waiting or running. */
  perClient: number
  /** Jobs one client may start per minute (bursts up to this many). */
  perMinute: number
  /** Clients remembered for the rate (oldest idle ones are forgotten first). */
  maxClients?: number
}

interface ClientState {
  /** Jobs waiting or running. */
  active: number
  /** Jobs waiting for a worker, in order. */
  waiting: Array<() => void>
  tokens: number
  refilledAt: number
}

/** A job runner bound to one client (what password checks hand to the verifier). */
export type KdfRun = <T>(job: () => Promise<T>) => Promise<T>

export class KdfGate {
  readonly #clients = new Map<string, ClientState>()
  /** Clients with waiting jobs, in the order they are served next. */
  readonly #ready: string[] = []
  #running = 0
  #queued = 0
  /** Moving average of a job's duration, for `Retry-After`. */
  #avgMs = 100

  constructor(
    private readonly options: KdfGateOptions,
    private readonly clock: Clock,
  ) {}

  /** Jobs waiting for a worker now. */
  get queued(): number {
    return this.#queued
  }

  /** `run` bound to `client`. */
  runner(client: string): KdfRun {
    return (job) => this.run(client, job)
  }

  async run<T>(client: string, job: () => Promise<T>): Promise<T> {
    const { perClient, perMinute, concurrency, maxQueued } = this.options
    const now = this.clock.now()
    const st = this.#state(client, now)
    if (st.active >= perClient) {
      throw new PsiError(
        'RATE_LIMITED',
        `Too many password checks at once from your address (at most ${perClient}); try again in 1 second`,
        { details: { retryAfter: 1 } },
      )
    }
    if (st.tokens < 1) {
      const seconds = Math.max(1, Math.ceil(((1 - st.tokens) * 60) / perMinute))
      throw new PsiError(
        'RATE_LIMITED',
        `Too many password checks from your address (at most ${perMinute} a minute); try again in ${seconds} seconds`,
        { details: { retryAfter: seconds } },
      )
    }
    const mustWait = this.#running >= concurrency
    if (mustWait && this.#queued >= maxQueued) {
      const seconds = Math.max(1, Math.ceil(((this.#queued / concurrency + 1) * this.#avgMs) / 1000))
      throw new PsiError(
        'BUSY',
        `The server is busy checking passwords; try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
        { details: { retryAfter: seconds } },
      )
    }
    st.tokens -= 1
    st.active++
    try {
      if (mustWait) {
        // A worker slot is handed over by #release (the running count stays the same).
        await new Promise<void>((resolve) => {
          st.waiting.push(resolve)
          this.#queued++
          if (st.waiting.length === 1) this.#ready.push(client)
        })
      } else {
        this.#running++
      }
      const started = performance.now()
      try {
        return await job()
      } finally {
        this.#avgMs = this.#avgMs * 0.8 + (performance.now() - started) * 0.2
        this.#release()
      }
    } finally {
      st.active--
    }
  }

  /** Hands the finished job's slot to the next client in turn, or frees it. */
  #release(): void {
    const client = this.#ready.shift()
    if (client === undefined) {
      this.#running--
      return
    }
    const st = this.#clients.get(client) as ClientState
    const next = st.waiting.shift() as () => void
    this.#queued--
    if (st.waiting.length > 0) this.#ready.push(client)
    next()
  }

  #state(client: string, now: number): ClientState {
    const { perMinute } = this.options
    let st = this.#clients.get(client)
    if (st) {
      const elapsed = Math.max(0, now - st.refilledAt)
      st.tokens = Math.min(perMinute, st.tokens + (elapsed * perMinute) / 60_000)
      st.refilledAt = now
      // Most recently used last, so the oldest are forgotten first.
      this.#clients.delete(client)
      this.#clients.set(client, st)
      return st
    }
    const max = this.options.maxClients ?? 10_000
    if (this.#clients.size >= max) {
      for (const [key, s] of this.#clients) {
        if (this.#clients.size < max) break
        if (s.active === 0) this.#clients.delete(key)
      }
    }
    st = { active: 0, waiting: [], tokens: perMinute, refilledAt: now }
    this.#clients.set(client, st)
    return st
  }
}
