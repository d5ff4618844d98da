/**
 * What the harness asks S3 directly (never through the fault proxy): the multipart uploads and
 * objects left under the run's prefix. A few signed requests (AWS Signature V4) with fetch, so
 * the harness needs no SDK of its own.
 * @module
 */
import { createHash, createHmac } from 'node:crypto'

export interface S3Access {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex')
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

async function signedGet(s3: S3Access, query: Record<string, string>): Promise<string> {
  const url = new URL(`${s3.endpoint.replace(/\/$/, '')}/${s3.bucket}`)
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')
  const day = now.slice(0, 8)
  const payload = sha256('')
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${enc(k)}=${enc(query[k] as string)}`)
    .join('&')
  const headers = `host:${url.host}\nx-amz-content-sha256:${payload}\nx-amz-date:${now}\n`
  const signed = 'host;x-amz-content-sha256;x-amz-date'
  const request = ['GET', url.pathname, canonicalQuery, headers, signed, payload].join('\n')
  const scope = `${day}/${s3.region}/s3/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(request)].join('\n')
  let key = hmac(`AWS4${s3.secretAccessKey}`, day)
  for (const part of [s3.region, 's3', 'aws4_request']) key = hmac(key, part)
  const signature = createHmac('sha256', key).update(toSign).digest('hex')
  const res = await fetch(`${url.href}?${canonicalQuery}`, {
    headers: {
      'x-amz-content-sha256': payload,
      'x-amz-date': now,
      authorization: `AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    },
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`S3 GET ?${canonicalQuery} answered ${res.status}: ${text.slice(0, 200)}`)
  return text
}

const tags = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] as string)

/** Keys of the multipart uploads open under `prefix`. */
export async function listMultipartUploads(s3: S3Access, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let marker: Record<string, string> = {}
  for (;;) {
    const xml = await signedGet(s3, { uploads: '', prefix, ...marker })
    for (const upload of xml.split('<Upload>').slice(1)) keys.push(...tags(upload, 'Key').slice(0, 1))
    if (!/<IsTruncated>true<\/IsTruncated>/.test(xml)) return keys
    marker = {
      'key-marker': tags(xml, 'NextKeyMarker')[0] ?? '',
      'upload-id-marker': tags(xml, 'NextUploadIdMarker')[0] ?? '',
    }
  }
}

/** Keys of the objects under `prefix`. */
export async function listObjects(s3: S3Access, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let token: Record<string, string> = {}
  for (;;) {
    const xml = await signedGet(s3, { 'list-type': '2', prefix, ...token })
    keys.push(...tags(xml, 'Key'))
    const next = tags(xml, 'NextContinuationToken')[0]
    if (!next) return keys
    token = { 'continuation-token': next.replace(/&amp;/g, '&') }
  }
}
