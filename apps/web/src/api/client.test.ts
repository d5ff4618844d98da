import { afterEach, describe, expect, it, vi } from 'vitest'
import { Api, headerSafe } from './client.js'

const calls: Array<{ url: string; init: RequestInit }> = []

function stubFetch(status = 200, body = '{}') {
  calls.length = 0
  vi.stubGlobal('fetch', async (url: URL | string, init: RequestInit = {}) => {
    calls.push({ url: String(url), init })
    return new Response(status === 204 ? null : body, { status })
  })
}

afterEach(() => {
  vi.unstubAllGlobals()
})

const headers = (i: number) => new Headers(calls[i]!.init.headers)

describe('Api', () => {
  const api = new Api(new URL('https://psi.test/share/'))

  it('locks the bucket with PATCH <tus>/<sid>?lock=yes and the upload password', async () => {
    stubFetch(204)
    await api.lock('/share/files/', 'SID', 'up-pass')
    expect(calls[0]!.url).toBe('https://psi.test/share/files/SID?lock=yes')
    expect(calls[0]!.init.method).toBe('PATCH')
    expect(headers(0).get('x-passwd')).toBe('up-pass')
  })

  it('sends no x-passwd when there is no upload password', async () => {
    stubFetch(204)
    await api.lock('files/', 'SID')
    expect(calls[0]!.url).toBe('https://psi.test/share/files/SID?lock=yes')
    expect(headers(0).has('x-passwd')).toBe(false)
  })

  it('asks for config.json and lang.json below the base', async () => {
    stubFetch(200, '{"retentions":{}}')
    await api.config('p')
    await api.lang('zh-tw')
    expect(calls.map((c) => c.url)).toEqual([
      'https://psi.test/share/config.json',
      'https://psi.test/share/lang.json?lang=zh-tw',
    ])
    expect(headers(0).get('x-passwd')).toBe('p')
  })

  it('sends the bucket password as x-download-pass', async () => {
    stubFetch(200, '{"items":[]}')
    await api.bucket('SID', 'geheim')
    expect(calls[0]!.url).toBe('https://psi.test/share/SID.json')
    expect(headers(0).get('x-download-pass')).toBe('geheim')
  })

  it('uses the admin DELETE endpoints', async () => {
    stubFetch(204)
    await api.deleteFile('adm', 'SID', 'KEY')
    await api.deleteBucket('adm', 'SID')
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      'DELETE https://psi.test/share/admin/files/SID++KEY',
      'DELETE https://psi.test/share/admin/buckets/SID',
    ])
    expect(headers(1).get('x-passwd')).toBe('adm')
  })

  it('reads our admin shape at api/admin/data.json (admin/data.json is PsiTransfer’s)', async () => {
    stubFetch(200, '{"buckets":[],"totals":{"buckets":0,"files":0,"bytes":0}}')
    await api.adminData('adm')
    expect(calls[0]!.url).toBe('https://psi.test/share/api/admin/data.json')
    expect(headers(0).get('x-passwd')).toBe('adm')
  })

  it('turns error responses into ApiErrors', async () => {
    stubFetch(403, '{"code":"FORBIDDEN","message":"Wrong password"}')
    await expect(api.adminData('x')).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' })
  })
})

describe('headerSafe', () => {
  it('keeps Latin-1 and percent-encodes the rest (fetch would throw)', () => {
    expect(headerSafe('Passwort 1!')).toBe('Passwort 1!')
    expect(headerSafe('Pässwort')).toBe(encodeURIComponent('Pässwort'))
    expect(headerSafe(' pw ')).toBe('%20pw%20')
    expect(headerSafe('пароль')).toBe(encodeURIComponent('пароль'))
    expect(() => new Headers({ x: headerSafe('密码') })).not.toThrow()
  })
})
