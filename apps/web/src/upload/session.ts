/**
 * The unfinished upload, persisted so a reload or browser crash can continue it: the bucket id and
 * settings the server already has, and which files were part of it. The files' bytes and upload URLs
 * live with the browser (the File) and tus-js-client's URL storage (keyed by our fingerprint).
 */

import { type E2ESession, parseE2ESession } from '../e2e/session.js'

export interface SessionFile {
  name: string
  relativePath: string
  size: number
  lastModified: number
  type: string
  comment: string
  done: boolean
}

export interface UploadSession {
  v: 1
  sid: string
  retention: string
  /** Complete downloads each file allows (`''`: no limit). */
  maxDownloads?: string
  /** The uploader's own address for the first-download notice (set after the lock). */
  notifyEmail?: string
  /** The bucket password is needed again for files not created yet; cleared when the upload is finished. */
  password: string
  /** The bucket's upload token (its first creation answered it); later files and the lock need it. */
  bucketToken?: string
  createdAt: number
  files: SessionFile[]
  /** "Encrypt in the browser": the bucket key and file salts (only in this browser, never sent). */
  e2e?: E2ESession
}

export const SESSION_KEY = 'psitransfer.session'

export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
  readonly length: number
  key(index: number): string | null
}

export function loadSession(storage: KeyValueStorage): UploadSession | null {
  try {
    const raw = storage.getItem(SESSION_KEY)
    if (!raw) return null
    const s = JSON.parse(raw) as Partial<UploadSession>
    if (
      s.v !== 1 ||
      typeof s.sid !== 'string' ||
      !Array.isArray(s.files) ||
      typeof s.retention !== 'string'
    ) {
      return null
    }
    const files = s.files.filter(
      (f): f is SessionFile =>
        typeof f?.name === 'string' && typeof f.size === 'number' && typeof f.done === 'boolean',
    )
    if (files.length === 0 || files.every((f) => f.done)) return null
    return {
      v: 1,
      sid: s.sid,
      retention: s.retention,
      ...(typeof s.maxDownloads === 'string' && s.maxDownloads ? { maxDownloads: s.maxDownloads } : {}),
      ...(typeof s.notifyEmail === 'string' && s.notifyEmail ? { notifyEmail: s.notifyEmail } : {}),
      password: s.password ?? '',
      ...(typeof s.bucketToken === 'string' && s.bucketToken ? { bucketToken: s.bucketToken } : {}),
      createdAt: s.createdAt ?? 0,
      files,
      ...(parseE2ESession(s.e2e) ? { e2e: parseE2ESession(s.e2e) } : {}),
    }
  } catch {
    return null
  }
}

export function saveSession(storage: KeyValueStorage, session: UploadSession): void {
  try {
    storage.setItem(SESSION_KEY, JSON.stringify(session))
  } catch {
    // Storage full or disabled (private mode): resuming after reload is then not possible, uploading still is.
  }
}

/** Forgets the session and tus-js-client's stored upload URLs of its bucket. */
export function clearSession(storage: KeyValueStorage, sid?: string): void {
  try {
    storage.removeItem(SESSION_KEY)
    if (!sid) return
    const prefix = `tus::${fingerprintPrefix(sid)}`
    const stale: string[] = []
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i)
      if (k?.startsWith(prefix)) stale.push(k)
    }
    for (const k of stale) storage.removeItem(k)
  } catch {
    // nothing stored, nothing to clear
  }
}

/** Upload URLs tus-js-client stored for unfinished uploads of this bucket (to terminate on "start over"). */
export function storedUploadUrls(storage: KeyValueStorage, sid: string): string[] {
  const prefix = `tus::${fingerprintPrefix(sid)}`
  const urls: string[] = []
  try {
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i)
      if (!k?.startsWith(prefix)) continue
      const url = (JSON.parse(storage.getItem(k) ?? '{}') as { uploadUrl?: unknown }).uploadUrl
      if (typeof url === 'string' && url) urls.push(url)
    }
  } catch {
    // unreadable entries are simply skipped
  }
  return urls
}

/** Identity of a file across page loads (a File object does not survive a reload). */
export interface FileIdentity {
  name: string
  relativePath: string
  size: number
  lastModified: number
}

export function fingerprintPrefix(sid: string): string {
  return `psi::${sid}::`
}

/**
 * tus-js-client fingerprint: scoped to the bucket, so re-adding a file resumes only within the same
 * unfinished upload, never into another bucket.
 */
export function fingerprint(sid: string, f: FileIdentity): string {
  return `${fingerprintPrefix(sid)}${f.relativePath}/${f.name}::${f.size}::${f.lastModified}`
}

/**
 * Finds which restored entry a re-added file belongs to: same name, size and modification time, and the
 * same folder when the re-added file has one (a file dropped alone has lost its folder).
 */
export function matchRestored<T extends FileIdentity>(pending: readonly T[], f: FileIdentity): T | undefined {
  const same = pending.filter(
    (p) => p.name === f.name && p.size === f.size && p.lastModified === f.lastModified,
  )
  return same.find((p) => p.relativePath === f.relativePath) ?? (f.relativePath === '' ? same[0] : undefined)
}
