import { encodeUploadMetadata } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { bytesOf, makeApp, TUS, upload } from '../test-support/harness.js'
import { checkEncryptedCreation, encryptedItemFields, isEncrypted, MAX_E2E_BLOB } from './encrypted.js'

// The server never opens blobs: any base64url of a plausible size stands for one here.
const BLOB = 'UFNJRTJFAU0'.padEnd(155, 'A')

describe('encrypted uploads: rules', () => {
  it('accepts a base64url blob when enabled, and no blob at all', () => {
    expect(() => checkEncryptedCreation({ e2e: BLOB }, { e2e: true })).not.toThrow()
    expect(() => checkEncryptedCreation({ name: 'a' }, { e2e: false })).not.toThrow()
  })

  it('refuses a blob when disabled, malformed, too short or too long', () => {
    expect(() => checkEncryptedCreation({ e2e: BLOB }, { e2e: false })).toThrow(/disabled/)
    for (const bad of ['short', `${BLOB}=`, `${BLOB} x`, 'A'.repeat(MAX_E2E_BLOB + 1)])
      expect(() => checkEncryptedCreation({ e2e: bad }, { e2e: true }), bad).toThrow(/sealed metadata/)
  })

  it('marks files with a blob as encrypted', () => {
    expect(isEncrypted({ extra: { e2e: BLOB } })).toBe(true)
    expect(isEncrypted({ extra: {} })).toBe(false)
    expect(encryptedItemFields({ extra: { e2e: BLOB } })).toEqual({ encrypted: true, e2e: BLOB })
    expect(encryptedItemFields({ extra: { other: 'x' } })).toEqual({})
  })
})

describe('encrypted uploads: routes', () => {
  it('lists the blob, marks the bucket, serves the bytes and refuses archives', async () => {
    const t = makeApp()
    await upload(t, bytesOf('ciphertext'), {
      sid: 'encbucket1',
      name: 'encrypted.bin',
      type: 'application/octet-stream',
      metadata: { e2e: BLOB },
    })
    const res = await t.request('/encbucket1.json')
    expect(res.status).toBe(200)
    const listing = (await res.json()) as {
      encrypted?: boolean
      zipUrl: string
      tarGzUrl: string
      items: Array<{ encrypted?: boolean; e2e?: string; name: string; url: string }>
    }
    expect(listing.encrypted).toBe(true)
    expect(listing.items[0]).toMatchObject({ encrypted: true, e2e: BLOB, name: 'encrypted.bin' })
    expect(await (await t.request(listing.items[0]!.url)).text()).toBe('ciphertext')
    for (const url of [listing.zipUrl, listing.tarGzUrl]) {
      const archive = await t.request(url)
      expect(archive.status).toBe(400)
      expect(await archive.text()).toMatch(/end-to-end encrypted/)
    }
  })

  it('leaves plain buckets unmarked', async () => {
    const t = makeApp()
    await upload(t, bytesOf('plain'), { sid: 'plainbucket' })
    const listing = (await (await t.request('/plainbucket.json')).json()) as Record<string, unknown> & {
      items: Array<Record<string, unknown>>
    }
    expect(listing.encrypted).toBeUndefined()
    expect(listing.items[0]!.encrypted).toBeUndefined()
    expect((await t.request(listing.zipUrl as string)).status).toBe(200)
  })

  it('refuses an encrypted creation when e2e is off, and config.json tells the client', async () => {
    const t = makeApp({ e2e: false })
    expect(((await (await t.request('/config.json')).json()) as { e2e: boolean }).e2e).toBe(false)
    const res = await t.request('/files/', {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Length': '3',
        'Upload-Metadata': encodeUploadMetadata({ sid: 'encbucket2', name: 'x.bin', e2e: BLOB }),
      },
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/disabled/)
    expect(((await (await makeApp().request('/config.json')).json()) as { e2e: boolean }).e2e).toBe(true)
  })
})
