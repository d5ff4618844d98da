import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp, upload } from './test-support/harness.js'

describe('smoke', () => {
  it('uploads, lists and downloads a file', async () => {
    const t = makeApp()
    const { id } = await upload(t, bytesOf('hello world'))
    const list = await t.request('/bucket1.json')
    expect(list.status).toBe(200)
    const body = (await list.json()) as { items: Array<{ url: string }> }
    expect(body.items).toHaveLength(1)
    const dl = await t.request(body.items[0]!.url)
    expect(dl.status).toBe(200)
    expect(await dl.text()).toBe('hello world')
    expect(id).toMatch(/^bucket1\+\+/)
  })
})
