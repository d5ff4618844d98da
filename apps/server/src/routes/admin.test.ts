import { listAll } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp, upload } from '../test-support/harness.js'

describe('admin', () => {
  it('does not exist without adminPass', async () => {
    const t = makeApp()
    expect((await t.request('/admin/data.json')).status).toBe(404)
    expect((await t.request('/api/admin/data.json')).status).toBe(404)
    expect((await t.request('/admin/buckets/bucket1', { method: 'DELETE' })).status).toBe(404)
  })

  it('lists buckets and files, and deletes files and buckets', async () => {
    const t = makeApp({ adminPass: 'root' })
    await upload(t, bytesOf('12345'), { name: 'a.txt', password: 'pw' })
    t.clock.advance(10)
    const { id } = await upload(t, bytesOf('678'), { name: 'b.txt', password: 'pw' })
    await upload(t, bytesOf('x'), { sid: 'other', retention: 'one-time' })
    await t.request('/files/', {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '99',
        'Upload-Metadata': 'sid b3RoZXI=,name cC50eHQ=',
      },
    })
    expect((await t.request('/admin/data.json')).status).toBe(401)
    expect((await t.request('/admin/data.json', { headers: { 'x-passwd': 'x' } })).status).toBe(403)
    const res = await t.request('/api/admin/data.json', { headers: { 'x-passwd': 'root' } })
    expect(res.status).toBe(200)
    const data = (await res.json()) as {
      buckets: Array<{ sid: string; size: number; protected: boolean; files: Array<Record<string, unknown>> }>
      totals: Record<string, number>
    }
    expect(data.totals).toEqual({ buckets: 2, files: 4, bytes: 5 + 3 + 1 + 99 })
    const b1 = data.buckets.find((b) => b.sid === 'bucket1')!
    expect(b1).toMatchObject({ size: 8, protected: true })
    expect(b1.files.map((f) => f.name)).toEqual(['a.txt', 'b.txt'])
    expect(b1.files[0]).toMatchObject({
      complete: true,
      offset: 5,
      uploadLength: 5,
      downloads: 0,
      oneTime: false,
    })
    const other = data.buckets.find((b) => b.sid === 'other')!
    expect(other.files.some((f) => f.complete === false && f.offset === 0)).toBe(true)
    expect(JSON.stringify(data)).not.toMatch(/argon|password"/)

    const auth = { 'x-passwd': 'root' }
    expect((await t.request(`/admin/files/${id}`, { method: 'DELETE', headers: auth })).status).toBe(204)
    expect((await t.request(`/admin/files/${id}`, { method: 'DELETE', headers: auth })).status).toBe(404)
    expect((await listAll(t.store, { sid: 'bucket1' as never })).map((f) => f.name)).toEqual(['a.txt'])
    expect((await t.request('/admin/buckets/other', { method: 'DELETE', headers: auth })).status).toBe(204)
    expect((await t.request('/admin/buckets/other', { method: 'DELETE', headers: auth })).status).toBe(404)
    expect((await t.request('/admin/buckets/other', { method: 'DELETE' })).status).toBe(401)
    expect(await listAll(t.store, { sid: 'other' as never })).toHaveLength(0)
  })
  it('answers PsiTransfer’s shape at admin/data.json: records by bucket, _password instead of the hash', async () => {
    const t = makeApp({ adminPass: 'root' })
    await upload(t, bytesOf('12345'), { name: 'a.txt', password: 'pw' })
    await upload(t, bytesOf('x'), { sid: 'other', retention: 'one-time' })
    expect((await t.request('/admin/data.json')).status).toBe(401)
    expect((await t.request('/admin/data.json', { headers: { 'x-passwd': 'x' } })).status).toBe(403)
    const res = await t.request('/admin/data.json', { headers: { 'x-passwd': 'root' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const data = (await res.json()) as Record<string, Array<Record<string, unknown>>>
    expect(Object.keys(data).sort()).toEqual(['bucket1', 'other'])
    expect(data.bucket1?.[0]).toMatchObject({ size: 5, metadata: { name: 'a.txt', _password: true } })
    // As PsiTransfer: a protected file's record carries nothing to download it with.
    expect(data.bucket1?.[0]).not.toHaveProperty('key')
    expect(data.other?.[0]).toMatchObject({ size: 1, metadata: { sid: 'other', retention: 'one-time' } })
    expect(JSON.stringify(data)).not.toMatch(/argon|"password"/)
  })
})
