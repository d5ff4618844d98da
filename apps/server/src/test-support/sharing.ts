/**
 * Download limits and the manage link over HTTP, against running servers: one (FS, S3) or
 * several sharing a store (`many-instances.e2e.test.ts`), requests spread over them by `base(i)`.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { sha256 } from './harness.js'

/**
 * Polls `check` until it holds (downloads are recorded once their response went out, under the
 * file's lock, so a client may read the listing a moment before).
 */
async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Origin of instance `i` (`i` modulo the number of instances). */
export type Base = (i: number) => string

const b64 = (s: string) => Buffer.from(s).toString('base64')
export const newSid = (name: string) => `${name}-${randomBytes(6).toString('hex')}`
export const newToken = () => randomBytes(24).toString('base64url')

/** One file through TUS (creation on instance `i`, bytes on `i + 1`); resolves when complete. */
export async function tusUpload(
  base: Base,
  i: number,
  sid: string,
  data: Buffer,
  metadata: Record<string, string>,
  token: string,
  extraHeaders: Record<string, string> = {},
): Promise<void> {
  const md = { sid, name: 'file.bin', retention: '3600', ...metadata }
  const created = await fetch(`${base(i)}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(data.byteLength),
      'Upload-Metadata': Object.entries(md)
        .map(([k, v]) => `${k} ${b64(v)}`)
        .join(','),
      'X-Bucket-Token': token,
      ...extraHeaders,
    },
  })
  expect(created.status, await created.clone().text()).toBe(201)
  const location = new URL(created.headers.get('location') as string, base(i))
  const patched = await fetch(`${base(i + 1)}${location.pathname}`, {
    method: 'PATCH',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      ...extraHeaders,
    },
    body: new Uint8Array(data),
  })
  expect(patched.status, await patched.clone().text()).toBe(204)
}

export async function lockBucket(base: Base, i: number, sid: string, token: string): Promise<void> {
  const res = await fetch(`${base(i)}/files/${sid}?lock=yes`, {
    method: 'PATCH',
    headers: { 'Tus-Resumable': '1.0.0', 'X-Bucket-Token': token },
  })
  expect(res.status).toBe(204)
}

interface ListingItem {
  key: string
  name: string
  url: string
  downloadsLeft: number | null
}

export async function listing(
  base: Base,
  i: number,
  sid: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; items: ListingItem[] }> {
  const res = await fetch(`${base(i)}/${sid}.json`, { headers })
  if (res.status !== 200) return { status: res.status, items: [] }
  return { status: 200, items: ((await res.json()) as { items: ListingItem[] }).items }
}

interface ManageFile {
  key: string
  name: string
  downloads: number
  lastDownload: number | null
  expiresAt: number | null
  maxExpiresAt: number | null
  downloadLimit: number | null
  downloadsLeft: number | null
}

export interface ManageStateBody {
  sid: string
  shareUrl: string
  locked: boolean
  protected: boolean
  expiresAt: number | null
  files: ManageFile[]
}

export function manage(
  base: Base,
  i: number,
  sid: string,
  token: string,
  init: { method?: string; body?: unknown; path?: string } = {},
): Promise<Response> {
  return fetch(`${base(i)}/api/manage/${sid}${init.path ?? ''}`, {
    method: init.method ?? 'GET',
    headers: {
      'X-Manage-Token': token,
      ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  })
}

export async function manageState(
  base: Base,
  i: number,
  sid: string,
  token: string,
): Promise<ManageStateBody> {
  const res = await manage(base, i, sid, token)
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as ManageStateBody
}

/** The manage secret for a bucket, asked for with its upload token (as the web app does). */
export async function issueManageToken(
  base: Base,
  i: number,
  sid: string,
  uploadToken: string,
): Promise<string> {
  const res = await fetch(`${base(i)}/api/manage/${sid}`, {
    method: 'POST',
    headers: { 'X-Bucket-Token': uploadToken },
  })
  expect(res.status, await res.clone().text()).toBe(201)
  const body = (await res.json()) as { manageToken: string; manageUrl: string }
  expect(body.manageUrl).toBe(`${base(i)}/manage/${sid}#${body.manageToken}`)
  return body.manageToken
}

/**
 * A file limited to 3 downloads: ranges that end early never count, 20 parallel full downloads
 * (over every instance) give exactly 3 full 200s, the listing counts down, then the file is gone.
 */
export async function limitedDownloads(base: Base, size = 64 * 1024): Promise<void> {
  const sid = newSid('limit3')
  const token = newToken()
  const data = randomBytes(size)
  await tusUpload(base, 0, sid, data, { name: 'three.bin', maxDownloads: '3' }, token)
  const before = await listing(base, 1, sid)
  expect(before.items[0]).toMatchObject({ name: 'three.bin', downloadsLeft: 3 })
  const path = before.items[0]?.url as string
  // A resumed download counts once: the first part does not, the rest (to the end) does.
  const head = await fetch(`${base(2)}${path}`, { headers: { Range: 'bytes=0-999' } })
  expect(head.status).toBe(206)
  const first = Buffer.from(await head.arrayBuffer())
  expect((await listing(base, 0, sid)).items[0]?.downloadsLeft).toBe(3)
  const rest = await fetch(`${base(1)}${path}`, { headers: { Range: 'bytes=1000-' } })
  expect(rest.status).toBe(206)
  expect(sha256(Buffer.concat([first, Buffer.from(await rest.arrayBuffer())]))).toBe(sha256(data))
  await eventually(
    async () => (await listing(base, 2, sid)).items[0]?.downloadsLeft === 2,
    'the resumed download',
  )

  const results = await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      const res = await fetch(`${base(n)}${path}`)
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
    }),
  )
  const ok = results.filter((r) => r.status === 200)
  expect(ok).toHaveLength(2)
  for (const r of ok) expect(sha256(r.body)).toBe(sha256(data))
  for (const r of results) expect([200, 404, 410]).toContain(r.status)
  // The last allowed download deleted the file, on every instance.
  await eventually(async () => (await listing(base, 0, sid)).status === 404, 'the file to be deleted')
  for (const i of [0, 1, 2]) {
    expect([404, 410]).toContain((await fetch(`${base(i)}${path}`)).status)
    expect((await listing(base, i, sid)).status).toBe(404)
  }

  // Without the resume: 20 parallel downloads of a fresh file limited to 3 → exactly 3.
  const sid2 = newSid('limit3b')
  await tusUpload(base, 1, sid2, data, { name: 'again.bin', maxDownloads: '3' }, token)
  const path2 = (await listing(base, 2, sid2)).items[0]?.url as string
  const again = await Promise.all(
    Array.from({ length: 20 }, async (_, n) => {
      const res = await fetch(`${base(n)}${path2}`)
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
    }),
  )
  const full = again.filter((r) => r.status === 200)
  expect(full).toHaveLength(3)
  for (const r of full) expect(sha256(r.body)).toBe(sha256(data))
}

/**
 * The manage link: issued to the uploader, every edit made through one instance seen by the
 * others; wrong secrets refused; files added later with the manage secret.
 */
export async function manageLink(base: Base, options: { maxAge: number }): Promise<void> {
  const sid = newSid('manage')
  const token = newToken()
  const a = Buffer.from('first file')
  const b = Buffer.from('second file, limited')
  await tusUpload(base, 0, sid, a, { name: 'a.txt' }, token)
  await tusUpload(base, 1, sid, b, { name: 'b.txt', maxDownloads: '4' }, token)
  await lockBucket(base, 2, sid, token)
  const secret = await issueManageToken(base, 0, sid, token)

  // Strangers: no secret, a wrong one, the share link's id only.
  expect((await fetch(`${base(1)}/api/manage/${sid}`)).status).toBe(401)
  expect((await manage(base, 1, sid, newToken().slice(0, 32))).status).toBe(403)
  expect(
    (
      await fetch(`${base(1)}/api/manage/${sid}`, {
        method: 'POST',
        headers: { 'X-Bucket-Token': newToken() },
      })
    ).status,
  ).toBe(403)

  let state = await manageState(base, 1, sid, secret)
  expect(state).toMatchObject({ sid, locked: true, protected: false })
  expect(state.shareUrl).toBe(`${base(1)}/${sid}`)
  const byName = (s: ManageStateBody, name: string) => s.files.find((f) => f.name === name) as ManageFile
  expect(byName(state, 'a.txt')).toMatchObject({ downloads: 0, lastDownload: null, downloadLimit: null })
  expect(byName(state, 'b.txt')).toMatchObject({ downloads: 0, downloadLimit: 4, downloadsLeft: 4 })

  // Downloads show up in the counts.
  const items = (await listing(base, 2, sid)).items
  for (const item of items) {
    const res = await fetch(`${base(0)}${item.url}`)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
  }
  await eventually(
    async () => (await manageState(base, 2, sid, secret)).files.every((f) => f.downloads === 1),
    'both downloads to be counted',
  )
  state = await manageState(base, 2, sid, secret)
  expect(byName(state, 'a.txt').downloads).toBe(1)
  expect(byName(state, 'b.txt')).toMatchObject({ downloads: 1, downloadsLeft: 3 })
  expect(byName(state, 'a.txt').lastDownload).toEqual(expect.any(Number))

  // Expiry: shortened, then extended past maxAge (capped there).
  const soon = Date.now() + 600_000
  state = (await (
    await manage(base, 0, sid, secret, { method: 'PATCH', body: { expiresAt: soon } })
  ).json()) as ManageStateBody
  for (const f of state.files) expect(f.expiresAt).toBe(soon)
  const far = Date.now() + 10 * options.maxAge * 1000
  const extended = await manage(base, 1, sid, secret, { method: 'PATCH', body: { expiresAt: far } })
  expect(extended.status).toBe(200)
  state = await manageState(base, 2, sid, secret)
  for (const f of state.files) {
    expect(f.expiresAt).toBe(f.maxExpiresAt)
    expect(f.expiresAt).toBeGreaterThan(soon)
  }
  expect((await manage(base, 0, sid, secret, { method: 'PATCH', body: { expiresAt: 1 } })).status).toBe(400)
  expect((await manage(base, 0, sid, secret, { method: 'PATCH', body: { nope: 1 } })).status).toBe(400)

  // Password: set through one instance, asked for on the others; then removed.
  expect(
    (await manage(base, 0, sid, secret, { method: 'PATCH', body: { password: 'n3w-pass' } })).status,
  ).toBe(200)
  expect((await listing(base, 1, sid)).status).toBe(401)
  expect((await listing(base, 2, sid, { 'x-download-pass': 'n3w-pass' })).status).toBe(200)
  expect((await manageState(base, 0, sid, secret)).protected).toBe(true)
  expect((await manage(base, 1, sid, secret, { method: 'PATCH', body: { password: null } })).status).toBe(200)
  expect((await listing(base, 2, sid)).status).toBe(200)

  // Files added later: unlock, upload with the manage secret as the bucket's token, lock again.
  expect(
    (
      (await (
        await manage(base, 2, sid, secret, { method: 'PATCH', body: { locked: false } })
      ).json()) as ManageStateBody
    ).locked,
  ).toBe(false)
  await tusUpload(base, 0, sid, Buffer.from('later'), { name: 'c.txt' }, secret)
  await lockBucket(base, 1, sid, secret)
  state = await manageState(base, 2, sid, secret)
  expect(state.locked).toBe(true)
  expect(state.files.map((f) => f.name).sort()).toEqual(['a.txt', 'b.txt', 'c.txt'])
  // Locked again: not even the owner adds a file.
  const refused = await fetch(`${base(0)}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': '1',
      'Upload-Metadata': `sid ${b64(sid)},name ${b64('d.txt')},retention ${b64('3600')}`,
      'X-Bucket-Token': secret,
    },
  })
  expect(refused.status).toBe(400)

  // A new secret replaces the old one.
  const rotated = await issueManageToken(base, 1, sid, token)
  expect((await manage(base, 2, sid, secret)).status).toBe(403)
  expect((await manage(base, 0, sid, rotated)).status).toBe(200)

  // Deleting one file, then the bucket.
  const c = byName(state, 'c.txt')
  expect((await manage(base, 0, sid, rotated, { method: 'DELETE', path: `/files/${c.key}` })).status).toBe(
    204,
  )
  expect((await listing(base, 1, sid)).items.map((i) => i.name).sort()).toEqual(['a.txt', 'b.txt'])
  expect((await manage(base, 2, sid, rotated, { method: 'DELETE' })).status).toBe(204)
  for (const i of [0, 1, 2]) expect((await listing(base, i, sid)).status).toBe(404)
  expect((await manageState(base, 0, sid, rotated)).files).toEqual([])
  // The id stays taken: nobody else uploads into it.
  const stranger = await fetch(`${base(1)}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': '1',
      'Upload-Metadata': `sid ${b64(sid)},name ${b64('x.txt')},retention ${b64('3600')}`,
    },
  })
  expect(stranger.status).toBe(403)
}

/**
 * Counts of unlimited files (no claim): 20 parallel complete downloads of one file and 4
 * parallel zip archives of its bucket, spread over every instance, count exactly 24 and 4 in
 * the manage state (a presigned redirect counts when it is sent). A count is written after the
 * response, so the test waits for it, then checks that it is exact.
 */
export async function unlimitedCounts(base: Base): Promise<void> {
  const sid = newSid('counts')
  const token = newToken()
  const a = randomBytes(3000)
  await tusUpload(base, 0, sid, a, { name: 'a.bin' }, token)
  await tusUpload(base, 1, sid, Buffer.from('second file'), { name: 'b.txt' }, token)
  await lockBucket(base, 2, sid, token)
  const secret = await issueManageToken(base, 0, sid, token)
  const res = await fetch(`${base(1)}/${sid}.json`)
  expect(res.status).toBe(200)
  const { items, zipUrl } = (await res.json()) as { items: ListingItem[]; zipUrl: string }
  const fileA = items.find((i) => i.name === 'a.bin') as ListingItem
  const results = await Promise.all([
    ...Array.from({ length: 20 }, async (_, n) => {
      const got = await fetch(`${base(n)}${fileA.url}`)
      return { status: got.status, body: Buffer.from(await got.arrayBuffer()) }
    }),
    ...Array.from({ length: 4 }, async (_, n) => {
      const got = await fetch(`${base(n + 1)}${zipUrl}`)
      return { status: got.status, body: Buffer.from(await got.arrayBuffer()) }
    }),
  ])
  for (const r of results) expect(r.status).toBe(200)
  for (const r of results.slice(0, 20)) expect(sha256(r.body)).toBe(sha256(a))
  const counts = async () =>
    Object.fromEntries(
      (await manageState(base, 2, sid, secret)).files.map((f) => [f.name, f.downloads] as const),
    )
  await eventually(async () => {
    const c = await counts()
    return (c['a.bin'] ?? 0) >= 24 && (c['b.txt'] ?? 0) >= 4
  }, 'the downloads to be counted').catch(() => {})
  expect(await counts()).toEqual({ 'a.bin': 24, 'b.txt': 4 })
  const state = await manageState(base, 0, sid, secret)
  for (const f of state.files) expect(f.lastDownload).toEqual(expect.any(Number))
}

/** `curl -T`: the manage link comes as X-Manage-Url and on the answer's second line. */
export async function putManageLink(base: Base): Promise<void> {
  const res = await fetch(`${base(0)}/put.txt`, {
    method: 'PUT',
    body: 'put body',
    headers: { 'X-Max-Downloads': '2' },
  })
  expect(res.status).toBe(201)
  const [share, line] = (await res.text()).split('\n')
  const url = res.headers.get('x-manage-url') as string
  expect(line).toBe(`Manage (keep private): ${url}`)
  const sid = (share as string).split('/').pop() as string
  const secret = new URL(url).hash.slice(1)
  const state = await manageState(base, 1, sid, secret)
  expect(state.files).toMatchObject([{ name: 'put.txt', downloadLimit: 2, downloadsLeft: 2 }])
}
