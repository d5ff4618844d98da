import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp, type TestApp, upload } from '../test-support/harness.js'

interface Listing {
  sid: string
  items: Array<{
    key: string
    name: string
    relativePath: string
    size: number
    url: string
    oneTime: boolean
    downloaded: boolean
    expiresAt: number | null
    createdAt: number
    comment: string
    type: string
  }>
  archiveToken: string
  zipUrl: string
  tarGzUrl: string
  protected: boolean
  config: { maxPreviewSize: number }
}

async function listing(t: TestApp, sid = 'bucket1', headers: Record<string, string> = {}): Promise<Listing> {
  const res = await t.request(`/${sid}.json`, { headers })
  expect(res.status).toBe(200)
  return (await res.json()) as Listing
}

describe('bucket listing', () => {
  it('lists only completed, unexpired files without secrets', async () => {
    const t = makeApp({ maxPreviewSize: 1234 })
    await upload(t, bytesOf('one'), { name: 'one.txt', comment: 'first', relativePath: 'docs' })
    t.clock.advance(1000)
    await upload(t, bytesOf('two!'), { name: 'two.txt', retention: 'one-time' })
    // An unfinished upload is not listed.
    await t.request('/files/', {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '10',
        'Upload-Metadata': 'sid YnVja2V0MQ==,name eC50eHQ=',
      },
    })
    const res = await t.request('/bucket1.json')
    expect(res.headers.get('cache-control')).toBe('private, no-store')
    const body = (await res.json()) as Listing
    expect(body.sid).toBe('bucket1')
    expect(body.protected).toBe(false)
    expect(body.config).toEqual({ maxPreviewSize: 1234 })
    expect(body.items.map((i) => i.name)).toEqual(['one.txt', 'two.txt'])
    expect(body.items[0]).toMatchObject({
      relativePath: 'docs',
      comment: 'first',
      size: 3,
      type: 'text/plain',
      oneTime: false,
      downloaded: false,
      expiresAt: body.items[0]!.createdAt + 3600_000,
    })
    expect(body.items[1]).toMatchObject({ oneTime: true })
    expect(body.items[0]!.url).toBe(`/files/bucket1++${body.items[0]!.key}`)
    expect(body.zipUrl).toBe(`/files/bucket1++${body.archiveToken}.zip`)
    expect(body.tarGzUrl).toBe(`/files/bucket1++${body.archiveToken}.tar.gz`)
    expect(body.archiveToken).toMatch(/^[0-9a-f]{32}$/)
    // PsiTransfer's record sits beside our fields (compat/shapes.ts); no secret in either.
    expect(body.items[0]).toMatchObject({
      metadata: { name: 'one.txt', comment: 'first', retention: '3600' },
    })
    expect(JSON.stringify(body)).not.toMatch(/password|storeState|argon|extra/)
  })

  it('404s for unknown, empty and expired buckets, 400 for bad ids', async () => {
    const t = makeApp()
    expect((await t.request('/nothing.json')).status).toBe(404)
    await upload(t, bytesOf('x'))
    t.clock.advance(3600_000)
    const res = await t.request('/bucket1.json')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: 'Bucket not found or expired' })
    expect((await t.request('/bad.id.json')).status).toBe(400)
  })

  it('accepts percent-encoded passwords with characters a header cannot carry', async () => {
    const t = makeApp({ adminPass: 'ädmin-密码' })
    await upload(t, bytesOf('x'), { password: '密码 100%', retention: '86400' })
    const encoded = encodeURIComponent('密码 100%')
    expect((await t.request('/bucket1.json', { headers: { 'x-download-pass': encoded } })).status).toBe(200)
    expect((await t.request('/bucket1.json', { headers: { 'x-download-pass': '%E5%AF%86' } })).status).toBe(
      401,
    )
    const admin = encodeURIComponent('ädmin-密码')
    expect((await t.request('/admin/data.json', { headers: { 'x-passwd': admin } })).status).toBe(200)
    expect((await t.request('/admin/data.json', { headers: { 'x-passwd': '%zz' } })).status).toBe(403)
  })

  it('protects buckets with a password and hands out download tokens', async () => {
    const t = makeApp()
    await upload(t, bytesOf('secret data'), { password: 'pw', retention: '86400' })
    const missing = await t.request('/bucket1.json')
    expect(missing.status).toBe(401)
    expect(((await missing.json()) as { code: string }).code).toBe('UNAUTHORIZED')
    expect((await t.request('/bucket1.json', { headers: { 'x-download-pass': 'nope' } })).status).toBe(401)
    const body = await listing(t, 'bucket1', { 'x-download-pass': 'pw' })
    expect(body.protected).toBe(true)
    const url = body.items[0]!.url
    expect(url).toMatch(/\?token=\d+\.[A-Za-z0-9_-]{43}$/)
    expect(body.zipUrl).toContain('?token=')
    // The token is the proof: without it the file URL alone is not enough.
    const bare = url.replace(/\?.*$/, '')
    expect((await t.request(bare)).status).toBe(401)
    expect((await t.request(`${bare}?token=123.${'a'.repeat(43)}`)).status).toBe(401)
    expect(await (await t.request(url)).text()).toBe('secret data')
    // The archiveToken of a password-checked listing is a short-lived proof itself (PsiTransfer's
    // client appends nothing to it); the bucket's key hash alone is not.
    expect(body.archiveToken).toMatch(/^\d+[0-9A-Za-z]{53}$/)
    expect((await t.request(body.tarGzUrl.replace(/\?.*$/, ''))).status).toBe(200)
    expect((await t.request(body.tarGzUrl)).status).toBe(200)
    const keyHash = createHash('sha256')
      .update(body.items.map((i) => i.key).join(','))
      .digest('hex')
      .slice(0, 32)
    const query = url.replace(/^[^?]*/, '')
    expect((await t.request(`/files/bucket1++${keyHash}.zip`)).status).toBe(401)
    expect((await t.request(`/files/bucket1++${keyHash}.zip${query}`)).status).toBe(200)
    // Tokens expire, and so do archive proofs.
    t.clock.advance(3 * 3600_000)
    expect((await t.request(url)).status).toBe(401)
    expect((await t.request(body.zipUrl.replace(/\?.*$/, ''))).status).toBe(401)
  })

  it('rate-limits wrong bucket passwords per bucket and client', async () => {
    const t = makeApp()
    await upload(t, bytesOf('x'), { password: 'pw' })
    await upload(t, bytesOf('y'), { sid: 'other', password: 'pw' })
    for (let i = 0; i < 10; i++) {
      expect((await t.request('/bucket1.json', { headers: { 'x-download-pass': `bad${i}` } })).status).toBe(
        401,
      )
    }
    const limited = await t.request('/bucket1.json', { headers: { 'x-download-pass': 'pw' } })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBeTruthy()
    expect((await t.request('/other.json', { headers: { 'x-download-pass': 'pw' } })).status).toBe(200)
  })
})
