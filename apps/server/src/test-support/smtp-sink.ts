/**
 * A real SMTP server for tests (smtp-server, from the nodemailer project): accepts every mail on
 * 127.0.0.1, parses it (mailparser) and keeps the envelope, headers and text. `refuseNext(n)`
 * answers the next n mails with a temporary failure (451), as a busy mail server would.
 */
import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  /** SMTP envelope: who the server was told to deliver to, whatever the headers say. */
  rcptTo: string[]
  mailFrom: string
  parsed: ParsedMail
  raw: string
}

export interface SmtpSink {
  url: string
  received: ReceivedMail[]
  /** Answers the next `n` messages with 451 (a temporary failure the client should retry). */
  refuseNext(n: number): void
  /** Resolves when `count` mails arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>
  close(): Promise<void>
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  let refuse = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 })
          callback(err)
          return
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw).then(
          (parsed) => {
            const envelope = session.envelope
            received.push({
              raw,
              parsed,
              mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
              rcptTo: envelope.rcptTo.map((r) => r.address),
            })
            for (const w of waiters) w()
            callback()
          },
          (err: Error) => callback(err),
        )
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuseNext(n) {
      refuse = n
    },
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(received.slice())
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`expected ${count} mails, got ${received.length}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
