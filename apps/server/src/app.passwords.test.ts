/**
 * Password guessing and the Argon2 workers under attack, as an attacker would try it: guesses
 * through file creation, many guesses at once, a queue of KDF jobs that would starve everyone
 * else, hash-making requests, and forged `X-Forwarded-For` addresses. Concurrency goes over
 * real sockets (the Node server with its TUS fast path); the rest through `app.request()`.
 */
import { encodeUploadMetadata, parseBucketId, parseFileId } from '@psitransfer/core'
import { afterEach, describe, expect, it } from 'vitest'
import { type E2eServer, removeDir, startFsServer } from './test-support/e2e.js'
import { bytesOf, createRequest, makeApp, upload } from './test-support/harness.js'
import { send, type WireResponse } from './test-support/wire.js'

const TUS = { 'Tus-Resumable': '1.0.0' }

function countBy(responses: WireResponse[] | Response[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1
  return counts
}

let server: E2eServer | undefined
afterEach(async () => {
  if (server) {
    await server.close()
    removeDir(server.dir)
    server = undefined
  }
})

/** `POST /files/` over the wire, as a tus client creating an (empty, so complete) file in bucket `sid`. */
function create(s: E2eServer, sid: string, password: string, headers: Record<string, string> = {}) {
  return send(s.origin, 'POST', '/files/', {
    ...TUS,
    'Upload-Length': '0',
    'Upload-Metadata': encodeUploadMetadata({ sid, name: 'f.txt', password }),
    ...headers,
  })
}

describe('TUS creation as a password oracle', () => {
  it('counts guesses like the listing: parallel wrong ones are limited, and the listing is too', async () => {
    server = await startFsServer({ config: { trustProxy: 1 } })
    const s = server
    const victim: Record<string, string> = { 'X-Forwarded-For': '198.51.100.1' }
    const attacker: Record<string, string> = { 'X-Forwarded-For': '203.0.113.66' }
    const first = await create(s, 'victim', 'right', victim)
    expect(first.status).toBe(201)
    // A stranger is refused before any password is checked: creation tells nothing about it.
    const stranger = await create(s, 'victim', 'right', attacker)
    expect(stranger.status).toBe(403)
    expect(stranger.body).not.toMatch(/password/)
    // Whoever holds the bucket's upload token (its uploader's client, or a leaked token) still
    // guesses no faster than through the listing.
    const token = first.headers['x-bucket-token'] as string
    expect(token).toBeTruthy()
    attacker['X-Bucket-Token'] = token
    victim['X-Bucket-Token'] = token
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => create(s, 'victim', `guess${i}`, attacker)),
    )
    const counts = countBy(guesses)
    // Before: 30 × 400 "does not match" (an unlimited oracle; a right guess adds a file).
    expect(counts[400] ?? 0).toBeLessThanOrEqual(10)
    expect((counts[400] ?? 0) + (counts[429] ?? 0)).toBe(30)
    // Guesses refused while others were checked are given back; the rest of the ten, one by one.
    let wrong = counts[400] ?? 0
    for (let i = 0; wrong < 10 && i < 10; i++) {
      const g = await create(s, 'victim', `more${i}`, attacker)
      expect(g.status).toBe(400)
      expect(g.body).toMatch(/does not match/)
      wrong++
    }
    expect((await create(s, 'victim', 'eleventh', attacker)).status).toBe(429)
    // Even the right password is refused now, through creation and through the listing (same key).
    const right = await create(s, 'victim', 'right', attacker)
    expect(right.status).toBe(429)
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0)
    const listing = await send(s.origin, 'GET', '/victim.json', { ...attacker, 'x-download-pass': 'right' })
    expect(listing.status).toBe(429)
    // The bucket's owner is not affected.
    expect((await create(s, 'victim', 'right', victim)).status).toBe(201)
  })

  it('delays a wrong guess like the listing does', async () => {
    const t = makeApp({}, { authFailDelayMs: 300 })
    // A legacy plaintext password: checked without Argon2, so the time below is the delay alone.
    await t.takeBucketId('b')
    await t.store.create({
      sid: parseBucketId('b'),
      key: parseFileId('legacy'),
      name: 'a',
      relativePath: '',
      comment: '',
      type: '',
      retention: 3600,
      password: 'pw',
      uploadLength: 0,
      createdAt: t.clock.now(),
      expiresAt: null,
      bucketLocked: false,
      extra: {},
    })
    expect((await createRequest(t, { sid: 'b', name: 'c', password: 'pw' }, 1)).status).toBe(201)
    const t0 = performance.now()
    const wrong = await createRequest(t, { sid: 'b', name: 'b', password: 'nope' }, 1)
    expect(wrong.status).toBe(400)
    // Before: answered at once (no delay on creation).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
  })

  it('lets the web client add many files to a new protected bucket at once', async () => {
    const t = makeApp({ passwordJobsPerClient: 2 })
    const md = (name: string) => ({ sid: 'fresh', name, password: 'pw' })
    // The first file alone (it answers the bucket's upload token), then the rest at once.
    expect((await createRequest(t, md('0'), 1)).status).toBe(201)
    const first = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => createRequest(t, md(n), 1)))
    expect(first.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201])
    // Later files check the password in parallel before the bucket lock: one KDF job, joined.
    const more = await Promise.all(['g', 'h', 'i', 'j', 'k', 'l'].map((n) => createRequest(t, md(n), 1)))
    expect(more.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201])
  })
})

describe('parallel password guesses', () => {
  it('limit a burst from one address before the KDF answers; another address still gets in quickly', async () => {
    server = await startFsServer({ config: { trustProxy: 1 } })
    const s = server
    expect((await create(s, 'bucket1', 'pw', { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(201)
    const attacker = { 'X-Forwarded-For': '203.0.113.66' }
    const burst = Array.from({ length: 50 }, (_, i) =>
      send(s.origin, 'GET', '/bucket1.json', { ...attacker, 'x-download-pass': `bad${i}` }),
    )
    const t0 = performance.now()
    const other = send(s.origin, 'GET', '/bucket1.json', {
      'X-Forwarded-For': '198.51.100.2',
      'x-download-pass': 'pw',
    }).then((r) => ({ r, ms: performance.now() - t0 }))
    const guesses = await Promise.all(burst)
    const counts = countBy(guesses)
    // Before: 50 × 401 (each failure was counted only once its Argon2 check had finished).
    expect(counts[401] ?? 0).toBeLessThanOrEqual(10)
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(50)
    for (const g of guesses.filter((r) => r.status === 429))
      expect(Number(g.headers['retry-after'])).toBeGreaterThan(0)
    const { r, ms } = await other
    expect(r.status).toBe(200)
    console.log(`correct listing from another address during a 50-guess burst: ${Math.round(ms)} ms`)
  })

  it('hold for the service passwords too', async () => {
    server = await startFsServer({ config: { adminPass: 'root', uploadPass: 'up' } })
    const s = server
    const admin = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send(s.origin, 'GET', '/admin/data.json', { 'x-passwd': `g${i}` }),
      ),
    )
    expect(countBy(admin)).toEqual({ 403: 10, 429: 20 })
    // The upload password through the TUS fast path.
    const tus = await Promise.all(
      Array.from({ length: 30 }, () =>
        send(s.origin, 'POST', '/files/', { ...TUS, 'Upload-Length': '1', 'x-passwd': 'nope' }),
      ),
    )
    expect(countBy(tus)).toEqual({ 403: 10, 429: 20 })
  })
})

describe('the Argon2 queue', () => {
  it('is bounded: when full, 503 with Retry-After and a clear message', async () => {
    const t = makeApp({ trustProxy: 1, passwordQueueSize: 2, passwordJobsPerClient: 1 })
    await upload(t, bytesOf('x'), { password: 'pw' })
    // 20 addresses guess at once (each within its own limits): only the queue can say no.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.request('/bucket1.json', {
          // Distinct guesses: the same check already running is joined, not queued again.
          headers: { 'X-Forwarded-For': `203.0.113.${i}`, 'x-download-pass': `bad${i}` },
        }),
      ),
    )
    const counts = countBy(answers)
    // Before: 20 × 401, every job queued. Now at most the workers (≤ 2) + 2 queued are checked.
    expect(counts[401] ?? 0).toBeLessThanOrEqual(4)
    expect(counts[503] ?? 0).toBeGreaterThanOrEqual(16)
    const busy = answers.find((r) => r.status === 503) as Response
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await busy.json()).toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(/busy checking passwords/),
    })
    // Refused guesses were not counted: the same address may try again.
    const again = await t.request('/bucket1.json', {
      headers: { 'X-Forwarded-For': '203.0.113.19', 'x-download-pass': 'pw' },
    })
    expect(again.status).toBe(200)
  })

  it('takes hash-making requests per client at a bounded rate (PUT and TUS creation)', async () => {
    const t = makeApp({ passwordJobsPerMinute: 2 })
    const put = (pass?: string) =>
      t.request('/a.txt', { method: 'PUT', body: 'data', headers: pass ? { 'x-download-pass': pass } : {} })
    expect((await put('one')).status).toBe(201)
    expect((await put('two')).status).toBe(201)
    // Before: every PUT with a password queued one more Argon2 hash.
    const limited = await put('three')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('30')
    expect(await limited.json()).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/password checks/),
    })
    const tus = await createRequest(t, { sid: 'new', name: 'f', password: 'pw' }, 1)
    expect(tus.status).toBe(429)
    expect(tus.headers.get('retry-after')).toBe('30')
    // No password, no hash: not limited. Half a minute later one more token is there.
    expect((await put()).status).toBe(201)
    t.clock.advance(30_000)
    expect((await put('four')).status).toBe(201)
  })
})

describe('trustProxy', () => {
  it('believes the address its proxy saw, not the X-Forwarded-For the client wrote', async () => {
    const t = makeApp({ adminPass: 'root', trustProxy: true })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await t.request('/admin/data.json', {
        headers: { 'x-passwd': 'guess', 'X-Forwarded-For': `6.6.6.${i}, 198.51.100.7` },
      })
      statuses.push(res.status)
    }
    // Before: 12 × 403 (each guess counted under the forged leftmost address).
    expect(statuses).toEqual([...Array(10).fill(403), 429, 429])
    const other = await t.request('/admin/data.json', {
      headers: { 'x-passwd': 'guess', 'X-Forwarded-For': '6.6.6.6, 198.51.100.8' },
    })
    expect(other.status).toBe(403)
  })

  it('takes a number of trusted hops', async () => {
    const t = makeApp({ adminPass: 'root', trustProxy: 2 })
    for (let i = 0; i < 10; i++) {
      const res = await t.request('/admin/data.json', {
        headers: { 'x-passwd': 'guess', 'X-Forwarded-For': `6.6.6.${i}, 198.51.100.7, 10.0.0.1` },
      })
      expect(res.status).toBe(403)
    }
    const limited = await t.request('/admin/data.json', {
      headers: { 'x-passwd': 'root', 'X-Forwarded-For': '1.1.1.1, 198.51.100.7, 10.0.0.2' },
    })
    expect(limited.status).toBe(429)
    const other = await t.request('/admin/data.json', {
      headers: { 'x-passwd': 'root', 'X-Forwarded-For': '198.51.100.9, 10.0.0.1' },
    })
    expect(other.status).toBe(200)
  })

  it('builds share links from the forwarded host and scheme its proxy set', async () => {
    const t = makeApp({ trustProxy: true })
    const res = await t.request('/a.txt', {
      method: 'PUT',
      body: 'data',
      headers: { 'X-Forwarded-Proto': 'http, https', 'X-Forwarded-Host': 'evil.example, files.example' },
    })
    expect(res.status).toBe(201)
    // Before: http://evil.example/… (the values the client wrote).
    expect(await res.text()).toMatch(
      /^https:\/\/files\.example\/[A-Za-z0-9_-]+\nManage \(keep private\): https:\/\/files\.example\/manage\//,
    )
  })

  it('applies to the TUS fast path', async () => {
    server = await startFsServer({ config: { uploadPass: 'up', trustProxy: 1 } })
    const s = server
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      const res = await send(s.origin, 'POST', '/files/', {
        ...TUS,
        'Upload-Length': '1',
        'x-passwd': 'nope',
        'X-Forwarded-For': `6.6.6.${i}, 198.51.100.7`,
      })
      statuses.push(res.status)
    }
    expect(statuses).toEqual([...Array(10).fill(403), 429])
  })
})
