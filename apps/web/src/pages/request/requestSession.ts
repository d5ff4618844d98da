/**
 * An upload through a request link, kept so a reload can continue it, like the upload page's
 * session (`upload/session.ts`): which files were being sent and which are done. The bytes come
 * back when the same files are chosen again; their upload URLs are in tus-js-client's storage
 * under the bucket's fingerprint. The request secret stays in the page's fragment: it is never
 * stored, nor is any password (the request page has none).
 */
import { fingerprint, fingerprintPrefix, type KeyValueStorage } from '../../upload/session.js'

export interface RequestSessionFile {
  name: string
  size: number
  lastModified: number
  done: boolean
}

export interface RequestSession {
  v: 1
  sid: string
  createdAt: number
  files: RequestSessionFile[]
}

const KEY_PREFIX = 'psitransfer.request::'

export function requestSessionKey(sid: string): string {
  return `${KEY_PREFIX}${sid}`
}

/** The saved session of request `sid`, or `null` (none, unreadable, or nothing left to send). */
export function loadRequestSession(storage: KeyValueStorage | null, sid: string): RequestSession | null {
  if (!storage) return null
  try {
    const raw = storage.getItem(requestSessionKey(sid))
    if (!raw) return null
    const s = JSON.parse(raw) as Partial<RequestSession>
    if (s.v !== 1 || s.sid !== sid || !Array.isArray(s.files)) return null
    const files = s.files.filter(
      (f): f is RequestSessionFile =>
        typeof f?.name === 'string' &&
        Number.isSafeInteger(f.size) &&
        Number.isSafeInteger(f.lastModified) &&
        typeof f.done === 'boolean',
    )
    if (files.length === 0 || files.every((f) => f.done)) return null
    return { v: 1, sid, createdAt: typeof s.createdAt === 'number' ? s.createdAt : 0, files }
  } catch {
    return null
  }
}

export function saveRequestSession(storage: KeyValueStorage | null, session: RequestSession): void {
  try {
    storage?.setItem(requestSessionKey(session.sid), JSON.stringify(session))
  } catch {
    // Storage full or refused: a reload then starts over; sending still works.
  }
}

/** Forgets the session and tus-js-client's stored upload URLs of the request's bucket. */
export function clearRequestSession(storage: KeyValueStorage | null, sid: string): void {
  if (!storage) return
  try {
    storage.removeItem(requestSessionKey(sid))
    const prefix = `tus::${fingerprintPrefix(sid)}`
    const stale: string[] = []
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i)
      if (k?.startsWith(prefix)) stale.push(k)
    }
    for (const k of stale) storage.removeItem(k)
  } catch {
    // nothing stored
  }
}

/** The same file as a session entry: name, size and modification time (a File does not survive a reload). */
export function sameRequestFile(
  a: Pick<RequestSessionFile, 'name' | 'size' | 'lastModified'>,
  f: File,
): boolean {
  return a.name === f.name && a.size === f.size && a.lastModified === f.lastModified
}

/** tus-js-client's fingerprint of a file sent through request `sid` (scoped to its bucket). */
export function requestFingerprint(sid: string, f: File): string {
  return fingerprint(sid, { name: f.name, relativePath: '', size: f.size, lastModified: f.lastModified })
}
