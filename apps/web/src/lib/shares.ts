/**
 * "My shares": the manage links of the buckets this browser uploaded, kept in localStorage
 * only (the server never lists them), until the person forgets them or they expire.
 */

export interface SavedShare {
  sid: string
  /** The bucket's manage secret (the manage link's fragment). */
  token: string
  createdAt: number
  /** When the share expires as far as this browser knows (`null`: unknown or never). */
  expiresAt: number | null
  /** A few file names, to recognize the share by. */
  names: string[]
}

const KEY = 'psitransfer.shares'
const MAX = 200

function isShare(v: unknown): v is SavedShare {
  const s = v as SavedShare
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.sid === 'string' &&
    typeof s.token === 'string' &&
    typeof s.createdAt === 'number' &&
    (s.expiresAt === null || typeof s.expiresAt === 'number') &&
    Array.isArray(s.names) &&
    s.names.every((n) => typeof n === 'string')
  )
}

/** Saved shares, newest first, without expired ones. */
export function loadShares(store: Storage | null, now = Date.now()): SavedShare[] {
  if (!store) return []
  try {
    const list: unknown = JSON.parse(store.getItem(KEY) ?? '[]')
    if (!Array.isArray(list)) return []
    return list.filter(isShare).filter((s) => s.expiresAt === null || s.expiresAt > now)
  } catch {
    return []
  }
}

function save(store: Storage, list: SavedShare[]): void {
  try {
    store.setItem(KEY, JSON.stringify(list.slice(0, MAX)))
  } catch {
    // Storage full or refused: the done panel still shows the link to copy.
  }
}

/** Adds (or replaces, by bucket id) a share. */
export function rememberShare(store: Storage | null, share: SavedShare): void {
  if (!store) return
  save(store, [share, ...loadShares(store).filter((s) => s.sid !== share.sid)])
}

export function forgetShare(store: Storage | null, sid: string): void {
  if (!store) return
  save(
    store,
    loadShares(store).filter((s) => s.sid !== sid),
  )
}
