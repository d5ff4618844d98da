/**
 * A real SMTP server for the browser tests (smtp-server and mailparser from the nodemailer
 * project, as in the server's tests): accepts every mail on 127.0.0.1 and keeps the envelope
 * and the parsed message. The server under test gets its URL as `PSITRANSFER_SMTP_URL`.
 */
import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  /** SMTP envelope recipients: who the mail really goes to, whatever the headers say. */
  rcptTo: string[]
  parsed: ParsedMail
  raw: string
}

export interface SmtpSink {
  url: string
  received: ReceivedMail[]
  /** Resolves with the first mail to `to` (rejects after `timeoutMs`). */
  waitFor(to: string, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw).then(
          (parsed) => {
            received.push({ raw, parsed, rcptTo: session.envelope.rcptTo.map((r) => r.address) })
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
    async waitFor(to, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const mail = received.find((m) => m.rcptTo.includes(to))
        if (mail) return mail
        if (Date.now() > end) throw new Error(`no mail to ${to} arrived`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
