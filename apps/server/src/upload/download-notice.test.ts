import { describe, expect, it } from 'vitest'
import { createMemoryLogger } from '../logger.js'
import { Mailer, type MailTransport } from '../mail/mailer.js'
import { bytesOf, makeApp, type TestApp, upload } from '../test-support/harness.js'

/** The uploader's own token for bucket1 (proposed on its first creation, as the web app does). */
const UPLOAD_TOKEN = 'uploader-token-0123456789abcdef'
const HOOK = 'http://hooks.example/psi'

interface Sent {
  to: string
  subject: string
  text: string
  headers: Record<string, string>
}

function withMail(options: { mail?: boolean } = {}) {
  const sent: Sent[] = []
  const transport: MailTransport = {
    async sendMail(message) {
      sent.push(message)
    },
    close() {},
  }
  const mailer =
    options.mail === false
      ? undefined
      : new Mailer({
          url: 'smtp://127.0.0.1:1',
          from: 'files@example.com',
          logger: createMemoryLogger(),
          transport,
        })
  const t = makeApp({ firstDownloadWebhook: HOOK }, mailer ? { mailer } : {})
  return { t, sent }
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 5000
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function share(t: TestApp): Promise<string> {
  const headers = { 'X-Bucket-Token': UPLOAD_TOKEN }
  await upload(t, bytesOf('alpha'), { name: 'a.txt', headers })
  t.clock.advance(10)
  await upload(t, bytesOf('beta'), { name: 'b.txt', relativePath: 'docs', headers })
  const res = await t.request('/api/manage/bucket1', { method: 'POST', headers })
  expect(res.status).toBe(201)
  return ((await res.json()) as { manageToken: string }).manageToken
}

function patch(t: TestApp, secret: string, body: unknown, headers: Record<string, string> = {}) {
  return t.request('/api/manage/bucket1', {
    method: 'PATCH',
    headers: { 'X-Manage-Token': secret, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

const firstDownloads = (t: TestApp) => t.webhookCalls.filter((c) => c.body.event === 'firstDownload')

async function downloadsOf(t: TestApp, secret: string): Promise<number> {
  const res = await t.request('/api/manage/bucket1', { headers: { 'X-Manage-Token': secret } })
  const state = (await res.json()) as { files: Array<{ downloads: number }> }
  return state.files.reduce((n, f) => n + f.downloads, 0)
}

describe('the first-download notice', () => {
  it('an archive is a first download: one mail to the uploader in their language, one webhook without the address', async () => {
    const { t, sent } = withMail()
    const secret = await share(t)
    const set = await patch(t, secret, { notifyEmail: ' me@example.org ' }, { 'Accept-Language': 'fr-CH' })
    expect(set.status, await set.clone().text()).toBe(200)
    expect(await set.json()).toMatchObject({ notifyEmail: 'me@example.org', firstDownloadAt: null })

    const { zipUrl } = (await (await t.request('/bucket1.json')).json()) as { zipUrl: string }
    const zip = await t.request(zipUrl)
    expect(zip.status).toBe(200)
    await zip.arrayBuffer()
    await until(() => sent.length === 1, 'the notice')

    const [mail] = sent
    expect(mail?.to).toBe('me@example.org')
    expect(mail?.subject).toBe('Vos fichiers ont été téléchargés')
    expect(mail?.headers['Content-Language']).toBe('fr')
    expect(mail?.text).toContain('- a.txt\n- docs/b.txt')
    expect(mail?.text).toMatch(/\/manage\/bucket1\n/)
    expect(mail?.text).not.toContain(secret)
    await until(() => firstDownloads(t).length === 1, 'the webhook')
    expect(firstDownloads(t)[0]?.body).toMatchObject({
      event: 'firstDownload',
      fid: 'bucket1',
      files: [expect.objectContaining({ name: 'a.txt' }), expect.objectContaining({ name: 'b.txt' })],
    })
    expect(JSON.stringify(t.webhookCalls)).not.toContain('me@example.org')

    // Later downloads tell nobody again.
    const before = await downloadsOf(t, secret)
    const again = await t.request(await urlOf(t, 'a.txt'))
    expect(again.status).toBe(200)
    expect(await again.text()).toBe('alpha')
    await until(async () => (await downloadsOf(t, secret)) === before + 1, 'the download to count')
    await new Promise((r) => setTimeout(r, 50))
    expect(sent).toHaveLength(1)
    expect(firstDownloads(t)).toHaveLength(1)
  })

  it('10 parallel downloads claim the first download once; without an address nobody is mailed, and an address set later does not re-arm it', async () => {
    const { t, sent } = withMail()
    const secret = await share(t)
    const url = await urlOf(t, 'a.txt')
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await t.request(url)
        return { status: res.status, text: await res.text() }
      }),
    )
    expect(results.every((r) => r.status === 200 && r.text === 'alpha')).toBe(true)
    await until(async () => (await downloadsOf(t, secret)) >= 1, 'the downloads to count')
    await until(() => firstDownloads(t).length >= 1, 'the webhook')
    await new Promise((r) => setTimeout(r, 100))
    expect(firstDownloads(t)).toHaveLength(1)
    expect(sent).toHaveLength(0)

    const set = await patch(t, secret, { notifyEmail: 'me@example.org', lang: 'ja' })
    const state = (await set.json()) as { notifyEmail: string; firstDownloadAt: number }
    expect(state.notifyEmail).toBe('me@example.org')
    expect(state.firstDownloadAt).toBe(t.clock.now())
    const counted = await downloadsOf(t, secret)
    const later = await t.request(url)
    expect(await later.text()).toBe('alpha')
    await until(async () => (await downloadsOf(t, secret)) > counted, 'the later download to count')
    await new Promise((r) => setTimeout(r, 100))
    expect(sent).toHaveLength(0)
  })

  it('takes one plain address only, and only when the server sends mail', async () => {
    const { t } = withMail()
    const secret = await share(t)
    for (const notifyEmail of [
      'me@example.org\r\nBcc: eve@evil.example',
      'me@example.org, eve@evil.example',
      'nope',
      42,
    ]) {
      const res = await patch(t, secret, { notifyEmail })
      expect(res.status, String(notifyEmail)).toBe(400)
      expect(await res.json()).toMatchObject({ code: 'INVALID_INPUT' })
    }
    expect((await patch(t, 'x'.repeat(32), { notifyEmail: 'me@example.org' })).status).toBe(403)

    const plain = withMail({ mail: false })
    const other = await share(plain.t)
    const refused = await patch(plain.t, other, { notifyEmail: 'me@example.org' })
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as { message: string }).message).toMatch(/sends no e-mail/)
  })
})

async function urlOf(t: TestApp, name: string): Promise<string> {
  const { items } = (await (await t.request('/bucket1.json')).json()) as {
    items: Array<{ url: string; name: string }>
  }
  const item = items.find((i) => i.name === name)
  if (!item) throw new Error(`${name} is not listed`)
  return item.url
}
