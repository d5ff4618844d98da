/**
 * PsiTransfer's upload rules, shared by the TUS endpoint and curl-style PUT: metadata
 * validation, the bucket's lock and password, size limits and expiry.
 * @module
 */
import {
  type BucketId,
  computeExpiry,
  formatFileRef,
  PsiError,
  parseFileName,
  parseRelativePath,
  type Retention,
  UNTIL_DELETED,
} from '@psitransfer/core'
import type { Config } from '../config.js'
import type { RequestFacts } from '../http/client.js'
import { checkBucketPassword, failureDelay, kdfRunner } from '../security/auth.js'
import { hashPassword } from '../security/passwords.js'
import { BUCKET_MARK_KEY, BUCKET_TOKEN_HEADER, isProposableToken } from './bucket-ids.js'
import type { BucketSnapshot } from './bucket-ledger.js'
import type { Reservation } from './bucket-state.js'
import type { UploadDeps } from './deps.js'

const MAX_COMMENT = 4096
const MAX_TYPE = 255

/**
 * A `retention` as clients send it: a listed one (PsiTransfer's rule: anything else is refused,
 * which PsiTransfer's client shows), or `until-deleted` when the operator allows it
 * (`allowNoExpiry`, only without `maxAge`). Empty or missing: `defaultRetention`. A chosen date
 * comes as `expiresAt` instead (see {@link uploadRetention}).
 */
export function parseRetention(value: string | undefined, config: Config): Retention {
  const key = value === undefined || value === '' ? config.defaultRetention : value
  // Own keys only: `constructor` or `toString` are "in" every object and would become NaN.
  if (Object.hasOwn(config.retentions, key)) return key === 'one-time' ? 'one-time' : Number(key)
  const forever = config.allowNoExpiry && config.maxAge === null
  if (key === UNTIL_DELETED) {
    if (forever) return UNTIL_DELETED
    throw new PsiError('INVALID_INPUT', 'This server does not keep files until deleted; choose an expiry')
  }
  const allowed = [...Object.keys(config.retentions), ...(forever ? [UNTIL_DELETED] : [])].join(', ')
  const custom = config.customExpiry ? ' (or send expiresAt with a date)' : ''
  throw new PsiError('INVALID_INPUT', `Invalid retention "${key.slice(0, 64)}"; allowed: ${allowed}${custom}`)
}

/** `maxAge` for people: whole days, hours or minutes when it is one. */
function describeMaxAge(maxAge: number): string {
  for (const [size, unit] of [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ] as const) {
    if (maxAge >= size && maxAge % size === 0) {
      const n = maxAge / size
      return `${n} ${unit}${n === 1 ? '' : 's'}`
    }
  }
  return `${maxAge} seconds`
}

function beyondMaxAge(maxAge: number): PsiError {
  return new PsiError(
    'INVALID_INPUT',
    `This server keeps files at most ${describeMaxAge(maxAge)} after their upload; choose an earlier expiry`,
    { details: { maxAge } },
  )
}

/** ms since 1970, or an ISO 8601 date and time with a time zone (`2026-12-24T18:00Z`, `…+01:00`). */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/

function parseInstant(value: string): number | undefined {
  const v = value.trim()
  if (/^\d{1,15}$/.test(v)) return Number(v)
  const m = ISO_INSTANT.exec(v)
  if (!m) return undefined
  const [y, mo, d, h, mi, s = '0', zh = '0', zm = '0'] = m.slice(1).map((x) => x ?? '0')
  // Date.parse rolls 2026-02-30 over into March: a date that does not exist is refused.
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(zh) > 23 || Number(zm) > 59)
    return undefined
  const ms = Date.parse(v)
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * The retention of a new file: `expiresAt` (a date the uploader chose, see {@link parseInstant})
 * becomes the seconds (to the ms) from `createdAt` to it, so every rule that reads `retention` (the
 * expiry on completion, the sweeper, PsiTransfer's listing) keeps working; else `retention`.
 * A date in the past or beyond `maxAge`, or one when `customExpiry` is off, is refused.
 */
export function uploadRetention(
  given: { retention?: string | undefined; expiresAt?: string | undefined },
  createdAt: number,
  config: Config,
): Retention {
  const expiresAt = given.expiresAt ?? ''
  if (expiresAt === '') return parseRetention(given.retention, config)
  if (given.retention) throw new PsiError('INVALID_INPUT', 'Send either retention or expiresAt, not both')
  if (!config.customExpiry) {
    throw new PsiError(
      'INVALID_INPUT',
      `This server offers only its listed retentions (${Object.keys(config.retentions).join(', ')}); send retention instead of expiresAt`,
    )
  }
  const at = parseInstant(expiresAt)
  if (at === undefined) {
    throw new PsiError(
      'INVALID_INPUT',
      'Invalid expiresAt: send milliseconds since 1970 or an ISO 8601 date with a time zone, such as 2026-12-24T18:00:00Z',
    )
  }
  if (at <= createdAt)
    throw new PsiError('INVALID_INPUT', 'The expiry date lies in the past; choose a later one')
  if (config.maxAge !== null && at > createdAt + config.maxAge * 1000) throw beyondMaxAge(config.maxAge)
  // In ms (a fractional retention): every file of a bucket sent with the same date ends then.
  return (at - createdAt) / 1000
}

export function parseComment(value: string | undefined): string {
  const v = value ?? ''
  if (v.length > MAX_COMMENT)
    throw new PsiError('INVALID_INPUT', `Comment is longer than ${MAX_COMMENT} characters`)
  return v
}

export function parseType(value: string | undefined): string {
  const v = (value ?? '').trim()
  return v.length > MAX_TYPE ? '' : v
}

export function checkFileSize(length: number | null, config: Config): void {
  if (config.maxFileSize !== null && length !== null && length > config.maxFileSize) {
    throw new PsiError(
      'TOO_LARGE',
      `File is larger than the maximum file size of ${config.maxFileSize} bytes`,
      {
        details: { max: config.maxFileSize },
      },
    )
  }
}

/** When an upload expires: its retention (capped by maxAge), and sooner while unfinished. */
export function initialExpiry(createdAt: number, retention: Retention, config: Config): number | null {
  const final = retentionExpiry(createdAt, retention, config)
  if (config.uploadExpiry <= 0) return final
  const unfinished = createdAt + config.uploadExpiry * 1000
  return final === null ? unfinished : Math.min(final, unfinished)
}

export function retentionExpiry(createdAt: number, retention: Retention, config: Config): number | null {
  return computeExpiry(createdAt, retention, config.maxAge === null ? null : config.maxAge * 1000)
}

export interface BucketDecision {
  /** Password hash to store with the new file (`undefined` = unprotected). */
  password: string | undefined
  /** The upload token of a bucket this creation took (its first file). */
  bucketToken?: string
  /** This process's reservation of the file's place (without a shared ledger). */
  reservation?: Reservation
}

/** The new file as admission counts it. */
export interface NewFileFacts {
  /** Declared length, `null` while deferred. */
  uploadLength: number | null
  /** Its expiry while unfinished. */
  expiresAt: number | null
  /** When its retention ends. */
  retainedUntil: number | null
}

/**
 * Checks a new file against its bucket: not locked, same protection as the files already in
 * it (all files of a bucket share one password, so one check unlocks the whole listing), and
 * within `maxBucketSize`; then counts it in the bucket. Callers hold the bucket's lock (see
 * `bucketLockId`) until the file is counted, and with a shared store until it is created.
 *
 * Only the bucket's uploader adds to it ({@link requireBucketOwner}, checked before anything
 * else, so no password is verified for strangers); a fresh id is taken last, once the file
 * passed every other check, and its upload token is returned.
 *
 * `maxBucketSize` counts the declared lengths of every unexpired file of the bucket, including
 * uploads still in progress: otherwise parallel uploads (the web client sends several at once)
 * would each see the same old total and together exceed the limit. Abandoned uploads stop
 * counting when they expire (`uploadExpiry`).
 */
export async function admitToBucket(
  req: RequestFacts,
  deps: UploadDeps,
  sid: BucketId,
  file: NewFileFacts,
  password: string | undefined,
  token: string | null | undefined,
): Promise<BucketDecision> {
  const admission = await deps.buckets.admission(sid)
  // Again under the lock, from the store itself when it is shared (another instance may have
  // released or replaced the mark since this process cached it).
  const state = await deps.bucketIds.check(sid, token, { fresh: deps.buckets.ledgers !== undefined })
  if (state === 'stranger') throw bucketTaken()
  if (state === 'fresh' && admission.bucket.count > 0) {
    // Live files without a live mark take nobody; a shared ledger may over-count them.
    if (!(await admission.recount()) || admission.bucket.count > 0) throw bucketTaken()
  }
  try {
    checkRoom(deps.config, admission.bucket, file.uploadLength)
  } catch (err) {
    // A shared ledger still counts files deleted since: refuse only what the files say.
    if (!(await admission.recount())) throw err
    checkRoom(deps.config, admission.bucket, file.uploadLength)
  }
  // Protection unlike the bucket's is refused: the same recount first (its files may be gone).
  if (admission.bucket.count > 0 && !admission.bucket.password !== !password) await admission.recount()
  const hash = await bucketPassword(req, deps, sid, admission.bucket, password)
  const admitted = {
    size: file.uploadLength ?? 0,
    deferred: file.uploadLength === null,
    expiresAt: file.expiresAt,
    retainedUntil: file.retainedUntil,
    password: hash,
  }
  const counted = (reservation: Reservation | undefined) => (reservation ? { reservation } : {})
  if (state === 'owner') return { password: hash, ...counted(await admission.add(admitted)) }
  if (token && !isProposableToken(token)) {
    throw new PsiError(
      'INVALID_INPUT',
      `${BUCKET_TOKEN_HEADER} of a new bucket must be 22 to 128 base64url characters (A-Z a-z 0-9 - _)`,
    )
  }
  const taken = await deps.bucketIds.takeMark(sid, token || undefined, admission.markExtra(admitted))
  // Another first creation of this id (on this or another instance) was faster.
  if (taken === undefined) throw bucketTaken()
  // A mark made here counts the file in its ledger already; joining one made by a parallel
  // first creation of the same uploader does not.
  const reservation = taken.created && deps.buckets.ledgers ? undefined : await admission.add(admitted)
  return { password: hash, bucketToken: taken.token, ...counted(reservation) }
}

export function checkRoom(config: Config, bucket: BucketSnapshot, uploadLength: number | null): void {
  if (bucket.locked) throw new PsiError('BUCKET_LOCKED', 'Bucket locked')
  if (config.maxBucketSize !== null && bucket.bytes + (uploadLength ?? 0) > config.maxBucketSize) {
    throw new PsiError(
      'TOO_LARGE',
      `Bucket would be larger than the maximum bucket size of ${config.maxBucketSize} bytes`,
      { details: { max: config.maxBucketSize } },
    )
  }
}

function bucketTaken(): PsiError {
  return new PsiError(
    'FORBIDDEN',
    `This bucket exists; only its uploader can add files or lock it (send the ${BUCKET_TOKEN_HEADER} header its first upload answered)`,
  )
}

/**
 * Refuses anyone but the bucket's uploader (see `bucket-ids.ts`): a taken id needs its upload
 * token. An id without a live mark but with live files (its mark expired with `maxAge` before
 * a later file did, or it predates marks) accepts nobody until those files expire. Cached: an
 * owner adding files costs no store read per file.
 */
export async function requireBucketOwner(
  deps: UploadDeps,
  sid: BucketId,
  token: string | null | undefined,
): Promise<'owner' | 'fresh'> {
  const state = await deps.bucketIds.check(sid, token)
  if (state === 'stranger') throw bucketTaken()
  if (state === 'fresh' && (await deps.buckets.get(sid)).count > 0) throw bucketTaken()
  return state
}

function passwordMismatch(): PsiError {
  return new PsiError('INVALID_INPUT', 'The password does not match the one of this bucket')
}

/**
 * Adding a file to a protected bucket proves its password, so creation is a password check like
 * the listing's and shares its limit (same key: bucket and client) and delay. Run before the
 * bucket's creation lock is taken, so a wrong guess's delay does not hold up the bucket's own
 * uploads; {@link admitToBucket} checks again under the lock (a cached or joined check then).
 */
export async function precheckBucketPassword(
  req: RequestFacts,
  deps: UploadDeps,
  sid: BucketId,
  password: string | undefined,
): Promise<void> {
  if (!password) return
  const bucket = await deps.buckets.get(sid)
  if (bucket.count === 0 || !bucket.password) return
  if (!(await checkBucketPassword(req, deps, sid, [bucket.password], [password]))) {
    await failureDelay(deps)
    throw passwordMismatch()
  }
}

async function bucketPassword(
  req: RequestFacts,
  deps: UploadDeps,
  sid: BucketId,
  bucket: BucketSnapshot,
  password: string | undefined,
): Promise<string | undefined> {
  if (bucket.count === 0) return password ? kdfRunner(req, deps)(() => hashPassword(password)) : undefined
  const existing = bucket.password
  if (!existing) {
    if (password) {
      throw new PsiError(
        'INVALID_INPUT',
        'This bucket already has files without a password; upload without one',
      )
    }
    return undefined
  }
  if (!password)
    throw new PsiError('INVALID_INPUT', 'This bucket is password protected; upload with its password')
  if (!(await checkBucketPassword(req, deps, sid, [existing], [password]))) throw passwordMismatch()
  // Reuse the bucket's hash: one verification then covers every file of the bucket.
  return existing
}

/**
 * Id for `UploadDeps.bucketLocker`, serializing admission and the bucket lock per bucket: the
 * mark's upload id, so with a shared store's locker the sweeper never deletes a mark in use.
 */
export function bucketLockId(sid: BucketId): string {
  return formatFileRef({ sid, key: BUCKET_MARK_KEY })
}

export function parseName(value: string | undefined): string {
  if (value === undefined || value === '') throw new PsiError('INVALID_INPUT', 'tus meta prop missing: name')
  return parseFileName(value)
}

export function parseOptionalRelativePath(value: string | undefined): string {
  const trimmed = (value ?? '').replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '' : parseRelativePath(trimmed)
}
