/**
 * Upload requests (`{B}api/requests`, see the server's API.md): made by whoever may upload,
 * answered through the request link (its secret in `X-Request-Token`), closed with the manage
 * secret of the bucket the files land in.
 */
import type { Api } from './client.js'
import { headerSafe } from './client.js'
import { getJson, request } from './http.js'
import type { MadeRequest, NewRequest, RequestInfo } from './types.js'

export type { MadeRequest, NewRequest, RequestInfo } from './types.js'

const path = (sid: string) => `api/requests/${encodeURIComponent(sid)}`

export async function createRequest(api: Api, body: NewRequest, uploadPass?: string): Promise<MadeRequest> {
  const res = await request(api.url('api/requests'), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(uploadPass ? { 'x-passwd': headerSafe(uploadPass) } : {}),
    },
    body: JSON.stringify(body),
  })
  const made = (await res.json()) as MadeRequest
  // Built here, like the share link: the page's own origin and base, whatever proxy is in between.
  return {
    ...made,
    requestUrl: `${api.url(`request/${encodeURIComponent(made.sid)}`).href}#${made.requestToken}`,
    manageUrl: `${api.url(`manage/${encodeURIComponent(made.sid)}`).href}#${made.manageToken}`,
  }
}

export function requestInfo(api: Api, sid: string, token: string): Promise<RequestInfo> {
  return getJson(api.url(path(sid)), { 'X-Request-Token': token })
}

export async function closeRequest(api: Api, sid: string, manageToken: string): Promise<void> {
  await request(api.url(path(sid)), { method: 'DELETE', headers: { 'X-Manage-Token': manageToken } })
}
