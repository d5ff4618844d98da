/**
 * Outgoing e-mail over SMTP (nodemailer), off unless `smtpUrl` is configured. Mails are queued
 * like webhooks: the request that causes one never waits for the mail server, a failed attempt
 * is retried with backoff, shutdown drains the queue. nodemailer is imported only when mail is
 * configured, so a server without mail never loads it.
 * @module
 */

import { Deliveries, type DeliveryOptions } from '../deliveries.js'
import type { Language } from '../i18n.js'
import { headerText, parseAddress } from './address.js'
import type { MailContent } from './messages.js'

/** What the mailer needs of a transport (nodemailer's `Transporter`, or a fake in unit tests). */
export interface MailTransport {
  sendMail(message: {
    from: string
    to: string
    subject: string
    text: string
    headers: Record<string, string>
  }): Promise<unknown>
  close(): void
}

export interface MailerOptions extends DeliveryOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; nodemailer's URL options apply. */
  url: string
  /** The From address: `name@example.com` or `Name <name@example.com>`. */
  from: string
  /** Connection, greeting and socket timeout of one attempt, ms. */
  timeoutMs?: number
  /** A ready transport instead of one made from `url` (tests). */
  transport?: MailTransport
  /** Mails one sender key (a bucket) may queue per hour: the server is no relay. Default 10. */
  perKeyPerHour?: number
  /** Milliseconds since the epoch (the quota's clock); default `Date.now`. */
  now?: () => number
}

/** What a mail is about, for the log (never its recipient or links). */
export type MailKind = 'share' | 'downloaded' | 'request-files'

export class Mailer {
  readonly #deliveries: Deliveries
  readonly #from: string
  #transport: Promise<MailTransport> | undefined
  /** Recent sends per key (times, ms), for {@link take}. */
  readonly #sent = new Map<string, number[]>()

  constructor(private readonly options: MailerOptions) {
    this.#deliveries = new Deliveries(options)
    this.#from = options.from
    if (options.transport) this.#transport = Promise.resolve(options.transport)
  }

  /** The transport, made on the first mail (so nodemailer is loaded only by servers that send). */
  #connect(): Promise<MailTransport> {
    this.#transport ??= import('nodemailer').then((nodemailer) => {
      const timeout = this.options.timeoutMs ?? 15_000
      return nodemailer.createTransport({
        url: this.options.url,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      }) as unknown as MailTransport
    })
    return this.#transport
  }

  /**
   * Queues `content` for `to` and returns at once. Throws `INVALID_INPUT` (before queueing)
   * when `to` is not one plain address, so a request can say so.
   */
  send(kind: MailKind, to: string, lang: Language, content: MailContent): void {
    const recipient = parseAddress(to)
    const message = {
      from: this.#from,
      to: recipient,
      subject: headerText(content.subject),
      text: content.text,
      headers: {
        // RFC 3834: machine-made, so vacation responders stay quiet.
        'Auto-Submitted': 'auto-generated',
        'Content-Language': lang,
      },
    }
    this.#deliveries.queue('mail', { kind }, async () => {
      await (await this.#connect()).sendMail(message)
      return undefined
    })
  }

  /**
   * Counts one mail against `key`'s hourly quota (in this process): `false` when it is used up.
   * Mails users trigger (a share link sent to an address) go through it, so nobody turns the
   * server into a relay.
   */
  take(key: string): boolean {
    const now = (this.options.now ?? Date.now)()
    const recent = (this.#sent.get(key) ?? []).filter((t) => now - t < 3_600_000)
    if (recent.length >= (this.options.perKeyPerHour ?? 10)) {
      this.#sent.set(key, recent)
      return false
    }
    recent.push(now)
    this.#sent.set(key, recent)
    // Keys whose hour has passed are dropped once the map grows (bounded memory).
    if (this.#sent.size > 10_000) {
      for (const [k, times] of this.#sent) if (times.every((t) => now - t >= 3_600_000)) this.#sent.delete(k)
    }
    return true
  }

  get pending(): number {
    return this.#deliveries.pending
  }

  /** Waits for queued mails at most `timeoutMs`, then closes the transport's connections. */
  async close(timeoutMs: number): Promise<void> {
    await this.#deliveries.drain(timeoutMs)
    const transport = await this.#transport?.catch(() => undefined)
    transport?.close()
  }
}
