/**
 * PsiTransfer compatibility suite (issue #18): each test is a request PsiTransfer's own web
 * client, admin page or a user's script makes, through the real HTTP server, on the filesystem
 * store and on the S3 store (local Ceph RGW of scripts/s3/rgw.sh, or PSI_S3_*), and checks the
 * fields that client reads. Tests are named after the upstream line (psi-4ward/psitransfer at the
 * commits the unit tests in compat/ use: app/src/Download.vue 2e4ac64, app/src/Admin.vue 3c79b93,
 * app/src/Upload/store/upload.js de654c5, app/src/Upload/Settings.vue 2d6056d, lib/endpoints.js
 * 0014d81). Deliberate differences are tests too, named "difference: …" (API.md lists them).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { type Store, systemClock } from '@psitransfer/core'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_PAGE_CSP } from './compat/error-page.js'
import { PSI_TEXT_KEYS } from './compat/lang.js'
import { DEFAULT_RETENTIONS } from './config.js'
import { type RunningServer, startServer } from './server.js'
import { lockerFor, registryFor } from './stores.js'
import { readTarGz, readZip } from './test-support/archives.js'
import { removeDir, startFsServer } from './test-support/e2e.js'
import { testConfig } from './test-support/harness.js'
import { type S3Server, s3Server, s3Storage } from './test-support/rgw.js'

const ADMIN = 'compat-admin'

interface Target {
  origin: string
  close(): Promise<void>
}

async function fsTarget(): Promise<Target> {
  const server = await startFsServer({ config: { adminPass: ADMIN } })
  return {
    origin: server.url(''),
    close: async () => {
      await server.close()
      removeDir(server.dir)
    },
  }
}

async function s3Target(): Promise<Target> {
  const s3: S3Server = await s3Server()
  const config = testConfig({
    port: 0,
    iface: '127.0.0.1',
    adminPass: ADMIN,
    storage: s3Storage(s3, `psi-compat-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`, {
      partSize: 5 * 1024 * 1024,
    }),
  })
  const store: Store = await (await registryFor('s3')).create(config.storage, {})
  await store.init()
  const server: RunningServer = await startServer({
    config,
    store,
    locker: await lockerFor('s3', store),
    clock: systemClock,
    authFailDelayMs: 0,
    webRoot: null,
  })
  return {
    origin: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await server.close()
      await s3.release()
    },
  }
}

/** PsiTransfer's sid: md5 of a UUID, 12 hex characters (upload.js:25). */
const psiSid = () => createHash('md5').update(randomUUID()).digest('hex').slice(0, 12)
const md5 = (s: string) => createHash('md5').update(s).digest('hex')

interface Uploaded {
  location: string
  /** The bucket upload token the creation answered (only a bucket's first creation has one). */
  bucketToken: string | undefined
}

/**
 * An upload as PsiTransfer's client sends it (upload.js:141-158): its metadata keys, one
 * request stream, 5,000,000-byte chunks, no retries, endpoint `{U}files` without a slash.
 * `headers` is for the deliberate difference only (X-Bucket-Token of a bucket's later files).
 */
function psiUpload(
  origin: string,
  data: Buffer,
  metadata: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Uploaded> {
  let bucketToken: string | undefined
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: `${origin}/files`,
      metadata,
      headers,
      parallelUploads: 1,
      chunkSize: 5_000_000,
      retryDelays: null,
      onAfterResponse: (_req, res) => {
        bucketToken ??= res.getHeader('x-bucket-token') || undefined
      },
      onSuccess: () => resolve({ location: upload.url as string, bucketToken }),
      onError: reject,
    })
    upload.start()
  })
}

interface PsiItem {
  key: string
  url: string
  size: number
  metadata: Record<string, unknown>
}
interface PsiListing {
  items: PsiItem[]
  archiveToken: string
  config: { maxPreviewSize: number }
}

const TARGETS: Array<[string, () => Promise<Target>]> = [
  ['filesystem', fsTarget],
  ['S3', s3Target],
]

describe.each(TARGETS)('PsiTransfer compatibility on the %s store', (_name, start) => {
  let target: Target
  const url = (path: string) => `${target.origin}${path}`
  const pub = psiSid()
  const prot = psiSid()
  const hello = Buffer.from('hello from PsiTransfer’s client\n')
  const blob = randomBytes(300_000)
  const secret = Buffer.from('only with the password')
  let helloUpload: Uploaded
  let pubToken: string

  beforeAll(async () => {
    target = await start()
    // The bucket's first file exactly as PsiTransfer's client sends it.
    helloUpload = await psiUpload(target.origin, hello, {
      sid: pub,
      retention: '3600',
      password: '',
      name: 'hello.txt',
      comment: 'first file',
      type: 'text/plain',
      relativePath: 'docs',
    })
    pubToken = helloUpload.bucketToken as string
    // Later files of a bucket carry its upload token (difference: see the 403 test below).
    await psiUpload(
      target.origin,
      blob,
      { sid: pub, retention: '3600', password: '', name: 'blob.bin', comment: '', type: '' },
      { 'X-Bucket-Token': pubToken },
    )
    await psiUpload(target.origin, secret, {
      sid: prot,
      retention: '86400',
      password: 'pw',
      name: 'secret.txt',
      comment: 'protected',
      type: 'text/plain',
    })
  }, 16 * 60_000)

  afterAll(async () => {
    await target?.close()
  })

  const listing = async (sid: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url(`/${sid}.json`), { headers })
    expect(res.status).toBe(200)
    return (await res.json()) as PsiListing
  }
  const bytes = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url(path), { headers })
    expect(res.status).toBe(200)
    return Buffer.from(await res.arrayBuffer())
  }

  describe('upload (Upload/store/upload.js)', () => {
    it('upload.js:141-150 a creation with its metadata keys makes {U}files/{sid}++{key} (endpoints.js: req.FID)', () => {
      expect(new URL(helloUpload.location).pathname).toMatch(new RegExp(`^/files/${pub}\\+\\+[^/]+$`))
      expect(pubToken).toMatch(/^[A-Za-z0-9_-]{22,}$/)
    })

    it('endpoints.js:373-374 an unknown retention is refused 400 with its reason as text (upload.js:185-189 shows it)', async () => {
      const res = await fetch(url('/files'), {
        method: 'POST',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Length': '3',
          'Upload-Metadata': `sid ${Buffer.from(psiSid()).toString('base64')},name eA==,retention OTk5`,
        },
      })
      // Plain text, as PsiTransfer's own 400s (`res.status(400).end(e.message)`): upload.js:171
      // tries JSON first and falls back to tus-js-client's message, which quotes the body.
      expect(res.status).toBe(400)
      expect(await res.text()).toMatch(/retention/i)
    })

    it('difference: a later file into a bucket without its X-Bucket-Token (or cookie) is refused 403 (no bucket takeover)', async () => {
      const err = await psiUpload(target.origin, Buffer.from('x'), {
        sid: pub,
        retention: '3600',
        password: '',
        name: 'intruder.txt',
        comment: '',
        type: 'text/plain',
      }).catch((e: unknown) => e as tus.DetailedError)
      expect(err).toBeInstanceOf(Error)
      const res = (err as tus.DetailedError).originalResponse
      expect(res?.getStatus()).toBe(403)
      expect(res?.getBody()).toMatch(/X-Bucket-Token/)
    })

    it('upload.js:141-158, 235 in a browser: later files and the lock carry the bucket cookie the first creation set', async () => {
      const sid = randomUUID()
      const b64 = (v: string) => Buffer.from(v).toString('base64')
      const create = (name: string, cookie?: string) =>
        fetch(url('/files'), {
          method: 'POST',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Length': '1',
            'Upload-Metadata': `sid ${b64(sid)},retention ${b64('3600')},name ${b64(name)}`,
            ...(cookie ? { Cookie: cookie } : {}),
          },
        })
      const first = await create('first.txt')
      expect(first.status).toBe(201)
      const setCookie = first.headers.get('set-cookie') ?? ''
      expect(setCookie).toMatch(new RegExp(`^psitransfer-bucket-${sid}=[A-Za-z0-9_-]{22,128};`))
      expect(setCookie).toContain('HttpOnly')
      expect(setCookie).toContain('SameSite=Strict')
      expect(setCookie).toContain('Path=/')
      const cookie = setCookie.split(';')[0] as string
      // What the browser sends back by itself: accepted like the header.
      expect((await create('second.txt', cookie)).status).toBe(201)
      // Somebody else's guess, or no proof at all: refused.
      expect((await create('third.txt', `psitransfer-bucket-${sid}=${'A'.repeat(22)}`)).status).toBe(403)
      expect((await create('fourth.txt')).status).toBe(403)
      const lock = await fetch(url(`/files/${sid}?lock=yes`), {
        method: 'PATCH',
        headers: { Cookie: cookie },
      })
      expect(lock.status).toBe(204)
    })

    it('endpoints.js:353-355 bytes PATCHed to a completed upload: 400 "Upload already completed"', async () => {
      const res = await fetch(helloUpload.location, {
        method: 'PATCH',
        headers: {
          'Tus-Resumable': '1.0.0',
          'Upload-Offset': String(hello.length),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: Buffer.from('more'),
      })
      expect(res.status).toBe(400)
      expect(await res.text()).toMatch(/Upload already completed/)
    })
  })

  describe('lang.json (endpoints.js:60 and :88)', () => {
    const lang = async (acceptLanguage: string) => {
      const res = await fetch(url('/lang.json'), { headers: { 'Accept-Language': acceptLanguage } })
      expect(res.status).toBe(200)
      return (await res.json()) as Record<string, unknown> & { retentions: Record<string, string> }
    }

    it('endpoints.js:60 picks the language by Accept-Language: langCode', async () => {
      expect((await lang('de-DE,de;q=0.9,en;q=0.5')).langCode).toBe('de')
      expect((await lang('fr')).langCode).toBe('fr')
    })

    it('every text key PsiTransfer’s pages read is a non-empty string (Upload.vue, Download.vue, Settings.vue)', async () => {
      const body = await lang('it')
      for (const key of PSI_TEXT_KEYS) {
        expect(typeof body[key], key).toBe('string')
        expect((body[key] as string).length, key).toBeGreaterThan(0)
      }
    })

    it('Settings.vue:16 reads lang.retentions[seconds] for every configured retention', async () => {
      const body = await lang('en')
      expect(Object.keys(body.retentions).sort()).toEqual(Object.keys(DEFAULT_RETENTIONS).sort())
      for (const label of Object.values(body.retentions)) expect(label).not.toBe('')
    })

    it('upload.js:56 and :97 replace %% twice (size, then limit)', async () => {
      const body = await lang('en')
      for (const key of ['fileSizeExceed', 'bucketSizeExceed'])
        expect((body[key] as string).split('%%').length - 1).toBe(2)
    })

    it('our own {lang, messages} sit beside it (what apps/web reads)', async () => {
      const body = await lang('de')
      expect(body.lang).toBe('de')
      expect(typeof body.messages).toBe('object')
    })
  })

  describe('{sid}.json and downloads of a public bucket (Download.vue)', () => {
    it('Download.vue:177 and :181 read config.maxPreviewSize', async () => {
      expect(typeof (await listing(pub)).config.maxPreviewSize).toBe('number')
    })

    it('Download.vue:178 reads items, one per file, in upload order', async () => {
      expect((await listing(pub)).items.map((i) => i.metadata.name)).toEqual(['hello.txt', 'blob.bin'])
    })

    it('Download.vue:45-47 read metadata.name, size and metadata.comment', async () => {
      const [a, b] = (await listing(pub)).items
      expect(a).toMatchObject({ size: hello.length, metadata: { name: 'hello.txt', comment: 'first file' } })
      expect(b).toMatchObject({ size: blob.length, metadata: { name: 'blob.bin', comment: '' } })
    })

    it('Download.vue:72 reads metadata.retention, :75 metadata.type', async () => {
      const [a] = (await listing(pub)).items
      expect(a?.metadata).toMatchObject({ retention: '3600', type: 'text/plain', relativePath: 'docs' })
    })

    it('Download.vue:120 downloads items[].url ({B}files/{sid}++{key}, endpoints.js:166)', async () => {
      const [a, b] = (await listing(pub)).items
      expect(a?.url).toBe(`/files/${pub}++${a?.key}`)
      expect((await bytes(a?.url as string)).equals(hello)).toBe(true)
      expect((await bytes(b?.url as string)).equals(blob)).toBe(true)
    })

    it('Download.vue:135 its own md5-of-keys archive link downloads the zip (endpoints.js:209)', async () => {
      const keys = (await listing(pub)).items.map((i) => i.key).join(',')
      const zip = readZip(await bytes(`/files/${pub}++${md5(keys)}.zip`))
      expect(zip.get('docs/hello.txt')?.equals(hello)).toBe(true)
      expect(zip.get('blob.bin')?.equals(blob)).toBe(true)
    })

    it('files/{sid}++{archiveToken}.zip and .tar.gz hold every file byte for byte', async () => {
      const { archiveToken } = await listing(pub)
      const zip = readZip(await bytes(`/files/${pub}++${archiveToken}.zip`))
      const tgz = readTarGz(await bytes(`/files/${pub}++${archiveToken}.tar.gz`))
      for (const archive of [zip, tgz]) {
        expect([...archive.keys()].sort()).toEqual(['blob.bin', 'docs/hello.txt'])
        expect(archive.get('docs/hello.txt')?.equals(hello)).toBe(true)
        expect(archive.get('blob.bin')?.equals(blob)).toBe(true)
      }
    })
  })

  describe('{sid}.json and downloads of a protected bucket', () => {
    it('Download.vue:190 without x-download-pass: 401, the page asks for the password', async () => {
      expect((await fetch(url(`/${prot}.json`))).status).toBe(401)
      expect((await fetch(url(`/${prot}.json`), { headers: { 'x-download-pass': 'no' } })).status).toBe(401)
    })

    it('Download.vue:171 sends x-download-pass: the listing with metadata', async () => {
      const body = await listing(prot, { 'x-download-pass': 'pw' })
      expect(body.items.map((i) => i.metadata.name)).toEqual(['secret.txt'])
      expect(body.items[0]).toMatchObject({ size: secret.length, metadata: { comment: 'protected' } })
    })

    it('difference: no password and no hash in the listing (PsiTransfer sends metadata.password)', async () => {
      const text = JSON.stringify(await listing(prot, { 'x-download-pass': 'pw' }))
      expect(text).not.toMatch(/"password"|argon|"pw"/)
    })

    it('Download.vue:120 items[].url downloads the file (it carries a short-lived ?token=)', async () => {
      const [item] = (await listing(prot, { 'x-download-pass': 'pw' })).items
      expect(item?.url).toMatch(/\?token=/)
      expect((await bytes(item?.url as string)).equals(secret)).toBe(true)
    })

    it('difference: the bare file URL (no token) is refused 401', async () => {
      const [item] = (await listing(prot, { 'x-download-pass': 'pw' })).items
      expect((await fetch(url(`/files/${prot}++${item?.key}`))).status).toBe(401)
    })

    it('files/{sid}++{archiveToken}.zip and .tar.gz work without ?token=: the archiveToken is the proof', async () => {
      const { archiveToken } = await listing(prot, { 'x-download-pass': 'pw' })
      const zip = readZip(await bytes(`/files/${prot}++${archiveToken}.zip`))
      const tgz = readTarGz(await bytes(`/files/${prot}++${archiveToken}.tar.gz`))
      for (const archive of [zip, tgz]) {
        expect([...archive.keys()]).toEqual(['secret.txt'])
        expect(archive.get('secret.txt')?.equals(secret)).toBe(true)
      }
    })

    it('difference: the md5-of-keys archive link of a protected bucket is refused 401', async () => {
      const keys = (await listing(prot, { 'x-download-pass': 'pw' })).items.map((i) => i.key).join(',')
      expect((await fetch(url(`/files/${prot}++${md5(keys)}.zip`))).status).toBe(401)
    })
  })

  describe('admin/data.json (Admin.vue)', () => {
    const admin = async () => {
      const res = await fetch(url('/admin/data.json'), { headers: { 'x-passwd': ADMIN } })
      expect(res.status).toBe(200)
      return (await res.json()) as Record<string, PsiItem[]>
    }

    it('Admin.vue:96-97 and :111: x-passwd, 403 for a wrong one', async () => {
      expect((await fetch(url('/admin/data.json'), { headers: { 'x-passwd': 'wrong' } })).status).toBe(403)
      expect((await fetch(url('/admin/data.json'))).status).toBe(401)
    })

    it('Admin.vue:120 and :128 every top-level key is a bucket id holding an array of records', async () => {
      const data = await admin()
      expect(Object.keys(data)).toEqual(expect.arrayContaining([pub, prot]))
      for (const records of Object.values(data)) expect(Array.isArray(records)).toBe(true)
      expect(data[pub]?.map((r) => r.metadata.name)).toEqual(['hello.txt', 'blob.bin'])
    })

    it('Admin.vue:129 reads size', async () => {
      expect((await admin())[pub]?.map((r) => r.size)).toEqual([hello.length, blob.length])
    })

    it('Admin.vue:130 reads metadata._password (endpoints.js:144), never the hash', async () => {
      const data = await admin()
      expect(data[prot]?.[0]?.metadata._password).toBe(true)
      expect(data[pub]?.[0]?.metadata._password).toBeUndefined()
      expect(JSON.stringify(data)).not.toMatch(/"password"|argon/)
    })

    it('Admin.vue:133, :136, :139 and :144 read metadata.createdAt, lastDownload and retention', async () => {
      const [record] = (await admin())[pub] ?? []
      const createdAt = Number(record?.metadata.createdAt)
      expect(Math.abs(createdAt - Date.now())).toBeLessThan(15 * 60_000)
      expect(record?.metadata.retention).toBe('3600')
      // Downloaded by the tests above (files and archives).
      expect(typeof record?.metadata.lastDownload).toBe('number')
    })

    it('our web admin’s own shape moved to api/admin/data.json', async () => {
      const res = await fetch(url('/api/admin/data.json'), { headers: { 'x-passwd': ADMIN } })
      const body = (await res.json()) as { buckets: Array<{ sid: string }> }
      expect(body.buckets.map((b) => b.sid)).toEqual(expect.arrayContaining([pub, prot]))
    })
  })

  describe('error pages (endpoints.js:202, :210 and :307)', () => {
    const missing = () => `/files/${pub}++${'A'.repeat(22)}`

    it('endpoints.js:307 a browser navigating to a missing file gets an HTML page in its language', async () => {
      const res = await fetch(url(missing()), {
        headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'Accept-Language': 'de' },
      })
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(res.headers.get('content-language')).toBe('de')
      const html = await res.text()
      expect(html).toContain('<html lang="de">')
      expect(html).toContain('Nicht gefunden')
      // Its own CSP (no script, its one style by hash), not the file's or the app page's.
      expect(res.headers.get('content-security-policy')).toBe(ERROR_PAGE_CSP)
      const head = await fetch(url(missing()), { method: 'HEAD', headers: { Accept: 'text/html' } })
      expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([
        404,
        'text/html; charset=utf-8',
        '',
      ])
    })

    it('the same URL answers JSON to a script (Accept */* or application/json)', async () => {
      for (const accept of ['*/*', 'application/json']) {
        const res = await fetch(url(missing()), { headers: { Accept: accept } })
        expect(res.status).toBe(404)
        expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND')
      }
    })

    it('endpoints.js:202 a missing bucket’s archive, :210 an invalid archive link: HTML pages', async () => {
      const html = { Accept: 'text/html' }
      const gone = await fetch(url(`/files/${psiSid()}++${md5('x')}.zip`), { headers: html })
      expect([gone.status, gone.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8'])
      const changed = await fetch(url(`/files/${pub}++${md5('x')}.tar.gz`), { headers: html })
      expect(changed.status).toBe(404)
      expect(await changed.text()).toContain('Files changed')
    })

    it('a protected file without its token: the HTML page says a password is needed (401)', async () => {
      const [item] = (await listing(prot, { 'x-download-pass': 'pw' })).items
      const res = await fetch(url(`/files/${prot}++${item?.key}`), { headers: { Accept: 'text/html' } })
      expect(res.status).toBe(401)
      expect(await res.text()).toContain('Password needed')
    })
  })

  describe('lock (upload.js:235)', () => {
    it('difference: PATCH {U}files/{sid}?lock=yes without X-Bucket-Token is refused 403', async () => {
      const res = await fetch(url(`/files/${pub}?lock=yes`), { method: 'PATCH' })
      expect(res.status).toBe(403)
    })

    it('with the bucket’s token (and, like PsiTransfer’s fetch, no Tus-Resumable) it locks: 204', async () => {
      const res = await fetch(url(`/files/${pub}?lock=yes`), {
        method: 'PATCH',
        headers: { 'X-Bucket-Token': pubToken },
      })
      expect(res.status).toBe(204)
    })
  })
})
