/**
 * Background deliveries (webhooks, e-mail): queued so the request that causes them never waits,
 * retried with exponential backoff, drained with a deadline on shutdown. What one attempt does
 * is the caller's; an attempt throws (or returns an error description) to ask for a retry.
 * @module
 */
import type { Logger } from './logger.js'

export interface DeliveryOptions {
  logger: Logger
  /** Attempts in total (first try + retries). */
  attempts?: number
  /** Delay before the first retry; doubles each time. */
  backoffMs?: number
  /** Called once per delivery that gave up. */
  onFailure?: () => void
}

/** One attempt: resolves `undefined` when delivered, or fields describing why it was not. */
export type Attempt = () => Promise<Record<string, unknown> | undefined>

export class Deliveries {
  readonly #pending = new Set<Promise<void>>()
  readonly #attempts: number
  readonly #backoffMs: number

  constructor(private readonly options: DeliveryOptions) {
    this.#attempts = options.attempts ?? 4
    this.#backoffMs = options.backoffMs ?? 1000
  }

  /** Queues a delivery and returns at once. `what` names it in the log (e.g. `webhook`). */
  queue(what: string, fields: Record<string, unknown>, attempt: Attempt): void {
    const p = this.#run(what, fields, attempt).finally(() => this.#pending.delete(p))
    this.#pending.add(p)
  }

  async #run(what: string, fields: Record<string, unknown>, attempt: Attempt): Promise<void> {
    const { logger } = this.options
    for (let n = 1; n <= this.#attempts; n++) {
      try {
        const failure = await attempt()
        if (failure === undefined) return
        logger.warn({ ...fields, ...failure, attempt: n }, `${what} answered with an error`)
      } catch (err) {
        logger.warn({ ...fields, attempt: n, error: (err as Error).message }, `${what} delivery failed`)
      }
      if (n < this.#attempts) {
        const delay = this.#backoffMs * 2 ** (n - 1)
        await new Promise((r) => setTimeout(r, delay).unref?.())
      }
    }
    logger.error(fields, `${what} delivery gave up`)
    this.options.onFailure?.()
  }

  get pending(): number {
    return this.#pending.size
  }

  /** Waits for queued deliveries, at most `timeoutMs` (graceful shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#pending.size === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled([...this.#pending]),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs)
      }),
    ])
    clearTimeout(timer)
  }
}
