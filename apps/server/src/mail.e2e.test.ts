/**
 * The share link by mail (`POST {B}api/manage/{sid}/mail`) on a real server (FS store) against a
 * real SMTP server started by the test: what arrives, what never does (the manage secret), bad
 * addresses, the quota, encrypted shares, and a server without mail. Then the first-download
 * notice to the uploader (`test-support/notice.ts`, also run on S3 in `s3.e2e.test.ts`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type E2eServer, removeDir, startFsServer } from './test-support/e2e.js'
import { firstDownloadNotice } from './test-support/notice.js'
import { issueManageToken, manage, newSid, newToken, tusUpload } from './test-support/sharing.js'
import { type SmtpSink, startSmtpSink } from './test-support/smtp-sink.js'

describe('mailing the share link', () => {
  let sink: SmtpSink
  let server: E2eServer
  let plain: E2eServer
  const base = () => `http://127.0.0.1:${server.port}`

  beforeAll(async () => {
    sink = await startSmtpSink()
    server = await startFsServer({
      config: { smtpUrl: sink.url, mailFrom: 'Files <files@example.com>', adminPass: 'admin' },
    })
    plain = await startFsServer()
  })
  afterAll(async () => {
    await server.close()
    await plain.close()
    removeDir(server.dir)
    removeDir(plain.dir)
    await sink.close()
  })

  async function share(metadata: Record<string, string> = {}) {
    const sid = newSid('mail')
    const token = newToken()
    await tusUpload(base, 0, sid, Buffer.from('hello mail'), { name: 'a.txt', ...metadata }, token)
    const secret = await issueManageToken(base, 0, sid, token)
    return { sid, secret }
  }
  const mail = (sid: string, secret: string | undefined, body: unknown, at = base()) =>
    fetch(`${at}/api/manage/${sid}/mail`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? { 'X-Manage-Token': secret } : {}) },
      body: JSON.stringify(body),
    })

  it('mails the share link with the sender message, in the chosen language, never the manage secret', async () => {
    const { sid, secret } = await share()
    const before = sink.received.length
    const res = await mail(sid, secret, { to: 'anna@example.org', message: 'Die Fotos', lang: 'de' })
    expect(res.status, await res.clone().text()).toBe(202)
    const [got] = (await sink.waitFor(before + 1)).slice(before)
    expect(got?.rcptTo).toEqual(['anna@example.org'])
    expect(got?.mailFrom).toBe('files@example.com')
    expect(got?.parsed.subject).toBe('Dateien für Sie')
    expect(got?.parsed.text).toContain(`${base()}/${sid}`)
    expect(got?.parsed.text).toContain('> Die Fotos')
    expect(got?.raw).not.toContain(secret)
    expect(got?.raw).not.toContain('/manage/')
  })

  it('refuses without the manage secret, a bad address, and beyond 10 mails per share and hour', async () => {
    const { sid, secret } = await share()
    expect((await mail(sid, undefined, { to: 'anna@example.org' })).status).toBe(401)
    expect((await mail(sid, 'x'.repeat(32), { to: 'anna@example.org' })).status).toBe(403)
    const bad = await mail(sid, secret, { to: 'anna@example.org\r\nBcc: eve@evil.example' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'INVALID_INPUT' })
    expect((await mail(sid, secret, { to: 'anna@example.org', extra: 1 })).status).toBe(400)
    const before = sink.received.length
    for (let i = 0; i < 10; i++)
      expect((await mail(sid, secret, { to: `r${i}@example.org` })).status).toBe(202)
    const over = await mail(sid, secret, { to: 'r10@example.org' })
    expect(over.status).toBe(429)
    await sink.waitFor(before + 10)
    expect(sink.received.slice(before).map((m) => m.rcptTo[0])).not.toContain('eve@evil.example')
  })

  it('will not mail an end-to-end encrypted share (its key never reaches the server)', async () => {
    const sealed = Buffer.alloc(80, 7).toString('base64url')
    const { sid, secret } = await share({ e2e: sealed, name: 'encrypted.bin' })
    const res = await mail(sid, secret, { to: 'anna@example.org' })
    expect(res.status).toBe(400)
    expect((await res.json()) as { message: string }).toMatchObject({
      message: expect.stringMatching(/encrypted/),
    })
  })

  it('says so on a server without mail', async () => {
    const sid = newSid('nomail')
    const token = newToken()
    const at = (_i: number) => `http://127.0.0.1:${plain.port}`
    await tusUpload(at, 0, sid, Buffer.from('x'), {}, token)
    const secret = await issueManageToken(at, 0, sid, token)
    const res = await mail(sid, secret, { to: 'anna@example.org' }, at(0))
    expect(res.status).toBe(404)
    expect(await res.text()).toMatch(/sends no e-mail/)
    // Nor does it take an address for the first-download notice (removing one is harmless).
    const notify = await manage(at, 0, sid, secret, {
      method: 'PATCH',
      body: { notifyEmail: 'me@example.org' },
    })
    expect(notify.status).toBe(400)
    expect(await notify.text()).toMatch(/sends no e-mail/)
    const none = await manage(at, 0, sid, secret, { method: 'PATCH', body: { notifyEmail: null } })
    expect(none.status).toBe(200)
  })

  it('mails the uploader once on the first of 10 parallel downloads, in their language, address kept private', () =>
    firstDownloadNotice(base, sink, { adminPass: 'admin' }))
})
