import { encodeUploadMetadata, listAll } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { bytesOf, createRequest, makeApp, TUS, upload } from '../test-support/harness.js'

const md = (extra: Record<string, string> = {}) => ({
  sid: 'bucket1',
  name: 'a.txt',
  retention: '3600',
  ...extra,
})

describe('TUS endpoint', () => {
  it('answers OPTIONS with TUS capabilities and CORS', async () => {
    const t = makeApp({ maxFileSize: 1000 })
    const res = await t.request('/files/', { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('tus-version')).toBe('1.0.0')
    expect(res.headers.get('tus-extension')).toContain('creation-with-upload')
    expect(res.headers.get('tus-max-size')).toBe('1000')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toContain('Upload-Offset')
    expect(res.headers.get('access-control-allow-headers')).toContain('X-Passwd')
  })

  it('creates with PsiTransfer metadata and a root-relative Location', async () => {
    const t = makeApp()
    const res = await createRequest(
      t,
      md({ comment: 'hi', type: 'text/plain', relativePath: 'docs/2024' }),
      5,
    )
    expect(res.status).toBe(201)
    const location = res.headers.get('location') as string
    expect(location).toMatch(/^\/files\/bucket1\+\+[A-Za-z0-9_-]+$/)
    const [file] = await listAll(t.store, {})
    expect(file).toMatchObject({
      sid: 'bucket1',
      name: 'a.txt',
      comment: 'hi',
      type: 'text/plain',
      relativePath: 'docs/2024',
      retention: 3600,
      uploadLength: 5,
      complete: false,
      createdAt: t.clock.now(),
      expiresAt: t.clock.now() + 3600_000,
    })
    // HEAD (with Tus-Resumable) is the TUS HEAD, never a download.
    const head = await t.request(location, { method: 'HEAD', headers: TUS })
    expect(head.status).toBe(200)
    expect(head.headers.get('upload-offset')).toBe('0')
    expect(head.headers.get('upload-length')).toBe('5')
    expect(head.headers.get('upload-expires')).toBeTruthy()
  })

  it('accepts tus-js-client style filename/filetype and defaults the retention', async () => {
    const t = makeApp()
    const res = await createRequest(
      t,
      { sid: 'bucket1', filename: 'x.bin', filetype: 'application/x-foo' },
      1,
    )
    expect(res.status).toBe(201)
    const [file] = await listAll(t.store, {})
    expect(file).toMatchObject({ name: 'x.bin', type: 'application/x-foo', retention: 604800 })
  })

  it('keeps unknown metadata keys in extra and never stores the password in clear', async () => {
    const t = makeApp()
    await createRequest(t, md({ password: 'pw', foo: 'bar' }), 1)
    const [file] = await listAll(t.store, {})
    expect(file?.extra).toEqual({ foo: 'bar' })
    expect(file?.password).toMatch(/^\$argon2id\$/)
    const head = await t.request(`/files/bucket1++${file?.key}`, { method: 'HEAD', headers: TUS })
    const header = head.headers.get('upload-metadata') ?? ''
    expect(header).not.toContain('password')
    expect(header).not.toContain(Buffer.from(file?.password ?? '').toString('base64'))
  })

  it.each([
    [{ name: 'a.txt', retention: '3600' }, 400, 'tus meta prop missing: sid'],
    [md({ sid: '../etc' }), 400, 'Invalid bucket id'],
    [md({ sid: 'a'.repeat(65) }), 400, 'Invalid bucket id'],
    [{ sid: 'bucket1', retention: '3600' }, 400, 'tus meta prop missing: name'],
    [md({ name: '../x' }), 400, 'Invalid file name'],
    [md({ name: 'a/b' }), 400, 'Invalid file name'],
    [md({ name: ' lead' }), 400, 'Invalid file name'],
    [md({ name: 'x\u202etxt.exe' }), 400, 'Invalid file name'],
    [md({ relativePath: 'a/../b' }), 400, 'Invalid file name'],
    [md({ retention: '42' }), 400, 'Invalid retention "42"'],
    [md({ comment: 'x'.repeat(5000) }), 400, 'Comment is longer'],
  ])('refuses bad metadata (case %#)', async (metadata, status, message) => {
    const t = makeApp()
    const res = await createRequest(t, metadata as Record<string, string>, 1)
    expect(res.status).toBe(status)
    expect(await res.text()).toContain(message)
    expect(await listAll(t.store, {})).toHaveLength(0)
  })

  it('refuses a missing Upload-Length and a wrong TUS version', async () => {
    const t = makeApp()
    const noLength = await t.request('/files/', {
      method: 'POST',
      headers: { ...TUS, 'Upload-Metadata': encodeUploadMetadata(md()) },
    })
    expect(noLength.status).toBe(400)
    const v = await t.request('/files/', {
      method: 'POST',
      headers: { 'Tus-Resumable': '0.2.2', 'Upload-Length': '1' },
    })
    expect(v.status).toBe(412)
  })

  it('enforces maxFileSize with 413 JSON', async () => {
    const t = makeApp({ maxFileSize: 10 })
    const res = await createRequest(t, md(), 11)
    expect(res.status).toBe(413)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = (await res.json()) as { code: string; message: string }
    expect(body.code).toBe('TOO_LARGE')
    expect(body.message).toContain('10')
    expect((await createRequest(t, md(), 10)).status).toBe(201)
  })

  it('enforces maxBucketSize over all unexpired files of the bucket, in progress included', async () => {
    const t = makeApp({ maxBucketSize: 100 })
    expect((await createRequest(t, md(), 60)).status).toBe(201) // in progress, still counts
    const over = await createRequest(t, md({ name: 'b.txt' }), 41)
    expect(over.status).toBe(413)
    expect(((await over.json()) as { message: string }).message).toMatch(/bucket size of 100/)
    expect((await createRequest(t, md({ name: 'b.txt' }), 40)).status).toBe(201)
    expect((await createRequest(t, md({ sid: 'other' }), 100)).status).toBe(201)
    // Expired files stop counting.
    t.clock.advance(3601_000)
    expect((await createRequest(t, md({ name: 'c.txt' }), 100)).status).toBe(201)
  })

  it('serializes parallel creations so maxBucketSize holds', async () => {
    const t = makeApp({ maxBucketSize: 100 })
    // The bucket's first file alone: it answers the upload token the others need.
    expect((await createRequest(t, md({ name: 'f0.txt' }), 30)).status).toBe(201)
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => createRequest(t, md({ name: `f${i + 1}.txt` }), 30)),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([201, 201, 413, 413, 413])
  })

  it('requires a password when requireBucketPassword is set', async () => {
    const t = makeApp({ requireBucketPassword: true })
    const res = await createRequest(t, md(), 1)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('password is required')
    expect((await createRequest(t, md({ password: 'pw' }), 1)).status).toBe(201)
  })

  it('keeps one password per bucket', async () => {
    const t = makeApp()
    expect((await createRequest(t, md({ password: 'pw' }), 1)).status).toBe(201)
    expect((await createRequest(t, md({ name: 'b' }), 1)).status).toBe(400)
    expect((await createRequest(t, md({ name: 'b', password: 'other' }), 1)).status).toBe(400)
    expect((await createRequest(t, md({ name: 'b', password: 'pw' }), 1)).status).toBe(201)
    const hashes = new Set((await listAll(t.store, {})).map((f) => f.password))
    expect(hashes.size).toBe(1)
    expect((await createRequest(t, md({ sid: 'open' }), 1)).status).toBe(201)
    expect((await createRequest(t, md({ sid: 'open', name: 'b', password: 'pw' }), 1)).status).toBe(400)
  })

  it('uploads with creation-with-upload and completes', async () => {
    const t = makeApp()
    const res = await t.request('/files/', {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Length': '5',
        'Upload-Metadata': encodeUploadMetadata(md()),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: bytesOf('hello'),
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('upload-offset')).toBe('5')
    const [file] = await listAll(t.store, {})
    expect(file?.complete).toBe(true)
  })

  it('resumes after a wrong offset (409) and rejects overlong bodies', async () => {
    const t = makeApp()
    const created = await createRequest(t, md(), 10)
    const location = created.headers.get('location') as string
    const patch = (offset: number, body: string) =>
      t.request(location, {
        method: 'PATCH',
        headers: {
          ...TUS,
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
          'Content-Length': String(body.length),
        },
        body: bytesOf(body),
      })
    expect((await patch(0, 'hello')).status).toBe(204)
    expect((await patch(0, 'hello')).status).toBe(409)
    expect((await patch(5, 'world!')).status).toBe(413)
    expect((await patch(5, 'world')).status).toBe(204)
    const [file] = await listAll(t.store, {})
    expect(file).toMatchObject({ complete: true, offset: 10 })
  })

  it('gives unfinished uploads a shorter expiry and restores the retention on completion', async () => {
    const t = makeApp({ uploadExpiry: 60 })
    const created = await createRequest(t, md({ retention: '86400' }), 2)
    let [file] = await listAll(t.store, {})
    expect(file?.expiresAt).toBe(t.clock.now() + 60_000)
    await t.request(created.headers.get('location') as string, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: bytesOf('hi'),
    })
    ;[file] = await listAll(t.store, {})
    expect(file?.expiresAt).toBe(file!.createdAt + 86400_000)
    // An abandoned upload answers 410 after its expiry.
    const stale = await createRequest(t, md({ name: 'b' }), 2)
    t.clock.advance(61_000)
    const late = await t.request(stale.headers.get('location') as string, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: bytesOf('hi'),
    })
    expect(late.status).toBe(410)
  })

  it('caps expiry at maxAge', async () => {
    const t = makeApp({ maxAge: 100, uploadExpiry: 0 })
    await createRequest(t, md({ retention: '4838400' }), 1)
    const [file] = await listAll(t.store, {})
    expect(file?.expiresAt).toBe(t.clock.now() + 100_000)
  })

  it('terminates unfinished uploads but not finished files', async () => {
    const t = makeApp()
    const created = await createRequest(t, md(), 10)
    const location = created.headers.get('location') as string
    expect((await t.request(location, { method: 'DELETE', headers: TUS })).status).toBe(204)
    expect(await listAll(t.store, {})).toHaveLength(0)
    const { location: done } = await upload(t, bytesOf('x'))
    const res = await t.request(done, { method: 'DELETE', headers: TUS })
    expect(res.status).toBe(405)
    expect(await listAll(t.store, {})).toHaveLength(1)
  })

  it('concatenates partial uploads into a file and removes the parts', async () => {
    const t = makeApp()
    const parts: string[] = []
    for (const text of ['hello ', 'world']) {
      const res = await t.request('/files/', {
        method: 'POST',
        headers: {
          ...TUS,
          'Upload-Concat': 'partial',
          'Upload-Length': String(text.length),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: bytesOf(text),
      })
      expect(res.status).toBe(201)
      parts.push(res.headers.get('location') as string)
    }
    // Parts are not files of any bucket.
    const final = await t.request('/files/', {
      method: 'POST',
      headers: {
        ...TUS,
        'Upload-Concat': `final;${parts.join(' ')}`,
        'Upload-Metadata': encodeUploadMetadata(md()),
      },
    })
    expect(final.status).toBe(201)
    const files = await listAll(t.store, {})
    expect(files).toHaveLength(1)
    expect(files[0]).toMatchObject({ name: 'a.txt', complete: true, uploadLength: 11 })
    const list = (await (await t.request('/bucket1.json')).json()) as { items: Array<{ url: string }> }
    expect(await (await t.request(list.items[0]!.url)).text()).toBe('hello world')
  })

  it('concatenation cannot multiply bytes: no repeated parts, one final per part, file and bucket limits', async () => {
    const t = makeApp({ maxFileSize: 3000, maxBucketSize: 2500 })
    const partial = async (size: number) => {
      const res = await t.request('/files/', {
        method: 'POST',
        headers: {
          ...TUS,
          'Upload-Concat': 'partial',
          'Upload-Length': String(size),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: new Uint8Array(size).fill(7),
      })
      expect(res.status).toBe(201)
      return res.headers.get('location') as string
    }
    const final = (parts: string[], sid = 'bucket1') =>
      t.request('/files/', {
        method: 'POST',
        headers: {
          ...TUS,
          'Upload-Concat': `final;${parts.join(' ')}`,
          'Upload-Metadata': encodeUploadMetadata(md({ sid })),
        },
      })
    const a = await partial(1000)
    // The attack: one partial listed 200 times.
    const repeated = await final(Array.from({ length: 200 }, () => a))
    expect(repeated.status).toBe(400)
    expect(await repeated.text()).toMatch(/at most 100 can be concatenated/)
    const twice = await final([a, a])
    expect(twice.status).toBe(400)
    expect(await twice.text()).toMatch(/more than once/)
    // maxFileSize (Tus-Max-Size) and maxBucketSize count the final's whole length.
    const big = [await partial(1500), await partial(1600)]
    const tooBig = await final(big)
    expect(tooBig.status).toBe(413)
    expect(((await tooBig.json()) as { message: string }).message).toMatch(/maximum/)
    const [b, c] = [await partial(1500), await partial(1200)]
    const overBucket = await final([b, c])
    expect(overBucket.status).toBe(413)
    expect(((await overBucket.json()) as { message: string }).message).toMatch(/bucket size/)
    expect((await final([a, b])).status).toBe(201)
    // a and b are consumed: neither feeds another final, in this bucket or another.
    for (const parts of [[a], [b, c]]) {
      const again = await final(parts, 'bucket2')
      expect(again.status).toBe(400)
      expect(await again.text()).toMatch(/already concatenated/)
    }
    const files = await listAll(t.store, {})
    expect(files.filter((f) => f.concat?.kind === 'final').map((f) => f.uploadLength)).toEqual([2500])
    expect(await listAll(t.store, { sid: 'bucket2' as never })).toEqual([])
  })

  it('calls the upload webhook without the password', async () => {
    const t = makeApp({ fileUploadedWebhook: 'http://hooks.test/up' })
    await upload(t, bytesOf('data'), { password: 'pw', comment: 'c' })
    await vi_waitFor(() => t.webhookCalls.length === 1)
    const call = t.webhookCalls[0]!
    expect(call.url).toBe('http://hooks.test/up')
    expect(call.body).toMatchObject({
      event: 'fileUploaded',
      metadata: { sid: 'bucket1', name: 'file.txt', comment: 'c', size: 4, _password: true },
    })
    expect(JSON.stringify(call.body)).not.toMatch(/argon|"pw"/)
  })
})

describe('upload password (uploadPass)', () => {
  it('guards every TUS request and the lock PATCH: 401 missing, 403 wrong', async () => {
    const t = makeApp({ uploadPass: 'up' })
    expect((await createRequest(t, md(), 1)).status).toBe(401)
    expect((await createRequest(t, md(), 1, { 'x-passwd': 'nope' })).status).toBe(403)
    const ok = await createRequest(t, md(), 1, { 'x-passwd': 'up' })
    expect(ok.status).toBe(201)
    const location = ok.headers.get('location') as string
    expect((await t.request(location, { method: 'HEAD', headers: TUS })).status).toBe(401)
    expect(
      (await t.request(location, { method: 'HEAD', headers: { ...TUS, 'x-passwd': 'up' } })).status,
    ).toBe(200)
    const patch = (h: Record<string, string>) =>
      t.request(location, {
        method: 'PATCH',
        headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', ...h },
        body: bytesOf('x'),
      })
    expect((await patch({})).status).toBe(401)
    expect((await patch({ 'x-passwd': 'up' })).status).toBe(204)
    expect((await t.request('/files/bucket1?lock=yes', { method: 'PATCH' })).status).toBe(401)
    expect(
      (await t.request('/files/bucket1?lock=yes', { method: 'PATCH', headers: { 'x-passwd': 'x' } })).status,
    ).toBe(403)
    expect(
      (await t.request('/files/bucket1?lock=yes', { method: 'PATCH', headers: { 'x-passwd': 'up' } })).status,
    ).toBe(204)
    // OPTIONS (CORS preflight) never needs the password.
    expect((await t.request('/files/', { method: 'OPTIONS' })).status).toBe(204)
  })

  it('rate-limits wrong passwords with 429 and Retry-After', async () => {
    const t = makeApp({ uploadPass: 'up' })
    for (let i = 0; i < 10; i++)
      expect((await t.request('/config.json', { headers: { 'x-passwd': 'bad' } })).status).toBe(403)
    const limited = await t.request('/config.json', { headers: { 'x-passwd': 'up' } })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await limited.json()) as { code: string }).code).toBe('RATE_LIMITED')
  })
})

describe('bucket lock', () => {
  it('refuses new files after PATCH ?lock=yes', async () => {
    const t = makeApp()
    await upload(t, bytesOf('x'))
    expect((await t.request('/files/bucket1?lock=yes', { method: 'PATCH' })).status).toBe(204)
    const res = await createRequest(t, md({ name: 'late.txt' }), 1)
    expect(res.status).toBe(400)
    expect(await res.text()).toBe('Bucket locked')
    expect((await t.request('/files/nothing?lock=yes', { method: 'PATCH' })).status).toBe(404)
    expect((await t.request('/files/bad..id?lock=yes', { method: 'PATCH' })).status).toBe(400)
  })
})

async function vi_waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 5))
  }
}
