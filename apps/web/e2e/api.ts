/** Direct HTTP helpers for the e2e (TUS creation and admin data), mirroring what a real client sends. */

const meta = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',')

/**
 * Upload tokens by server and bucket, as the bucket's uploader keeps them: the first creation
 * into a bucket answers `X-Bucket-Token`, later creations and the lock must send it.
 */
const tokens = new Map<string, string>()

function tokenHeader(base: string, sid: string): Record<string, string> {
  const token = tokens.get(`${base} ${sid}`)
  return token ? { 'X-Bucket-Token': token } : {}
}

/** Creates one complete file in bucket `sid` with TUS creation-with-upload. */
export async function tusUpload(
  base: string,
  sid: string,
  name: string,
  body: Buffer,
  extra: Record<string, string> = {},
): Promise<void> {
  const res = await fetch(new URL('files/', base), {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(body.length),
      'Upload-Metadata': meta({ sid, retention: '3600', name, type: 'text/plain', ...extra }),
      'Content-Type': 'application/offset+octet-stream',
      ...tokenHeader(base, sid),
    },
    body: new Uint8Array(body),
  })
  if (res.status !== 201) throw new Error(`upload of ${name}: ${res.status} ${await res.text()}`)
  const token = res.headers.get('x-bucket-token')
  if (token) tokens.set(`${base} ${sid}`, token)
  const offset = Number(res.headers.get('upload-offset') ?? 0)
  if (offset !== body.length) {
    const url = new URL(res.headers.get('location')!, base)
    const patch = await fetch(url, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: new Uint8Array(body.subarray(offset)),
    })
    if (patch.status !== 204) throw new Error(`PATCH of ${name}: ${patch.status}`)
  }
}

export async function lockBucket(base: string, sid: string): Promise<void> {
  const res = await fetch(new URL(`files/${sid}?lock=yes`, base), {
    method: 'PATCH',
    headers: { 'Tus-Resumable': '1.0.0', ...tokenHeader(base, sid) },
  })
  if (res.status !== 204) throw new Error(`lock: ${res.status}`)
}

export interface AdminFileInfo {
  key: string
  name: string
  offset?: number
  size: number
  complete: boolean
}

export async function adminBuckets(
  base: string,
  pass: string,
): Promise<Array<{ sid: string; files: AdminFileInfo[] }>> {
  const res = await fetch(new URL('api/admin/data.json', base), { headers: { 'x-passwd': pass } })
  if (!res.ok) throw new Error(`api/admin/data.json: ${res.status}`)
  return ((await res.json()) as { buckets: Array<{ sid: string; files: AdminFileInfo[] }> }).buckets
}

/** Every file the admin API lists, with its bucket id. */
export async function adminFiles(
  base: string,
  pass: string,
): Promise<Array<AdminFileInfo & { sid: string }>> {
  return (await adminBuckets(base, pass)).flatMap((b) => b.files.map((f) => ({ ...f, sid: b.sid })))
}

/**
 * The server's offset of the file `which` picks once an aborted request has settled (two equal
 * reads 400 ms apart; 0 while the file is not listed).
 */
export async function settledOffset(
  base: string,
  pass: string,
  which: (f: AdminFileInfo & { sid: string }) => boolean,
): Promise<number> {
  let last = -1
  for (let i = 0; i < 25; i++) {
    const now = (await adminFiles(base, pass)).find(which)?.offset ?? 0
    if (now === last) return now
    last = now
    await new Promise((r) => setTimeout(r, 400))
  }
  throw new Error('the upload offset never settled')
}
