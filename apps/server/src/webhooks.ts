/**
 * Webhook delivery: POST JSON, fire-and-forget from the request's point of view, retried with
 * exponential backoff, failures logged. Payloads never contain passwords or hashes.
 * @module
 */
import { Deliveries, type DeliveryOptions } from './deliveries.js'

export interface WebhookOptions extends DeliveryOptions {
  fetch?: typeof globalThis.fetch
  /** Per-attempt timeout. */
  timeoutMs?: number
}

export class WebhookSender {
  readonly #deliveries: Deliveries
  readonly #fetch: typeof globalThis.fetch
  readonly #timeoutMs: number

  constructor(options: WebhookOptions) {
    this.#deliveries = new Deliveries(options)
    this.#fetch = options.fetch ?? globalThis.fetch
    this.#timeoutMs = options.timeoutMs ?? 10_000
  }

  /** Queues a delivery and returns at once. */
  send(url: string | null, event: string, payload: Record<string, unknown>): void {
    if (!url) return
    const body = JSON.stringify({ event, ...payload })
    this.#deliveries.queue('webhook', { event }, async () => {
      const res = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'psitransfer-webhook' },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      await res.body?.cancel().catch(() => {})
      return res.ok ? undefined : { status: res.status }
    })
  }

  get pending(): number {
    return this.#deliveries.pending
  }

  /** Waits for queued deliveries, at most `timeoutMs` (graceful shutdown). */
  drain(timeoutMs: number): Promise<void> {
    return this.#deliveries.drain(timeoutMs)
  }
}
