/**
 * Webhook delivery: POST JSON, fire-and-forget from the request's point of view, retried with
 * exponential backoff, failures logged. Payloads never contain passwords or hashes.
 * @module
 */
import type { Logger } from './logger.js'

export interface WebhookOptions {
  logger: Logger
  fetch?: typeof globalThis.fetch
  /** Attempts in total (first try + retries). */
  attempts?: number
  /** Delay before the first retry; doubles each time. */
  backoffMs?: number
  /** Per-attempt timeout. */
  timeoutMs?: number
  onFailure?: () => void
}

export class WebhookSender {
  readonly #pending = new Set<Promise<void>>()
  readonly #fetch: typeof globalThis.fetch
  readonly #attempts: number
  readonly #backoffMs: number
  readonly #timeoutMs: number

  constructor(private readonly options: WebhookOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch
    this.#attempts = options.attempts ?? 4
    this.#backoffMs = options.backoffMs ?? 1000
    this.#timeoutMs = options.timeoutMs ?? 10_000
  }

  /** Queues a delivery and returns at once. */
  send(url: string | null, event: string, payload: Record<string, unknown>): void {
    if (!url) return
    const p = this.#deliver(url, event, payload).finally(() => this.#pending.delete(p))
    this.#pending.add(p)
  }

  async #deliver(url: string, event: string, payload: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify({ event, ...payload })
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      try {
        const res = await this.#fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'psitransfer-webhook' },
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        })
        await res.body?.cancel().catch(() => {})
        if (res.ok) return
        this.options.logger.warn(
          { event, status: res.status, attempt },
          'webhook answered with an error status',
        )
      } catch (err) {
        this.options.logger.warn({ event, attempt, error: (err as Error).message }, 'webhook delivery failed')
      }
      if (attempt < this.#attempts) {
        const delay = this.#backoffMs * 2 ** (attempt - 1)
        await new Promise((r) => setTimeout(r, delay).unref?.())
      }
    }
    this.options.logger.error({ event }, 'webhook delivery gave up')
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
