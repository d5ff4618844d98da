/**
 * The first-download notice over HTTP, against running servers with mail (a real SMTP sink):
 * one (FS, S3) or several sharing a store, requests spread over them by `base(i)`.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { type Base, issueManageToken, lockBucket, manage, newSid, newToken, tusUpload } from './sharing.js'
import type { SmtpSink } from './smtp-sink.js'

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

interface NoticeState {
  notifyEmail: string | null
  firstDownloadAt: number | null
}

/**
 * The uploader leaves their address (a header injection is refused); it shows in no listing or
 * admin answer; 10 parallel complete downloads and an archive after them send exactly one
 * notice, in the uploader's language, with the file names and a manage link without the secret.
 */
export async function firstDownloadNotice(
  base: Base,
  sink: SmtpSink,
  /** `size`: bytes of the downloaded file (the servers' `maxBucketSize` must allow it + 1000). */
  options: { adminPass?: string; size?: number } = {},
): Promise<void> {
  const sid = newSid('notice')
  const token = newToken()
  const report = randomBytes(options.size ?? 64 * 1024)
  const photo = randomBytes(1000)
  await tusUpload(base, 0, sid, report, { name: 'report.pdf' }, token)
  await tusUpload(base, 1, sid, photo, { name: 'photo.jpg' }, token)
  await lockBucket(base, 0, sid, token)
  const secret = await issueManageToken(base, 0, sid, token)
  const uploader = `uploader-${sid}@example.org`

  for (const notifyEmail of [
    `${uploader}\r\nBcc: eve@evil.example`,
    `${uploader}, eve@evil.example`,
    `Eve <${uploader}>`,
  ]) {
    const bad = await manage(base, 0, sid, secret, { method: 'PATCH', body: { notifyEmail } })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/address/),
    })
  }
  const set = await manage(base, 1, sid, secret, {
    method: 'PATCH',
    body: { notifyEmail: uploader, lang: 'de' },
  })
  expect(set.status, await set.clone().text()).toBe(200)
  expect((await set.json()) as NoticeState).toMatchObject({ notifyEmail: uploader, firstDownloadAt: null })

  // The address is the uploader's own: in no public or admin answer.
  const listed = await fetch(`${base(2)}/${sid}.json`)
  expect(listed.status).toBe(200)
  const listing = (await listed.json()) as { items: Array<{ name: string; url: string }>; zipUrl: string }
  expect(JSON.stringify(listing)).not.toContain(uploader)
  if (options.adminPass) {
    for (const path of ['/admin/data.json', '/api/admin/data.json']) {
      const res = await fetch(`${base(0)}${path}`, { headers: { 'x-passwd': options.adminPass } })
      expect(res.status, path).toBe(200)
      const text = await res.text()
      expect(text, path).toContain(sid)
      expect(text, path).not.toContain(uploader)
    }
  }

  const mine = () => sink.received.filter((m) => m.rcptTo.includes(uploader))
  const item = listing.items.find((i) => i.name === 'report.pdf')
  expect(item).toBeDefined()
  const bodies = await Promise.all(
    Array.from({ length: 10 }, async (_, n) => {
      const res = await fetch(`${base(n)}${item?.url}`)
      expect(res.status).toBe(200)
      return Buffer.from(await res.arrayBuffer())
    }),
  )
  for (const body of bodies) expect(body.equals(report)).toBe(true)
  const zip = await fetch(`${base(1)}${listing.zipUrl}`)
  expect(zip.status).toBe(200)
  await zip.arrayBuffer()

  await until(async () => {
    const res = await manage(base, 2, sid, secret)
    return ((await res.json()) as NoticeState).firstDownloadAt !== null
  }, 'the first download to be recorded')
  await until(() => mine().length >= 1, 'the notice')
  // Every download's bookkeeping ran (their first-download claims lost): no second mail comes.
  await new Promise((r) => setTimeout(r, 1500))
  expect(mine()).toHaveLength(1)
  const [mail] = mine()
  expect(mail?.rcptTo).toEqual([uploader])
  expect(mail?.parsed.subject).toBe('Ihre Dateien wurden heruntergeladen')
  expect(mail?.parsed.headers.get('content-language')).toBe('de')
  const text = mail?.parsed.text ?? ''
  expect(text).toContain('zum ersten Mal heruntergeladen')
  expect(text).toContain('- report.pdf')
  expect(text).toContain('- photo.jpg')
  // The way back to managing the share, without its secret (the server never holds it).
  expect(text).toMatch(new RegExp(`/manage/${sid}\\n`))
  expect(mail?.raw).not.toContain(secret)

  // Removable; the state tells the uploader when the first download happened.
  const removed = await manage(base, 0, sid, secret, { method: 'PATCH', body: { notifyEmail: null } })
  expect(removed.status).toBe(200)
  const state = (await removed.json()) as NoticeState
  expect(state.notifyEmail).toBeNull()
  expect(state.firstDownloadAt).toEqual(expect.any(Number))
}
