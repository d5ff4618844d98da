import { isPsiError } from '@psitransfer/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logger.js'
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js'
import { Mailer } from './mailer.js'
import { downloadedMail, shareMail } from './messages.js'

const FROM = 'PsiTransfer <noreply@files.example>'
const LINK = 'https://files.example/0c7a4f5e-1d2b-4c3a-9e8f-123456789abc'

describe('Mailer against a real SMTP server', () => {
  let sink: SmtpSink
  beforeEach(async () => {
    sink = await startSmtpSink()
  })
  afterEach(async () => {
    await sink.close()
  })

  it('delivers a share mail: envelope, headers and text as built, in the chosen language', async () => {
    const mailer = new Mailer({ url: sink.url, from: FROM, logger: createMemoryLogger() })
    const expires = Date.UTC(2027, 0, 15, 9, 30)
    mailer.send(
      'share',
      'anna@example.org',
      'de',
      shareMail('de', { link: LINK, message: 'Hallo Anna', expires }),
    )
    const [mail] = await sink.waitFor(1)
    await mailer.close(1000)
    expect(mail?.rcptTo).toEqual(['anna@example.org'])
    expect(mail?.mailFrom).toBe('noreply@files.example')
    expect(mail?.parsed.subject).toBe('Dateien für Sie')
    expect(mail?.parsed.headers.get('auto-submitted')).toBe('auto-generated')
    expect(mail?.parsed.headers.get('content-language')).toBe('de')
    const text = mail?.parsed.text ?? ''
    expect(text).toContain(LINK)
    expect(text).toContain('> Hallo Anna')
    expect(text).toContain('15. Januar 2027')
  })

  it('refuses anything but one plain address before queueing (no header or recipient injection)', async () => {
    const mailer = new Mailer({ url: sink.url, from: FROM, logger: createMemoryLogger() })
    const content = shareMail('en', { link: LINK })
    for (const to of [
      'anna@example.org\r\nBcc: eve@evil.example',
      'anna@example.org\nBcc: eve@evil.example',
      'anna@example.org, eve@evil.example',
      'anna@example.org;eve@evil.example',
      'Anna <anna@example.org>',
      '"a\r\nb"@example.org',
      'anna@[127.0.0.1]',
      `${'a'.repeat(65)}@example.org`,
      '',
    ]) {
      let err: unknown
      try {
        mailer.send('share', to, 'en', content)
      } catch (e) {
        err = e
      }
      expect(isPsiError(err) && err.code === 'INVALID_INPUT', JSON.stringify(to)).toBe(true)
    }
    expect(mailer.pending).toBe(0)
    await mailer.close(1000)
    expect(sink.received).toHaveLength(0)
  })

  it('keeps line breaks in a subject from becoming headers, and SMTP dot lines in the text from ending the mail', async () => {
    const mailer = new Mailer({ url: sink.url, from: FROM, logger: createMemoryLogger() })
    mailer.send('share', 'anna@example.org', 'en', {
      subject: 'Hi\r\nBcc: eve@evil.example\r\nX-Injected: 1',
      text: `line one\r\n.\r\nMAIL FROM:<eve@evil.example>\r\n.\nlast line`,
    })
    const [mail] = await sink.waitFor(1)
    await mailer.close(1000)
    expect(sink.received).toHaveLength(1)
    expect(mail?.rcptTo).toEqual(['anna@example.org'])
    expect(mail?.parsed.headers.has('bcc')).toBe(false)
    expect(mail?.parsed.headers.has('x-injected')).toBe(false)
    expect(mail?.parsed.subject).toBe('Hi Bcc: eve@evil.example X-Injected: 1')
    expect(mail?.parsed.text).toContain('MAIL FROM:<eve@evil.example>')
    expect(mail?.parsed.text).toContain('last line')
  })

  it('retries a mail the server refused for now, and reports one that never goes through', async () => {
    const logger = createMemoryLogger()
    let failures = 0
    const mailer = new Mailer({
      url: sink.url,
      from: FROM,
      logger,
      backoffMs: 5,
      attempts: 3,
      onFailure: () => failures++,
    })
    sink.refuseNext(2)
    mailer.send('downloaded', 'ben@example.org', 'en', downloadedMail('en', { at: Date.UTC(2027, 0, 1) }))
    const [mail] = await sink.waitFor(1)
    expect(mail?.parsed.subject).toBe('Your files were downloaded')
    expect(logger.entries.filter((e) => e.msg === 'mail delivery failed')).toHaveLength(2)

    sink.refuseNext(3)
    mailer.send('downloaded', 'ben@example.org', 'en', downloadedMail('en', { at: Date.UTC(2027, 0, 1) }))
    await mailer.close(5000)
    expect(failures).toBe(1)
    expect(sink.received).toHaveLength(1)
    expect(logger.entries.some((e) => e.msg === 'mail delivery gave up')).toBe(true)
    // The log names what failed, never to whom or with which link.
    expect(JSON.stringify(logger.entries)).not.toContain('ben@example.org')
  })

  it('gives up on an unreachable mail server without blocking the caller', async () => {
    const closed = await startSmtpSink()
    const url = closed.url
    await closed.close()
    let failures = 0
    const mailer = new Mailer({
      url,
      from: FROM,
      logger: createMemoryLogger(),
      attempts: 2,
      backoffMs: 5,
      timeoutMs: 2000,
      onFailure: () => failures++,
    })
    const started = Date.now()
    mailer.send('share', 'anna@example.org', 'en', shareMail('en', { link: LINK }))
    expect(Date.now() - started).toBeLessThan(100)
    await mailer.close(10_000)
    expect(failures).toBe(1)
  })
})
