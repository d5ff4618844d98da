/**
 * The one table of the TUS URLs, `{U}files[/]` and `{U}files/{id}`: which request on them is
 * what. Both TUS front doors go by it: the Hono routes in `app.ts` and the Node fast path in
 * `tus-fast.ts`. With the default layout (`U === B`) `files/{id}` is also the download URL, so
 * what is not TUS here is left to the downloads.
 * @module
 */

/** Where a request on the TUS URLs goes. */
export type TusRoute =
  /** Core's TUS protocol (`upload/tus-endpoint.ts`); `id` is `undefined` for the collection. */
  | { readonly kind: 'endpoint'; readonly id: string | undefined }
  /** `PATCH {U}files/{sid}?lock`: no more files may be added to the bucket. */
  | { readonly kind: 'lock'; readonly sid: string }

/** The URL layout the table depends on (a {@link Config}'s two paths, both ending in `/`). */
export interface TusLayout {
  readonly uploadAppPath: string
  readonly baseUrl: string
}

/** What a request says besides its method and path. */
export interface TusRequestMarks {
  /** It carries `Tus-Resumable` (a TUS HEAD; a plain HEAD is a download where the URL is shared). */
  readonly tusResumable: boolean
  /** Its query has `lock`. */
  readonly lock: boolean
}

/** Methods the collection `{U}files[/]` answers (for routers that register by method). */
export const TUS_COLLECTION_METHODS = ['POST', 'OPTIONS'] as const
/** Methods `{U}files/{id}` may answer as TUS (HEAD only as {@link matchTusRequest} says). */
export const TUS_FILE_METHODS = ['HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'] as const

const COLLECTION_ROUTE: TusRoute = { kind: 'endpoint', id: undefined }

/**
 * The TUS operation of a request, or `undefined` when it is none (a download, another URL, a
 * method the endpoint does not take). `path` has no query string; a router that decodes path
 * segments passes the decoded id in it (the fast path only takes ids with nothing to decode).
 */
export function matchTusRequest(
  layout: TusLayout,
  method: string,
  path: string,
  marks: TusRequestMarks,
): TusRoute | undefined {
  const collection = `${layout.uploadAppPath}files`
  if (!path.startsWith(collection)) return undefined
  if (path.length === collection.length || (path.length === collection.length + 1 && path.endsWith('/'))) {
    return method === 'POST' || method === 'OPTIONS' ? COLLECTION_ROUTE : undefined
  }
  if (path.charCodeAt(collection.length) !== 47 /* '/' */) return undefined
  const id = path.slice(collection.length + 1)
  if (method === 'PATCH') {
    return marks.lock && !id.includes('++') ? { kind: 'lock', sid: id } : { kind: 'endpoint', id }
  }
  if (method === 'DELETE' || method === 'POST' || method === 'OPTIONS') return { kind: 'endpoint', id }
  // TUS HEADs carry Tus-Resumable; a plain HEAD is a download where downloads share the URL.
  if (method === 'HEAD' && (marks.tusResumable || layout.uploadAppPath !== layout.baseUrl)) {
    return { kind: 'endpoint', id }
  }
  return undefined
}

/**
 * True for requests of the TUS protocol on the upload endpoint `{U}files[/…]`, the only ones that
 * get CORS headers. Downloads share the `files/` prefix (with the default layout the very same
 * URLs): a plain GET/HEAD is a download, and a download must not be readable by other sites.
 */
export function isTusRequest(
  method: string,
  path: string,
  uploadAppPath: string,
  hasTusResumable: boolean,
): boolean {
  const collection = `${uploadAppPath}files`
  if (path !== collection && !path.startsWith(`${collection}/`)) return false
  if (method === 'HEAD') return hasTusResumable
  return method === 'OPTIONS' || method === 'POST' || method === 'PATCH' || method === 'DELETE'
}
