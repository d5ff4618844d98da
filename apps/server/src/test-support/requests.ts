/**
 * Upload requests over HTTP against a running server (FS or S3, `requests.e2e.test.ts`): who may
 * make one, the request link, uploads within its limits (also in parallel), what the person
 * asked cannot do, close, expiry, the webhook and the mail.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'vitest'
import type { SmtpSink } from './smtp-sink.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')

export interface Hooks {
  url: string
  received: Array<Record<string, unknown>>
  waitFor(check: (body: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>
  close(): Promise<void>
}

/** A webhook receiver on 127.0.0.1 keeping every JSON body. */
export async function startHooks(): Promise<Hooks> {
  const received: Array<Record<string, unknown>> = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
      res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async waitFor(check, ms = 10_000) {
      const end = Date.now() + ms
      for (;;) {
        const hit = received.find(check)
        if (hit) return hit
        if (Date.now() > end) throw new Error('timed out waiting for a webhook')
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export interface Made {
  sid: string
  requestUrl: string
  requestToken: string
  manageUrl: string
  manageToken: string
  shareUrl: string
  password?: string
  filesLeft: number | null
  bytesLeft: number | null
}

export interface RequestEnv {
  base: string
  /** Several instances sharing a store: parallel creations are spread over them. */
  bases?: string[]
  uploadPass: string
  adminPass: string
  hooks?: Hooks
  /** With mail configured on the server. */
  sink?: SmtpSink
  maxAgeSeconds: number
}

export function makeRequest(env: RequestEnv, body: unknown, passwd: string | null = env.uploadPass) {
  return fetch(`${env.base}/api/requests`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(passwd !== null ? { 'x-passwd': passwd } : {}) },
    body: JSON.stringify(body),
  })
}

export async function made(env: RequestEnv, body: unknown): Promise<Made> {
  const res = await makeRequest(env, body)
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as Made
}

/** A TUS creation with the bytes in it (creation-with-upload); answers the creation's response. */
export function createWith(
  env: RequestEnv,
  sid: string,
  data: Buffer,
  headers: Record<string, string>,
  metadata: Record<string, string> = {},
): Promise<Response> {
  const md = { sid, name: 'file.bin', ...metadata }
  return fetch(`${env.base}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(data.byteLength),
      'Upload-Metadata': Object.entries(md)
        .map(([k, v]) => `${k} ${b64(v)}`)
        .join(','),
      'Content-Type': 'application/offset+octet-stream',
      ...headers,
    },
    body: new Uint8Array(data),
  })
}

const show = (env: RequestEnv, sid: string, token?: string) =>
  fetch(`${env.base}/api/requests/${sid}`, { headers: token ? { 'X-Request-Token': token } : {} })

const close = (env: RequestEnv, sid: string, token?: string) =>
  fetch(`${env.base}/api/requests/${sid}`, {
    method: 'DELETE',
    headers: token ? { 'X-Manage-Token': token } : {},
  })

const manageState = async (env: RequestEnv, sid: string, token: string) => {
  const res = await fetch(`${env.base}/api/manage/${sid}`, { headers: { 'X-Manage-Token': token } })
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as {
    protected: boolean
    files: Array<{ name: string; size: number }>
    request: { filesLeft: number | null; bytesLeft: number | null; closed: boolean } | null
  }
}

/** Who may make a request, what it answers, bad input. */
export async function requestCreation(env: RequestEnv): Promise<void> {
  expect((await makeRequest(env, {}, null)).status).toBe(401)
  expect((await makeRequest(env, {}, 'wrong')).status).toBe(403)
  const byAdmin = await makeRequest(env, {}, env.adminPass)
  expect(byAdmin.status).toBe(201)
  const r = (await byAdmin.json()) as Made
  expect(r.requestUrl).toBe(`${env.base}/request/${r.sid}#${r.requestToken}`)
  expect(r.manageUrl).toBe(`${env.base}/manage/${r.sid}#${r.manageToken}`)
  expect(byAdmin.headers.get('x-manage-url')).toBe(r.manageUrl)
  expect(byAdmin.headers.get('cache-control')).toBe('no-store')
  expect(r.shareUrl).toBe(`${env.base}/${r.sid}`)
  // No password given: one was made and answered once; the secrets are unrelated to the id.
  expect(r.password).toMatch(/^[A-Za-z0-9_-]{12}$/)
  expect(r.requestToken).toMatch(/^[A-Za-z0-9_-]{32}$/)
  expect(r.requestToken).not.toBe(r.manageToken)
  expect(r.requestToken).not.toContain(r.sid)

  const bad = async (body: unknown, pattern: RegExp) => {
    const res = await makeRequest(env, body)
    expect(res.status, JSON.stringify(body)).toBe(400)
    const answer = (await res.json()) as { code: string; message: string }
    expect(answer.code).toBe('INVALID_INPUT')
    expect(answer.message).toMatch(pattern)
    expect(answer.message).not.toMatch(/\/(tmp|home|work)\//)
  }
  await bad({ retention: '17' }, /retention/)
  await bad({ expiresAt: Date.now() - 1000 }, /future/)
  await bad({ expiresAt: Date.now() + (env.maxAgeSeconds + 3600) * 1000 }, /at most/)
  await bad({ message: 'x'.repeat(2001) }, /message/)
  await bad({ maxFiles: 0 }, /maxFiles/)
  await bad({ maxBytes: -5 }, /maxBytes/)
  await bad({ surprise: true }, /surprise|Unrecognized/)
  await bad({ notify: 'anna@example.org\r\nBcc: eve@evil.example' }, /e-mail|address/)
  const notJson = await fetch(`${env.base}/api/requests`, {
    method: 'POST',
    headers: { 'x-passwd': env.uploadPass },
    body: '{nope',
  })
  expect(notJson.status).toBe(400)
}

/**
 * The request link: the page's data, uploads without the upload password, what stays closed to
 * the person asked, the manage view, the webhook (and the mail with a sink).
 */
export async function requestUploads(env: RequestEnv): Promise<void> {
  const r = await made(env, {
    maxFiles: 3,
    maxBytes: 100_000,
    message: 'Please send the signed contract',
    password: 'requester-pw',
    retention: '3600',
    ...(env.sink ? { notify: 'req@example.org', lang: 'de' } : {}),
  })
  const auth = { 'X-Request-Token': r.requestToken }

  // The request page's data; wrong or missing secrets, unknown ids.
  const page = await show(env, r.sid, r.requestToken)
  expect(page.status).toBe(200)
  expect(await page.json()).toMatchObject({
    sid: r.sid,
    message: 'Please send the signed contract',
    maxFiles: 3,
    maxBytes: 100_000,
    files: 0,
    filesLeft: 3,
    bytesLeft: 100_000,
    closed: false,
    retention: '3600',
  })
  expect((await show(env, r.sid)).status).toBe(401)
  expect((await show(env, r.sid, randomBytes(24).toString('base64url'))).status).toBe(403)
  expect((await show(env, `nope-${randomBytes(6).toString('hex')}`, r.requestToken)).status).toBe(404)

  // Upload through the link: no upload password needed.
  const data = randomBytes(5000)
  const created = await createWith(env, r.sid, data, auth, { name: 'contract.pdf', password: 'ignored' })
  expect(created.status, await created.clone().text()).toBe(201)
  expect(created.headers.get('upload-offset')).toBe('5000')
  expect(created.headers.get('x-bucket-token')).toBeNull()
  // Without the link (or with a wrong secret) the upload password is needed as before.
  expect((await createWith(env, r.sid, data, {})).status).toBe(401)
  expect(
    (await createWith(env, r.sid, data, { 'X-Request-Token': randomBytes(24).toString('base64url') })).status,
  ).toBe(403)
  // The link is for its own bucket only.
  const other = await made(env, {})
  expect((await createWith(env, other.sid, data, auth)).status).toBe(403)

  // The person asked cannot list or download (the bucket's password), nor lock or manage it.
  expect((await fetch(`${env.base}/${r.sid}.json`)).status).toBe(401)
  const location = new URL(created.headers.get('location') as string, env.base)
  const key = location.pathname.split('++')[1] as string
  expect((await fetch(`${env.base}/files/${r.sid}++${key}`)).status).toBe(401)
  const lock = await fetch(`${env.base}/files/${r.sid}?lock=yes`, {
    method: 'PATCH',
    headers: { 'Tus-Resumable': '1.0.0', ...auth, 'x-passwd': env.uploadPass },
  })
  expect(lock.status).toBe(403)
  const terminate = await fetch(`${env.base}/files/${r.sid}++${key}`, {
    method: 'DELETE',
    headers: { 'Tus-Resumable': '1.0.0', ...auth },
  })
  expect(terminate.status).toBe(405)
  expect(
    (await fetch(`${env.base}/api/manage/${r.sid}`, { headers: { 'X-Manage-Token': r.requestToken } }))
      .status,
  ).toBe(403)
  // The requester lists with the password and sees the file through the manage link.
  const listing = await fetch(`${env.base}/${r.sid}.json`, { headers: { 'x-download-pass': 'requester-pw' } })
  expect(listing.status).toBe(200)
  const state = await manageState(env, r.sid, r.manageToken)
  expect(state.protected).toBe(true)
  expect(state.files.map((f) => f.name)).toEqual(['contract.pdf'])
  expect(state.request).toMatchObject({ filesLeft: 2, bytesLeft: 95_000, closed: false })

  // The webhook: the file and the request's limits, never a secret or the password.
  if (env.hooks) {
    const hook = await env.hooks.waitFor((b) => b.event === 'requestUploaded' && b.sid === r.sid)
    expect(hook).toMatchObject({ file: { name: 'contract.pdf', size: 5000, protected: true } })
    const text = JSON.stringify(hook)
    for (const secret of [r.requestToken, r.manageToken, 'requester-pw']) expect(text).not.toContain(secret)
  }

  if (env.sink) {
    // The notice goes to the requester: with the manage link, never the request link.
    const got = await env.sink
      .waitFor(1)
      .then(() => waitForMail(env.sink as SmtpSink, (m) => m.rcptTo.includes('req@example.org')))
    expect(got.parsed.subject).toBe('Neue Dateien für Ihre Upload-Anfrage')
    expect(got.parsed.text).toContain(r.manageUrl)
    expect(got.raw).not.toContain(r.requestToken)
    expect(got.raw).not.toContain('/request/')
  }
}

async function waitForMail(sink: SmtpSink, check: (m: SmtpSink['received'][number]) => boolean) {
  const end = Date.now() + 10_000
  for (;;) {
    const hit = sink.received.find(check)
    if (hit) return hit
    if (Date.now() > end) throw new Error('timed out waiting for the notice')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** 10 parallel creations into a request for 3 files, then for 1000 bytes of 300 each: exactly 3. */
export async function requestLimitsInParallel(env: RequestEnv): Promise<void> {
  // With several instances, creation n goes to instance n (as a load balancer would spread them).
  const on = (n: number): RequestEnv =>
    env.bases ? { ...env, base: env.bases[n % env.bases.length] as string } : env
  const byCount = await made(env, { maxFiles: 3 })
  const counted = await Promise.all(
    Array.from({ length: 10 }, (_, n) =>
      createWith(
        on(n),
        byCount.sid,
        randomBytes(200),
        { 'X-Request-Token': byCount.requestToken },
        {
          name: `f${n}.bin`,
        },
      ).then(async (res) => ({
        status: res.status,
        body: await res.text(),
        location: res.headers.get('location'),
      })),
    ),
  )
  const arrived = counted.filter((x) => x.status === 201)
  expect(arrived).toHaveLength(3)
  const refused = counted.filter((x) => x.status !== 201)
  for (const x of refused) {
    expect(x.status).toBe(413)
    expect(x.body).toMatch(/at most 3 files/)
  }
  // The requester removes a file (through another instance): its place is free again, as the
  // request's view says, and then taken by the next file only.
  const gone = (arrived[0]?.location ?? '').split('++')[1] as string
  const removed = await fetch(`${on(1).base}/api/manage/${byCount.sid}/files/${gone}`, {
    method: 'DELETE',
    headers: { 'X-Manage-Token': byCount.manageToken },
  })
  expect(removed.status, await removed.clone().text()).toBe(204)
  expect((await manageState(on(2), byCount.sid, byCount.manageToken)).request).toMatchObject({ filesLeft: 1 })
  const again = (n: number) =>
    createWith(on(n), byCount.sid, randomBytes(200), { 'X-Request-Token': byCount.requestToken })
  expect((await again(2)).status).toBe(201)
  const over = await again(0)
  expect(over.status).toBe(413)
  expect(await over.text()).toMatch(/at most 3 files/)

  const byBytes = await made(env, { maxBytes: 1000 })
  const sized = await Promise.all(
    Array.from({ length: 10 }, (_, n) =>
      createWith(
        on(n + 1),
        byBytes.sid,
        randomBytes(300),
        { 'X-Request-Token': byBytes.requestToken },
        {
          name: `b${n}.bin`,
        },
      ).then(async (res) => ({ status: res.status, body: await res.text() })),
    ),
  )
  expect(sized.filter((x) => x.status === 201)).toHaveLength(3)
  for (const x of sized.filter((y) => y.status !== 201)) {
    expect(x.status).toBe(413)
    expect(x.body).toMatch(/at most 1000 bytes in all; 100 bytes are left/)
  }
  const state = await manageState(env, byBytes.sid, byBytes.manageToken)
  expect(state.files).toHaveLength(3)
  expect(state.request).toMatchObject({ bytesLeft: 100 })
}

/** The requester closes the request; a request whose link expired; both answer 410. */
export async function requestCloseAndExpiry(env: RequestEnv): Promise<void> {
  const r = await made(env, {})
  const auth = { 'X-Request-Token': r.requestToken }
  // An upload begun before the close may finish after it.
  const begun = await fetch(`${env.base}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': '10',
      'Upload-Metadata': `sid ${b64(r.sid)},name ${b64('late.txt')}`,
      ...auth,
    },
  })
  expect(begun.status).toBe(201)

  expect((await close(env, r.sid)).status).toBe(401)
  expect((await close(env, r.sid, r.requestToken)).status).toBe(403)
  expect((await close(env, r.sid, r.manageToken)).status).toBe(204)
  expect((await close(env, r.sid, r.manageToken)).status).toBe(204)
  const gone = await show(env, r.sid, r.requestToken)
  expect(gone.status).toBe(410)
  expect(await gone.json()).toMatchObject({ code: 'GONE', message: expect.stringMatching(/closed/) })
  const refused = await createWith(env, r.sid, Buffer.from('too late'), auth)
  expect(refused.status).toBe(410)
  expect(await refused.text()).toMatch(/closed/)

  const patched = await fetch(new URL(begun.headers.get('location') as string, env.base), {
    method: 'PATCH',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      ...auth,
    },
    body: new Uint8Array(Buffer.from('0123456789')),
  })
  expect(patched.status).toBe(204)
  const state = await manageState(env, r.sid, r.manageToken)
  expect(state.files.map((f) => f.name)).toEqual(['late.txt'])
  expect(state.request).toMatchObject({ closed: true })

  const short = await made(env, { expiresAt: Date.now() + 1500 })
  expect((await show(env, short.sid, short.requestToken)).status).toBe(200)
  await new Promise((r) => setTimeout(r, 1800))
  const expired = await show(env, short.sid, short.requestToken)
  expect(expired.status).toBe(410)
  expect(await expired.json()).toMatchObject({ message: expect.stringMatching(/expired/) })
  expect(
    (await createWith(env, short.sid, Buffer.from('x'), { 'X-Request-Token': short.requestToken })).status,
  ).toBe(410)
}

/** The requester's mails so far, by recipient. */
function mailsTo(sink: SmtpSink, address: string) {
  return sink.received.filter((m) => m.rcptTo.includes(address))
}

async function waitForMails(sink: SmtpSink, address: string, count: number) {
  const end = Date.now() + 15_000
  for (;;) {
    const got = mailsTo(sink, address)
    if (got.length >= count) return got
    if (Date.now() > end) throw new Error(`expected ${count} notices to ${address}, got ${got.length}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** What a digest scenario needs of the server besides HTTP: its clock and its sweeper. */
export interface DigestControls {
  /** Moves the server's (manual) clock. */
  advance(ms: number): void
  /** One sweeper pass. */
  sweep(): Promise<unknown>
  /** The server's `requestNoticeWindow`, ms. */
  windowMs: number
}

/**
 * 30 files through a request with an address: the first is mailed at once, the other 29 are
 * collected and mailed in ONE digest when the window ends (the sweeper sends it), listing each
 * name with its size, the count and the total; the webhook still goes once per file. A file
 * after a quiet window is mailed at once again, by its own upload.
 */
export async function requestNoticeDigest(env: RequestEnv, controls: DigestControls): Promise<void> {
  const sink = env.sink as SmtpSink
  const address = `digest-${randomBytes(4).toString('hex')}@example.org`
  const r = await made(env, { notify: address, lang: 'en', password: 'requester-pw' })
  const auth = { 'X-Request-Token': r.requestToken }
  const name = (i: number) => `file-${String(i).padStart(2, '0')}.bin`
  const size = (i: number) => 1000 + i
  for (let i = 0; i < 30; i++) {
    const res = await createWith(env, r.sid, randomBytes(size(i)), auth, { name: name(i) })
    expect(res.status, await res.clone().text()).toBe(201)
  }
  const [first] = await waitForMails(sink, address, 1)
  const firstText = first?.parsed.text ?? ''
  expect(firstText).toContain('New files arrived for your upload request: 1.')
  expect(firstText).toContain(`- ${name(0)} (1 kB)`)
  expect(firstText).toContain(r.manageUrl)
  expect(firstText).not.toContain(name(1))
  // Within the window nothing more goes out, whatever the sweeper does.
  await controls.sweep()
  await new Promise((r) => setTimeout(r, 300))
  expect(mailsTo(sink, address)).toHaveLength(1)

  controls.advance(controls.windowMs)
  await controls.sweep()
  const [, digest] = await waitForMails(sink, address, 2)
  const text = digest?.parsed.text ?? ''
  expect(text).toContain('New files arrived for your upload request: 29.')
  for (let i = 1; i < 30; i++) expect(text).toContain(`- ${name(i)} (1 kB)`)
  expect(text).not.toContain(name(0))
  const total = Array.from({ length: 29 }, (_, i) => size(i + 1)).reduce((a, b) => a + b, 0)
  expect(text).toContain(`In all: ${(total / 1000).toFixed(1)} kB.`)
  expect(text).toContain(r.manageUrl)
  expect(digest?.raw).not.toContain(r.requestToken)
  // Sent once: another pass finds nothing due.
  await controls.sweep()
  await new Promise((r) => setTimeout(r, 300))
  expect(mailsTo(sink, address)).toHaveLength(2)

  // The webhook stays one per file.
  if (env.hooks) {
    const hooks = env.hooks
    const end = Date.now() + 10_000
    const count = () => hooks.received.filter((b) => b.event === 'requestUploaded' && b.sid === r.sid).length
    while (count() < 30 && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    expect(count()).toBe(30)
  }

  // A quiet window later, the next file is announced at once by its own upload.
  controls.advance(controls.windowMs)
  const late = await createWith(env, r.sid, randomBytes(10), auth, { name: 'late.txt' })
  expect(late.status).toBe(201)
  const [, , third] = await waitForMails(sink, address, 3)
  expect(third?.parsed.text).toContain('New files arrived for your upload request: 1.')
  expect(third?.parsed.text).toContain('- late.txt (10 byte')
}

/**
 * A restart between collecting and sending: files collected by one server are mailed by the
 * sweeper of the next one on the same store, late but not lost.
 */
export async function requestNoticeAfterRestart(
  env: RequestEnv,
  restart: () => Promise<{ env: RequestEnv; controls: DigestControls }>,
): Promise<void> {
  const sink = env.sink as SmtpSink
  const address = `restart-${randomBytes(4).toString('hex')}@example.org`
  const r = await made(env, { notify: address, lang: 'en', password: 'requester-pw' })
  const auth = { 'X-Request-Token': r.requestToken }
  for (const n of ['one.txt', 'two.txt', 'three.txt']) {
    expect((await createWith(env, r.sid, randomBytes(100), auth, { name: n })).status).toBe(201)
  }
  await waitForMails(sink, address, 1)
  const next = await restart()
  next.controls.advance(next.controls.windowMs)
  await next.controls.sweep()
  const [, digest] = await waitForMails(sink, address, 2)
  expect(digest?.parsed.text).toContain('New files arrived for your upload request: 2.')
  expect(digest?.parsed.text).toContain('- two.txt (100 byte')
  expect(digest?.parsed.text).toContain('- three.txt (100 byte')
}

/**
 * A burst through a request spread over several instances (`env.bases`) with a short real
 * `requestNoticeWindow`: every file is named in exactly one mail, the first at once and the
 * rest (sent by a timer of an instance that collected one) together once the window ends.
 */
export async function requestNoticeAcrossInstances(env: RequestEnv, windowMs: number): Promise<void> {
  const sink = env.sink as SmtpSink
  const bases = env.bases ?? [env.base]
  const address = `burst-${randomBytes(4).toString('hex')}@example.org`
  const r = await made(env, { notify: address, lang: 'en', password: 'requester-pw' })
  const auth = { 'X-Request-Token': r.requestToken }
  const names = Array.from({ length: 12 }, (_, i) => `burst-${String(i).padStart(2, '0')}.bin`)
  const began = Date.now()
  await Promise.all(
    names.map(async (name, i) => {
      const res = await createWith(
        { ...env, base: bases[i % bases.length] as string },
        r.sid,
        randomBytes(500),
        auth,
        { name },
      )
      expect(res.status, await res.clone().text()).toBe(201)
    }),
  )
  const took = Date.now() - began
  // Wait until every file was named (the digest comes by a timer when the window ends).
  const end = Date.now() + windowMs + 15_000
  const listed = () =>
    mailsTo(sink, address).flatMap((m) => (m.parsed.text ?? '').match(/burst-\d\d\.bin/g) ?? [])
  while (listed().length < names.length && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
  await new Promise((r) => setTimeout(r, 500))
  expect(listed().sort()).toEqual(names)
  const mails = mailsTo(sink, address)
  const counts = mails.map((m) => Number(/upload request: (\d+)\./.exec(m.parsed.text ?? '')?.[1]))
  expect(counts.reduce((a, b) => a + b, 0)).toBe(names.length)
  expect(counts[0]).toBe(1)
  // All files arrived within one window: one mail at once, one digest.
  if (took < windowMs) expect(mails).toHaveLength(2)
}
