/**
 * The manage secret of a bucket: a random 24-byte token given to its uploader (with the upload
 * token of the first creation, or at once by a curl PUT), kept only as its SHA-256 in the
 * bucket's mark (`upload/bucket-ids.ts`), so it holds across instances and restarts, expires
 * with the mark at `maxAge` and is never derivable from the share link (the bucket id).
 * High entropy makes a plain hash enough (no KDF, no rate limit needed to stop guessing).
 *
 * It authenticates `{B}api/manage/{sid}` (header {@link MANAGE_TOKEN_HEADER}) and proves
 * ownership like the upload token, so its holder can add files later. Anything that creates a
 * bucket for someone (an upload request, later) gives them a manage secret the same way.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type BucketId, withLock } from '@psitransfer/core'
import { MANAGE_HASH_KEY, MANAGE_MAIL_KEY } from './bucket-ids.js'
import type { UploadDeps } from './deps.js'
import { bucketLockId } from './rules.js'

export const MANAGE_TOKEN_HEADER = 'X-Manage-Token'
/** Header of the manage link on upload answers (curl PUT). */
export const MANAGE_URL_HEADER = 'X-Manage-Url'

const TOKEN = /^[A-Za-z0-9_-]{32}$/

function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The web page that manages a bucket: the secret goes in the fragment, never to a server log. */
export function manageUrl(origin: string, baseUrl: string, sid: BucketId, token: string): string {
  return `${origin}${baseUrl}manage/${sid}#${token}`
}

/**
 * A new manage secret and the mark `extra` that makes it the bucket's (for a mark made with it,
 * as an upload request does). `forMail`: the plain secret is kept too, for notices to the
 * requester (see `requests.ts`).
 */
export function newManageSecret(forMail = false): { token: string; extra: Record<string, string> } {
  const token = randomBytes(24).toString('base64url')
  return {
    token,
    extra: { [MANAGE_HASH_KEY]: sha256Hex(token), ...(forMail ? { [MANAGE_MAIL_KEY]: token } : {}) },
  }
}

/**
 * Makes a new manage secret for `sid` and stores its hash (replacing an older one, which stops
 * working). `undefined` when the bucket id has no live mark. `locked`: the caller already holds
 * the bucket's lock.
 */
export async function issueManageToken(
  deps: UploadDeps,
  sid: BucketId,
  options: { locked?: boolean } = {},
): Promise<string | undefined> {
  const token = randomBytes(24).toString('base64url')
  const write = async () => {
    const mark = await deps.bucketIds.markRecord(sid)
    // A secret kept for notices to a requester follows the new one (the old one stops working).
    const extra: Record<string, string> = { [MANAGE_HASH_KEY]: sha256Hex(token) }
    if (mark?.extra[MANAGE_MAIL_KEY]) extra[MANAGE_MAIL_KEY] = token
    return deps.bucketIds.setMarkExtra(sid, extra)
  }
  // The mark also holds the shared ledger: written under the bucket's lock like it.
  const ok = options.locked
    ? await write()
    : await withLock(deps.bucketLocker, bucketLockId(sid), { waitMs: 15_000 }, write)
  return ok ? token : undefined
}

/** Whether `token` is the bucket's current manage secret (read fresh from its mark). */
export async function verifyManageToken(
  deps: UploadDeps,
  sid: BucketId,
  token: string | null | undefined,
): Promise<boolean> {
  if (!token || !TOKEN.test(token)) return false
  const stored = (await deps.bucketIds.markRecord(sid))?.extra[MANAGE_HASH_KEY]
  if (typeof stored !== 'string' || !/^[0-9a-f]{64}$/.test(stored)) return false
  return timingSafeEqual(Buffer.from(sha256Hex(token), 'hex'), Buffer.from(stored, 'hex'))
}
