/**
 * The uploader's manage API (`{B}api/manage/{sid}`, authenticated by the bucket's manage secret
 * in `X-Manage-Token`), kept apart from `client.ts`: upload requests will reuse it.
 */
import type { Api } from './client.js'
import { getJson, request } from './http.js'
import type { ManagedBucket, ManageEdit, ManageLink } from './types.js'

export type { ManagedBucket, ManagedFile, ManageEdit } from './types.js'

const path = (sid: string) => `api/manage/${encodeURIComponent(sid)}`

/** A manage link for a bucket just uploaded, asked for with its upload token. */
export async function issueManageLink(
  api: Api,
  sid: string,
  bucketToken: string,
): Promise<{ manageToken: string; manageUrl: string }> {
  const res = await request(api.url(path(sid)), {
    method: 'POST',
    headers: { 'X-Bucket-Token': bucketToken },
  })
  const body = (await res.json()) as ManageLink
  // Built here, like the share link: the page's own origin and base, whatever proxy is in between.
  return { manageToken: body.manageToken, manageUrl: manageUrlOf(api, sid, body.manageToken) }
}

export function manageUrlOf(api: Api, sid: string, token: string): string {
  return `${api.url(`manage/${encodeURIComponent(sid)}`).href}#${token}`
}

export function manageState(api: Api, sid: string, token: string): Promise<ManagedBucket> {
  return getJson(api.url(path(sid)), { 'X-Manage-Token': token })
}

export async function editBucket(
  api: Api,
  sid: string,
  token: string,
  edit: ManageEdit,
): Promise<ManagedBucket> {
  const res = await request(api.url(path(sid)), {
    method: 'PATCH',
    headers: { 'X-Manage-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify(edit),
  })
  return (await res.json()) as ManagedBucket
}

export async function deleteManagedBucket(api: Api, sid: string, token: string): Promise<void> {
  await request(api.url(path(sid)), { method: 'DELETE', headers: { 'X-Manage-Token': token } })
}

export async function deleteManagedFile(api: Api, sid: string, token: string, key: string): Promise<void> {
  await request(api.url(`${path(sid)}/files/${encodeURIComponent(key)}`), {
    method: 'DELETE',
    headers: { 'X-Manage-Token': token },
  })
}

/**
 * The server mails the share link (never the manage link) to `to`: resolves once queued (202).
 * 400 for a bad address, 429 beyond the hourly quota, 404 without mail on the server.
 */
export async function mailShareLink(
  api: Api,
  sid: string,
  token: string,
  mail: { to: string; message?: string; lang?: string },
): Promise<void> {
  await request(api.url(`${path(sid)}/mail`), {
    method: 'POST',
    headers: { 'X-Manage-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify(mail),
  })
}
