import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp } from '../test-support/harness.js'

describe('config.json and lang.json', () => {
  it('returns what the web client needs', async () => {
    const t = makeApp({
      maxFileSize: 100,
      disableQrCode: true,
      requireBucketPassword: true,
      uploadAppPath: '/up/',
    })
    const res = await t.request('/config.json')
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      defaultRetention: '604800',
      requireBucketPassword: true,
      maxFileSize: 100,
      maxBucketSize: null,
      disableQrCode: true,
      maxPreviewSize: 2 * 1024 * 1024,
      tusEndpoint: '/up/files/',
      randomDownloadSidLength: 22,
      defaultLanguage: 'en',
    })
    expect(body.retentionOrder).toEqual(
      Object.keys(t.config.retentions).sort((a, b) =>
        a === 'one-time' ? -1 : b === 'one-time' ? 1 : Number(a) - Number(b),
      ),
    )
    expect((body.languages as string[]).length).toBe(16)
    expect(body.chunkSize).toBeGreaterThanOrEqual(5_000_000)
    expect(body.mailTemplate).toContain('%%URL%%')
    expect(JSON.stringify(body)).not.toMatch(/adminPass|uploadPass|secret/)
  })

  it('tells the client which expiries it may choose (custom dates up to maxAge, until deleted)', async () => {
    const plain = (await (await makeApp().request('/config.json')).json()) as Record<string, unknown>
    expect(plain).toMatchObject({ customExpiry: true, maxAge: 75 * 86400, untilDeleted: false })
    const forever = makeApp({ maxAge: false, allowNoExpiry: true, customExpiry: false })
    expect(await (await forever.request('/config.json')).json()).toMatchObject({
      customExpiry: false,
      maxAge: null,
      untilDeleted: true,
    })
    // Without maxAge but not allowed: no "until deleted".
    const noMax = (await (await makeApp({ maxAge: false }).request('/config.json')).json()) as Record<
      string,
      unknown
    >
    expect(noMax).toMatchObject({ maxAge: null, untilDeleted: false })
  })

  it('puts the TUS endpoint below baseUrl (PSITRANSFER_BASE_URL=/psi/ or /psi)', async () => {
    for (const baseUrl of ['/psi/', '/psi']) {
      const t = makeApp({ baseUrl, randomDownloadSidLength: 12 })
      const config = (await (await t.request('/psi/config.json')).json()) as Record<string, unknown>
      expect(config, baseUrl).toMatchObject({ tusEndpoint: '/psi/files/', randomDownloadSidLength: 12 })
      const sid = 'AbCdEfGhIjKl'
      const created = await t.request('/psi/files/', {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': '2',
          'Upload-Metadata': `sid ${btoa(sid)},name YS50eHQ=`,
          'Content-Type': 'application/offset+octet-stream',
        },
        body: bytesOf('ok'),
      })
      expect(created.status, baseUrl).toBe(201)
      expect(created.headers.get('location')).toMatch(new RegExp(`^/psi/files/${sid}\\+\\+`))
      const listing = (await (await t.request(`/psi/${sid}.json`)).json()) as {
        items: Array<{ url: string }>
      }
      expect(await (await t.request(listing.items[0]!.url)).text()).toBe('ok')
      expect(
        (await t.request('/files/', { method: 'POST', headers: { 'Tus-Resumable': '1.0.0' } })).status,
      ).toBe(404)
    }
  })

  it('needs x-passwd when uploadPass is set', async () => {
    const t = makeApp({ uploadPass: 'up' })
    const missing = await t.request('/config.json')
    expect(missing.status).toBe(401)
    expect(await missing.json()).toEqual({ code: 'UNAUTHORIZED', message: 'Upload password required' })
    expect((await t.request('/config.json', { headers: { 'x-passwd': 'no' } })).status).toBe(403)
    expect((await t.request('/config.json', { headers: { 'x-passwd': 'up' } })).status).toBe(200)
  })

  it('translates server strings by ?lang and Accept-Language', async () => {
    const t = makeApp({ defaultLanguage: 'fr' })
    const de = (await (await t.request('/lang.json?lang=de')).json()) as {
      lang: string
      messages: Record<string, string>
    }
    expect(de.lang).toBe('de')
    expect(de.messages['retention.3600']).toBe('1 Stunde')
    const ja = (await (
      await t.request('/lang.json', { headers: { 'Accept-Language': 'ja,en;q=0.5' } })
    ).json()) as {
      lang: string
    }
    expect(ja.lang).toBe('ja')
    const fallback = (await (await t.request('/lang.json')).json()) as {
      lang: string
      messages: Record<string, string>
    }
    expect(fallback.lang).toBe('fr')
    expect(fallback.messages['retention.one-time']).toBe('Téléchargement unique')
  })
})
