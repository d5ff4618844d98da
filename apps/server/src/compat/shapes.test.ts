/**
 * The listing and admin shapes as PsiTransfer's own client reads them. Each test is named after
 * the upstream line that reads the field (psi-4ward/psitransfer: app/src/Download.vue at
 * 2e4ac64, app/src/Admin.vue at 3c79b93, app/src/Download/PreviewModal.vue at 2d6056d,
 * app/src/common/FileIcon.vue at 4b400ec, lib/endpoints.js at 0014d81).
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { archiveToken, legacyArchiveToken } from '../bucket.js'
import { DownloadTokens } from '../security/tokens.js'
import { checkArchiveAccess, listingArchiveToken } from './archive-token.js'
import { fileMeta, T0 } from './fixtures.test-support.js'
import { adminBody, type ListingBody, listingBody } from './shapes.js'

const SID = 'a1b2c3d4e5f6'
const OTHER = 'zz9zz9zz9zz9'
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'
const tokens = new DownloadTokens('compat-test-secret-0123456789', 600)

const photo = fileMeta({
  key: 'k-photo',
  name: 'photo.jpg',
  type: 'image/jpeg',
  comment: 'from the trip',
  relativePath: 'trip/day1',
  uploadLength: 2048,
  offset: 2048,
  createdAt: T0,
  lastDownload: T0 + 5000,
  downloads: 1,
})
const once = fileMeta({
  key: 'k-once',
  name: 'secret.txt',
  type: 'text/plain',
  retention: 'one-time',
  expiresAt: null,
  createdAt: T0 + 1,
  bucketLocked: true,
})
const publicFiles = [photo, once]
const protectedFiles = publicFiles.map((f) => ({ ...f, password: HASH }))

function listing(files = publicFiles, base = '/'): ListingBody {
  const isProtected = files.some((f) => f.password)
  return listingBody({
    sid: SID,
    files,
    baseUrl: base,
    archiveToken: listingArchiveToken(tokens, SID, files, T0),
    downloadToken: isProtected ? tokens.issue(SID, T0) : undefined,
    maxPreviewSize: 2 * 1024 * 1024,
  })
}

/** What a browser gets: the JSON text parsed again. */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

describe('GET {sid}.json as PsiTransfer’s download page reads it', () => {
  it('Download.vue:177 reads config', () => {
    expect(wire(listing()).config).toBeTypeOf('object')
  })
  it('Download.vue:181 reads config.maxPreviewSize', () => {
    expect(wire(listing()).config.maxPreviewSize).toBe(2 * 1024 * 1024)
  })
  it('Download.vue:178 reads items (an array, one entry per file)', () => {
    expect(wire(listing()).items).toHaveLength(2)
  })
  it('Download.vue:71 reads items[].metadata (an object)', () => {
    for (const item of wire(listing()).items) expect(item.metadata).toBeTypeOf('object')
  })
  it('Download.vue:45 reads items[].metadata.name', () => {
    expect(wire(listing()).items.map((i) => i.metadata.name)).toEqual(['photo.jpg', 'secret.txt'])
  })
  it('Download.vue:46 reads items[].size (a finite number)', () => {
    expect(wire(listing()).items.map((i) => i.size)).toEqual([2048, 1234])
  })
  it('Download.vue:47 reads items[].metadata.comment', () => {
    expect(wire(listing()).items[0]?.metadata.comment).toBe('from the trip')
  })
  it('Download.vue:72 reads items[].metadata.retention ("one-time" or seconds as a string)', () => {
    expect(wire(listing()).items.map((i) => i.metadata.retention)).toEqual(['3600', 'one-time'])
  })
  it('Download.vue:75 reads items[].metadata.type', () => {
    expect(wire(listing()).items.map((i) => i.metadata.type)).toEqual(['image/jpeg', 'text/plain'])
  })
  it('Download.vue:120 reads items[].url as the download link (endpoints.js:166: {baseUrl}files/{sid}++{key})', () => {
    expect(wire(listing(publicFiles, '/psi/')).items[0]?.url).toBe(`/psi/files/${SID}++k-photo`)
  })
  it('Download.vue:120 items[].url of a protected bucket carries the short-lived ?token=', () => {
    const url = wire(listing(protectedFiles)).items[0]?.url ?? ''
    const token = new URL(url, 'http://x').searchParams.get('token')
    expect(url.startsWith(`/files/${SID}++k-photo?token=`)).toBe(true)
    expect(tokens.verify(SID, token, T0)).toBe(true)
  })
  it('Download.vue:38 reads items[].url for the copy button', () => {
    for (const item of wire(listing()).items) expect(item.url).toMatch(/^\/files\//)
  })
  it('Download.vue:135 reads items[].key: its md5 archive link is one our archive route accepts', () => {
    const items = wire(listing()).items
    const md5 = createHash('md5')
      .update(items.map((i) => i.key).join(','))
      .digest('hex')
    expect(md5).toBe(legacyArchiveToken(publicFiles))
    expect(
      checkArchiveAccess({
        proofs: tokens,
        sid: SID,
        files: publicFiles,
        token: md5,
        queryToken: undefined,
        now: T0,
      }),
    ).toEqual({ ok: true })
  })
  it('archiveToken (newer client: files/{sid}++{archiveToken}.zip) opens a public bucket’s archive', () => {
    const body = wire(listing())
    expect(body.archiveToken).toBe(archiveToken(publicFiles))
  })
  it('archiveToken of a protected listing opens the archive without ?token= (issue #18 item 3)', () => {
    const body = wire(listing(protectedFiles))
    expect(
      checkArchiveAccess({
        proofs: tokens,
        sid: SID,
        files: protectedFiles,
        token: body.archiveToken,
        queryToken: undefined,
        now: T0,
      }),
    ).toEqual({ ok: true })
  })
  it('PreviewModal.vue:5 reads metadata.name of the previewed item', () => {
    expect(wire(listing()).items[0]?.metadata.name).toBe('photo.jpg')
  })
  it('PreviewModal.vue:17 reads url as the image source', () => {
    expect(wire(listing()).items[0]?.url).toBe(`/files/${SID}++k-photo`)
  })
  it('FileIcon.vue:23 reads type, else metadata.type', () => {
    for (const item of wire(listing()).items) expect(item.type).toBe(item.metadata.type)
  })
  it('never sends a password or its hash (PsiTransfer’s listing sends metadata.password: we do not)', () => {
    const text = JSON.stringify(listing(protectedFiles))
    expect(text).not.toContain(HASH)
    expect(text).not.toContain('"password"')
    for (const item of wire(listing(protectedFiles)).items)
      expect(item.metadata).not.toHaveProperty('_password')
  })
  it('records keep PsiTransfer’s types: createdAt and uploadLength as strings, buckedLocked as spelled', () => {
    const [a, b] = wire(listing()).items
    expect(a?.metadata).toMatchObject({
      sid: SID,
      key: 'k-photo',
      createdAt: String(T0),
      uploadLength: '2048',
    })
    expect(a?.metadata.lastDownload).toBe(T0 + 5000)
    expect(a?.metadata.relativePath).toBe('trip/day1')
    expect(b?.metadata.buckedLocked).toBe(true)
    expect(a).not.toHaveProperty('isPartial')
    expect(a).toMatchObject({ key: 'k-photo', uploadLength: 2048, offset: 2048 })
  })
  it('our own fields sit beside PsiTransfer’s (what apps/web reads)', () => {
    const body = wire(listing(protectedFiles))
    expect(body).toMatchObject({ sid: SID, protected: true })
    expect(body.zipUrl).toBe(`/files/${SID}++${body.archiveToken}.zip?token=${tokens.issue(SID, T0)}`)
    expect(body.tarGzUrl).toBe(`/files/${SID}++${body.archiveToken}.tar.gz?token=${tokens.issue(SID, T0)}`)
    expect(body.items[0]).toMatchObject({
      key: 'k-photo',
      name: 'photo.jpg',
      relativePath: 'trip/day1',
      comment: 'from the trip',
      type: 'image/jpeg',
      size: 2048,
      createdAt: T0,
      expiresAt: photo.expiresAt,
      oneTime: false,
      downloaded: true,
    })
    expect(body.items[1]).toMatchObject({ oneTime: true, downloaded: false, expiresAt: null })
  })
  it('items are in creation order whatever order the store listed them', () => {
    const body = listingBody({
      sid: SID,
      files: [once, photo],
      baseUrl: '/',
      archiveToken: 'x',
      downloadToken: undefined,
      maxPreviewSize: 1,
    })
    expect(body.items.map((i) => i.key)).toEqual(['k-photo', 'k-once'])
  })
})

describe('GET admin/data.json as PsiTransfer’s admin page reads it', () => {
  const other = fileMeta({ sid: OTHER, key: 'k-other', createdAt: T0 + 10_000, password: HASH })
  const uploading = fileMeta({
    sid: OTHER,
    key: 'k-up',
    complete: false,
    offset: 100,
    uploadLength: 500,
    createdAt: T0 + 20_000,
  })
  const body = () => wire(adminBody([photo, other, once, uploading]))

  it('Admin.vue:120 every top-level key is a bucket id', () => {
    expect(Object.keys(body()).sort()).toEqual([SID, OTHER].sort())
  })
  it('Admin.vue:128 each bucket is an array of records, in creation order', () => {
    expect(body()[SID]?.map((r) => r.key)).toEqual(['k-photo', 'k-once'])
  })
  it('Admin.vue:129 reads size (bytes so far for an upload in progress)', () => {
    expect(body()[SID]?.map((r) => r.size)).toEqual([2048, 1234])
    expect(body()[OTHER]?.[1]).toMatchObject({ size: 100, isPartial: true, uploadLength: 500 })
  })
  it('Admin.vue:130 reads metadata._password (endpoints.js:144: true instead of the hash)', () => {
    const [prot] = body()[OTHER] ?? []
    expect(prot?.metadata._password).toBe(true)
    expect(body()[SID]?.[0]?.metadata).not.toHaveProperty('_password')
    expect(JSON.stringify(body())).not.toContain(HASH)
    expect(JSON.stringify(body())).not.toContain('"password"')
  })
  it('endpoints.js:146-147 a protected file’s key and metadata.key are left out', () => {
    const [prot] = body()[OTHER] ?? []
    expect(prot).not.toHaveProperty('key')
    expect(prot?.metadata).not.toHaveProperty('key')
    expect(body()[SID]?.[0]).toMatchObject({ key: 'k-photo', metadata: { key: 'k-photo' } })
  })
  it('Admin.vue:133 reads metadata.createdAt (milliseconds, numeric string)', () => {
    expect(Number(body()[SID]?.[0]?.metadata.createdAt)).toBe(T0)
  })
  it('Admin.vue:136 reads metadata.lastDownload (only when downloaded)', () => {
    expect(body()[SID]?.[0]?.metadata.lastDownload).toBe(T0 + 5000)
    expect(body()[SID]?.[1]?.metadata).not.toHaveProperty('lastDownload')
  })
  it('Admin.vue:139 reads metadata.retention === "one-time"', () => {
    expect(body()[SID]?.[1]?.metadata.retention).toBe('one-time')
  })
  it('Admin.vue:144 computes createdAt + retention seconds × 1000', () => {
    const r = body()[SID]?.[0]
    expect(Number(r?.metadata.createdAt) + Number(r?.metadata.retention) * 1000).toBe(photo.expiresAt)
  })
  it('Admin.vue:47 reads metadata.name', () => {
    expect(body()[SID]?.[0]?.metadata.name).toBe('photo.jpg')
  })
  it('no files, no buckets', () => {
    expect(adminBody([])).toEqual({})
  })
})
