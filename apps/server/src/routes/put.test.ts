import { listAll } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp } from '../test-support/harness.js'

describe('curl PUT', () => {
  it('creates a bucket with the file and answers with its link', async () => {
    const t = makeApp({ fileUploadedWebhook: 'http://hooks.test/up' })
    const res = await t.request('http://psi.example/hello%20world.txt', {
      method: 'PUT',
      body: bytesOf('hi there'),
    })
    expect(res.status).toBe(201)
    const [link, manage] = (await res.text()).split('\n')
    expect(link).toMatch(/^http:\/\/psi\.example\/[A-Za-z0-9_-]+$/)
    const sid = link!.split('/').pop()!
    // The second line and X-Manage-Url: the uploader's manage link, its secret in the fragment.
    const manageUrl = res.headers.get('x-manage-url')
    expect(manageUrl).toMatch(new RegExp(`^http://psi\\.example/manage/${sid}#[A-Za-z0-9_-]{32}$`))
    expect(manage).toBe(`Manage (keep private): ${manageUrl}`)
    const listing = (await (await t.request(`/${sid}.json`)).json()) as {
      items: Array<{ name: string; url: string }>
    }
    expect(listing.items[0]!.name).toBe('hello world.txt')
    expect(await (await t.request(listing.items[0]!.url)).text()).toBe('hi there')
    const [file] = await listAll(t.store, {})
    // Nobody can add files to a PUT bucket.
    expect(file).toMatchObject({ bucketLocked: true, complete: true, uploadLength: 8, retention: 604800 })
    expect(file!.expiresAt).toBe(file!.createdAt + 604800_000)
  })

  it('takes a chosen expiry (X-Expires-At, ?expiresAt) or until-deleted only when the operator allows it', async () => {
    const t = makeApp({ maxAge: 86400 })
    const now = t.clock.now()
    const at = now + 3600_000
    const ok = await t.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'X-Expires-At': String(at) },
    })
    expect(ok.status, await ok.clone().text()).toBe(201)
    const late = await t.request(`/a.txt?expiresAt=${now + 86400_000 + 1}`, {
      method: 'PUT',
      body: bytesOf('x'),
    })
    expect(late.status).toBe(400)
    expect(await late.text()).toMatch(/at most 1 day after their upload/)
    expect(
      (
        await t.request('/a.txt', {
          method: 'PUT',
          body: bytesOf('x'),
          headers: { 'X-Retention': 'until-deleted' },
        })
      ).status,
    ).toBe(400)
    const listedOnly = makeApp({ customExpiry: false })
    const refused = await listedOnly.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'X-Expires-At': new Date(at).toISOString() },
    })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toMatch(/only its listed retentions/)
    const forever = makeApp({ maxAge: false, allowNoExpiry: true })
    const kept = await forever.request('/a.txt?retention=until-deleted', {
      method: 'PUT',
      body: bytesOf('x'),
    })
    expect(kept.status).toBe(201)
    const files = [...(await listAll(t.store, {})), ...(await listAll(forever.store, {}))]
    expect(files.map((f) => [f.retention, f.expiresAt])).toEqual([
      [3600, at],
      ['until-deleted', null],
    ])
  })

  it('honours retention, password, uploadPass and limits', async () => {
    const t = makeApp({ uploadPass: 'up', maxFileSize: 5 })
    expect((await t.request('/a.txt', { method: 'PUT', body: bytesOf('x') })).status).toBe(401)
    expect(
      (await t.request('/a.txt', { method: 'PUT', body: bytesOf('x'), headers: { 'x-passwd': 'no' } }))
        .status,
    ).toBe(403)
    const big = await t.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('123456'),
      headers: { 'x-passwd': 'up' },
    })
    expect(big.status).toBe(413)
    expect(await listAll(t.store, {})).toHaveLength(0)
    const withLength = await t.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('123456'),
      headers: { 'x-passwd': 'up', 'Content-Length': '6' },
    })
    expect(withLength.status).toBe(413)
    expect(
      (await t.request('/..', { method: 'PUT', body: bytesOf('x'), headers: { 'x-passwd': 'up' } })).status,
    ).not.toBe(201)
    const bad = await t.request('/a.txt?retention=7', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'x-passwd': 'up' },
    })
    expect(bad.status).toBe(400)
    const ok = await t.request('/a.txt?retention=one-time', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'x-passwd': 'up', 'x-download-pass': 'pw' },
    })
    expect(ok.status).toBe(201)
    const [file] = await listAll(t.store, {})
    expect(file).toMatchObject({ retention: 'one-time' })
    expect(file!.password).toMatch(/^\$argon2id/)
  })

  it('limits downloads by X-Max-Downloads or ?maxDownloads', async () => {
    const t = makeApp()
    const res = await t.request('/a.txt', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'X-Max-Downloads': '2' },
    })
    expect(res.status).toBe(201)
    expect(await listAll(t.store, {})).toMatchObject([{ extra: { maxDownloads: '2' } }])
    const byQuery = await t.request('/b.txt?maxDownloads=5', { method: 'PUT', body: bytesOf('x') })
    expect(byQuery.status).toBe(201)
    const bad = await t.request('/c.txt', {
      method: 'PUT',
      body: bytesOf('x'),
      headers: { 'X-Max-Downloads': '0' },
    })
    expect(bad.status).toBe(400)
  })
})
