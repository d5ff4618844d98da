/**
 * Upload requests (`{B}api/requests`, see the server's API.md): made by whoever may upload,
 * answered through the request link (its secret in `X-Request-Token`), closed with the manage
 * secret of the bucket the files land in.
 */
import type { Api } from './client.js'
import { headerSafe } from './client.js'
import { getJson, request } from './http.js'

export interface RequestInfo {
  sid: string
  message: string
  expiresAt: number | null
  maxBytes: number | null
  maxFiles: number | null
  retention: string
  closed: boolean
  expired: boolean
  files: number
  bytes: number
  filesLeft: number | null
  bytesLeft: number | null
  maxFileSize: number | null
  notify: boolean
  /** Where the uploads go (config.json may need the upload password the person asked lacks). */
  tusEndpoint: string
  chunkSize: number
}

export interface NewRequest {
  maxBytes?: number
  maxFiles?: number
  expiresAt?: number
  retention?: string
  message?: string
  notify?: string
  password?: string
  lang?: string
}

export interface MadeRequest extends RequestInfo {
  requestUrl: string
  requestToken: string
  manageUrl: string
  manageToken: string
  shareUrl: string
  /** Made by the server when none was given: shown once. */
  password?: string
}

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
