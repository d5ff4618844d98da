/** SAS download URLs, checked by fetching them from Azurite like a browser would. */

import { contentDisposition } from '@psitransfer/core'
import { chunked, newFileFixture } from '@psitransfer/core/testing'
import { patternBytes } from '@psitransfer/core/testing/pattern'
import { expect, it } from 'vitest'
import { storeSuite } from './test-support/env.js'

const suite = storeSuite('sas')

async function completedFile(name: string, type: string, bytes: Uint8Array) {
  const store = suite.store()
  const file = newFileFixture({ uploadLength: bytes.byteLength, name, type })
  await store.create(file)
  await store.append(file, chunked(bytes), 0)
  await store.complete(file)
  return { store, file }
}

it('serves the file with its name and type in the headers, and ranges', async () => {
  const bytes = patternBytes(5, 0, 100_000)
  const name = 'Grüße "aus" Köln.pdf'
  const { store, file } = await completedFile(name, 'application/pdf', bytes)
  expect(typeof store.downloadUrl).toBe('function')
  const url = await store.downloadUrl?.(file, {
    expiresIn: 60,
    filename: name,
    contentType: 'application/pdf',
  })
  if (!url) throw new Error('no downloadUrl')
  const res = await fetch(url)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-disposition')).toBe(contentDisposition(name))
  expect(res.headers.get('content-type')).toBe('application/pdf')
  expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true)

  const ranged = await fetch(url, { headers: { range: 'bytes=10-19' } })
  expect(ranged.status).toBe(206)
  expect(Buffer.from(await ranged.arrayBuffer()).equals(Buffer.from(bytes.subarray(10, 20)))).toBe(true)

  const inline = await store.downloadUrl?.(file, { expiresIn: 60, filename: 'a.txt', disposition: 'inline' })
  const res2 = await fetch(inline as string)
  expect(res2.headers.get('content-disposition')).toBe(contentDisposition('a.txt', 'inline'))
  await res2.arrayBuffer()
})

it('refuses tampered and expired URLs', async () => {
  const { store, file } = await completedFile('x.bin', '', patternBytes(6, 0, 10))
  const url = new URL((await store.downloadUrl?.(file, { expiresIn: 1, filename: 'x.bin' })) as string)
  const tampered = new URL(url)
  tampered.searchParams.set('rscd', 'attachment; filename="evil.exe"')
  expect((await fetch(tampered)).status).toBe(403)
  await new Promise((r) => setTimeout(r, 2100))
  expect((await fetch(url)).status).toBe(403)
})

it('has no downloadUrl without an account key', async () => {
  const sasOnly = 'BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;SharedAccessSignature=sv=2020-08-04&sig=x'
  const store = suite.store({ connectionString: sasOnly })
  expect(store.downloadUrl).toBeUndefined()
})
