/**
 * Custom expiry over HTTP against a running server with a manual clock, shared by the
 * filesystem and S3 runs (`expiry.e2e.test.ts`): chosen dates (TUS `expiresAt`, curl's
 * `X-Expires-At` or `?expiresAt`) accepted, refused past `maxAge` or in the past, and swept
 * when due; "until deleted" refused with a `maxAge`, kept by the sweeper without one.
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { ManualClock } from '@psitransfer/core'
import { expect } from 'vitest'
import type { SweepResult } from '../sweeper.js'

export interface ExpiryTarget {
  origin: string
  clock: ManualClock
  sweep(): Promise<SweepResult>
}

const b64 = (s: string) => Buffer.from(s).toString('base64')
const sidOf = (name: string) => `${name}-${randomBytes(6).toString('hex')}`
const DAY = 24 * 3600_000

/** Creates (and fills) one file over TUS; answers the creation's status and body. */
async function tusFile(
  t: ExpiryTarget,
  sid: string,
  metadata: Record<string, string>,
  token: string,
): Promise<{ status: number; text: string }> {
  const body = Buffer.from(`bytes of ${sid}`)
  const md = { sid, name: 'file.txt', ...metadata }
  const created = await fetch(`${t.origin}/files/`, {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(body.byteLength),
      'Upload-Metadata': Object.entries(md)
        .map(([k, v]) => `${k} ${b64(v)}`)
        .join(','),
      'X-Bucket-Token': token,
    },
  })
  const text = await created.text()
  if (created.status !== 201) return { status: created.status, text }
  const location = new URL(created.headers.get('location') as string, t.origin)
  const patched = await fetch(`${t.origin}${location.pathname}`, {
    method: 'PATCH',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      'X-Bucket-Token': token,
    },
    body: new Uint8Array(body),
  })
  expect(patched.status, await patched.clone().text()).toBe(204)
  return { status: 201, text }
}

interface Item {
  name: string
  expiresAt: number | null
  metadata: { retention: string }
}

async function items(t: ExpiryTarget, sid: string): Promise<{ status: number; items: Item[] }> {
  const res = await fetch(`${t.origin}/${sid}.json`)
  if (res.status !== 200) return { status: res.status, items: [] }
  return { status: 200, items: ((await res.json()) as { items: Item[] }).items }
}

async function put(
  t: ExpiryTarget,
  query: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; sid: string }> {
  const res = await fetch(`${t.origin}/put.txt${query}`, { method: 'PUT', body: 'put body', headers })
  const text = await res.text()
  const sid = res.status === 201 ? ((text.split('\n')[0] as string).split('/').pop() as string) : ''
  return { status: res.status, text, sid }
}

const token = () => randomBytes(24).toString('base64url')

/** A server with `maxAge` (seconds) and `customExpiry` on, `allowNoExpiry` off. */
export async function customDates(t: ExpiryTarget, maxAge: number): Promise<void> {
  const now = t.clock.now()
  const at = now + 2 * DAY
  // Two files of one bucket with the same chosen date (the web app sends it for each file),
  // one as an ISO date, one as milliseconds: both expire exactly then.
  const sid = sidOf('custom')
  const owner = token()
  expect(
    await tusFile(t, sid, { name: 'a.txt', expiresAt: new Date(at).toISOString() }, owner),
  ).toMatchObject({
    status: 201,
  })
  expect(await tusFile(t, sid, { name: 'b.txt', expiresAt: String(at) }, owner)).toMatchObject({
    status: 201,
  })
  const listed = await items(t, sid)
  expect(listed.items.map((i) => [i.name, i.expiresAt, i.metadata.retention]).sort()).toEqual([
    ['a.txt', at, '172800'],
    ['b.txt', at, '172800'],
  ])

  // A retention outside the list stays refused, as in PsiTransfer: a date goes as expiresAt.
  const secs = await tusFile(t, sidOf('secs'), { retention: '5000' }, token())
  expect(secs.status).toBe(400)
  expect(secs.text).toMatch(/Invalid retention "5000".*send expiresAt/)

  // Refused with a message for people: past maxAge, in the past, garbage, both keys, forever.
  const refusals: Array<[Record<string, string>, RegExp]> = [
    [{ expiresAt: String(now + maxAge * 1000 + 60_000) }, /at most 7 days after their upload/],
    [{ expiresAt: String(now - 1000) }, /lies in the past/],
    [{ expiresAt: 'next tuesday' }, /Invalid expiresAt.*ISO 8601/],
    [{ expiresAt: '2026-13-45T10:00Z' }, /Invalid expiresAt/],
    [{ expiresAt: String(at), retention: '3600' }, /either retention or expiresAt/],
    [{ retention: 'until-deleted' }, /does not keep files until deleted/],
    [{ retention: '-5' }, /Invalid retention "-5"/],
  ]
  for (const [md, message] of refusals) {
    const res = await tusFile(t, sidOf('refused'), md, token())
    expect(res.status, JSON.stringify(md)).toBe(400)
    expect(res.text, JSON.stringify(md)).toMatch(message)
    expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/)
  }

  // curl -T: the same as a header or a query.
  const viaHeader = await put(t, '', { 'X-Expires-At': new Date(at).toISOString() })
  expect(viaHeader.status, viaHeader.text).toBe(201)
  expect((await items(t, viaHeader.sid)).items[0]?.expiresAt).toBe(at)
  const viaQuery = await put(t, `?expiresAt=${now + 7_200_000}`, {})
  expect(viaQuery.status, viaQuery.text).toBe(201)
  expect((await items(t, viaQuery.sid)).items[0]?.expiresAt).toBe(now + 7_200_000)
  const tooLate = await put(t, `?expiresAt=${now + maxAge * 1000 + 1000}`, {})
  expect(tooLate.status).toBe(400)
  expect(tooLate.text).toMatch(/at most 7 days/)
  expect((await put(t, '', { 'X-Retention': 'until-deleted' })).status).toBe(400)

  // Due: the sweeper deletes the custom-dated files, and only once their date passed.
  t.clock.set(at - 1000)
  await t.sweep()
  expect((await items(t, sid)).items).toHaveLength(2)
  t.clock.set(at)
  await t.sweep()
  expect((await items(t, sid)).status).toBe(404)
  expect((await items(t, viaHeader.sid)).status).toBe(404)
  expect((await items(t, viaQuery.sid)).status).toBe(404)
}

/** A server with `maxAge: false` and `allowNoExpiry`: "until deleted" files outlive everything. */
export async function untilDeleted(t: ExpiryTarget): Promise<void> {
  const now = t.clock.now()
  const kept = sidOf('kept')
  expect(await tusFile(t, kept, { retention: 'until-deleted' }, token())).toMatchObject({ status: 201 })
  expect((await items(t, kept)).items).toMatchObject([
    { expiresAt: null, metadata: { retention: 'until-deleted' } },
  ])
  const putKept = await put(t, '', { 'X-Retention': 'until-deleted' })
  expect(putKept.status, putKept.text).toBe(201)
  // Without maxAge any future date is fine.
  const dated = sidOf('dated')
  const far = now + 400 * DAY
  expect(await tusFile(t, dated, { expiresAt: String(far) }, token())).toMatchObject({ status: 201 })
  expect((await items(t, dated)).items[0]?.expiresAt).toBe(far)

  t.clock.set(far + 10 * 365 * DAY)
  const swept = await t.sweep()
  expect(swept.deleted).toBeGreaterThanOrEqual(1)
  expect((await items(t, dated)).status).toBe(404)
  expect((await items(t, kept)).items).toMatchObject([{ expiresAt: null }])
  expect((await items(t, putKept.sid)).items).toHaveLength(1)
}
