import { describe, expect, it } from 'vitest'
import { makeApp, TUS, upload } from '../test-support/harness.js'
import {
  decodeRequest,
  encodeRequest,
  REQUEST_FILE_KEY,
  requireOpen,
  type UploadRequest,
} from '../upload/requests.js'

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

interface Made {
  sid: string
  requestToken: string
  manageToken: string
  password?: string
}

describe('upload requests (in-memory store)', () => {
  it('on an open instance anyone who may upload makes one; the link expires on the clock', async () => {
    const t = makeApp({ maxAge: 3600 })
    const res = await t.request('/api/requests', json({ expiresAt: t.clock.now() + 60_000, password: 'pw' }))
    expect(res.status, await res.clone().text()).toBe(201)
    const r = (await res.json()) as Made
    expect(r.password).toBeUndefined()
    const show = () =>
      t.app.request(`/api/requests/${r.sid}`, { headers: { 'X-Request-Token': r.requestToken } })
    expect((await show()).status).toBe(200)
    t.clock.advance(60_000)
    const gone = await show()
    expect(gone.status).toBe(410)
    expect(((await gone.json()) as { message: string }).message).toMatch(/expired/)
  })

  it('a client cannot mark its own upload as one that came through a request', async () => {
    const t = makeApp({
      fileUploadedWebhook: 'http://hooks.test/up',
      requestUploadedWebhook: 'http://hooks.test/req',
    })
    const r = (await (await t.request('/api/requests', json({}))).json()) as Made
    // The requester adds a file as the bucket's owner (the manage secret), claiming the marker.
    const { id } = await upload(t, new TextEncoder().encode('x'), {
      sid: r.sid,
      headers: { 'X-Bucket-Token': r.manageToken },
      metadata: { [REQUEST_FILE_KEY]: '1' },
    })
    const head = await t.request(`/files/${id}`, {
      method: 'HEAD',
      headers: { ...TUS, 'X-Bucket-Token': r.manageToken },
    })
    expect(head.headers.get('upload-metadata') ?? '').not.toContain(REQUEST_FILE_KEY)
    await expect.poll(() => t.webhookCalls.length).toBe(1)
    expect(t.webhookCalls.map((c) => c.url)).toEqual(['http://hooks.test/up'])
  })

  it('a request upload fires the requestUploaded webhook with no secret in it', async () => {
    const t = makeApp({ requestUploadedWebhook: 'http://hooks.test/req' })
    const r = (await (await t.request('/api/requests', json({ maxFiles: 2 }))).json()) as Made
    const res = await t.app.request('/files/', {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Length': '3',
        'Upload-Metadata': `sid ${btoa(r.sid)},name ${btoa('a.txt')}`,
        'Content-Type': 'application/offset+octet-stream',
        'X-Request-Token': r.requestToken,
      },
      body: 'abc',
    })
    expect(res.status, await res.clone().text()).toBe(201)
    await expect.poll(() => t.webhookCalls.length).toBe(1)
    const call = t.webhookCalls[0]
    expect(call?.body).toMatchObject({
      event: 'requestUploaded',
      sid: r.sid,
      file: { name: 'a.txt', size: 3 },
    })
    expect(JSON.stringify(call?.body)).not.toContain(r.requestToken)
    expect(JSON.stringify(call?.body)).not.toContain(r.manageToken)
  })
})

describe('the request record in a mark', () => {
  const record: UploadRequest = {
    v: 1,
    secretSha256: 'a'.repeat(64),
    createdAt: 1,
    expiresAt: 1000,
    maxBytes: null,
    maxFiles: 3,
    retention: '3600',
    message: 'hi',
    notify: null,
    lang: 'en',
    origin: 'http://x',
    password: null,
    closedAt: null,
  }

  it('round-trips, and a damaged one is no request (nobody uploads through it)', () => {
    expect(decodeRequest(encodeRequest(record))).toEqual(record)
    expect(decodeRequest({ request: '{' })).toBeUndefined()
    expect(decodeRequest({ request: JSON.stringify({ ...record, secretSha256: 'short' }) })).toBeUndefined()
    expect(decodeRequest({ request: JSON.stringify({ ...record, maxFiles: '3' }) })).toBeUndefined()
    expect(decodeRequest({})).toBeUndefined()
  })

  it('is open until closed or expired', () => {
    expect(() => requireOpen(record, 999)).not.toThrow()
    expect(() => requireOpen(record, 1000)).toThrow(/expired/)
    expect(() => requireOpen({ ...record, closedAt: 5 }, 2)).toThrow(/closed/)
  })
})
