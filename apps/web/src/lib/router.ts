/** Client routing from the path below the app's base URL (the server answers all three with index.html). */

export type Route =
  | { page: 'upload' }
  | { page: 'download'; sid: string }
  | { page: 'admin' }
  /** "My shares": the manage links this browser keeps (`{base}manage/`). */
  | { page: 'shares' }
  /** One share's manage page, `{base}manage/{sid}#{secret}` (the secret stays in the fragment). */
  | { page: 'manage'; sid: string }
  /** "Request files": the form that makes an upload request (`{base}request/`). */
  | { page: 'newRequest' }
  /** An upload request's page, `{base}request/{sid}#{secret}` (the secret stays in the fragment). */
  | { page: 'request'; sid: string }
  | { page: 'notFound' }

const SID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/**
 * `basePath` is the path the app is served under, ending in `/` (e.g. `/` or `/share/`);
 * `uploadPath` the upload page's path when the server puts it elsewhere below the base (its
 * `uploadAppPath`, e.g. `/share/up/`).
 */
export function routeOf(pathname: string, basePath: string, uploadPath?: string): Route {
  if (uploadPath && uploadPath !== basePath) {
    const slash = (p: string) => (p.endsWith('/') ? p : `${p}/`)
    const here = slash(pathname)
    if (here === slash(uploadPath) || here === `${slash(uploadPath)}index.html/`) return { page: 'upload' }
  }
  let rest = pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname.replace(/^\//, '')
  // `manage/` (with its slash, so a bucket named `manage` keeps its download page).
  if (rest === 'manage/') return { page: 'shares' }
  if (rest === 'request/') return { page: 'newRequest' }
  rest = rest.replace(/\/+$/, '')
  try {
    rest = decodeURIComponent(rest)
  } catch {
    return { page: 'notFound' }
  }
  if (rest === '' || rest === 'index.html') return { page: 'upload' }
  if (rest === 'admin') return { page: 'admin' }
  const managed = /^manage\/(.+)$/.exec(rest)
  if (managed)
    return SID.test(managed[1] as string)
      ? { page: 'manage', sid: managed[1] as string }
      : { page: 'notFound' }
  const requested = /^request\/(.+)$/.exec(rest)
  if (requested)
    return SID.test(requested[1] as string)
      ? { page: 'request', sid: requested[1] as string }
      : { page: 'notFound' }
  if (SID.test(rest)) return { page: 'download', sid: rest }
  return { page: 'notFound' }
}

/** The upload page's path from the server's `<meta name="psi-upload">`, if any. */
export function uploadPathOf(doc?: {
  querySelector(s: string): { getAttribute(n: string): string | null } | null
}): string | undefined {
  return doc?.querySelector('meta[name="psi-upload"]')?.getAttribute('content') ?? undefined
}

/**
 * The app's base URL. The build uses relative asset URLs, and its entry chunk lives in `<base>/assets/`,
 * so the base is one level above the script's own URL. A `<meta name="psi-base">` set by a proxy wins.
 */
export function appBase(
  scriptUrl: string,
  doc?: { querySelector(s: string): { getAttribute(n: string): string | null } | null },
): URL {
  const meta = doc?.querySelector('meta[name="psi-base"]')?.getAttribute('content')
  if (meta) return new URL(meta.endsWith('/') ? meta : `${meta}/`, scriptUrl)
  return new URL('../', scriptUrl)
}
