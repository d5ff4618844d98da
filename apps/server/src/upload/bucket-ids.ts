/**
 * Who may add to a bucket. A bucket id is taken by its first upload: that creation answers with
 * a random upload token (header {@link BUCKET_TOKEN_HEADER}), and later creations into the id
 * and the lock PATCH must send it. The id stays taken until `maxAge` after the first upload and
 * while any of its files lives, even once the bucket is empty (its one-time file was
 * downloaded, an admin deleted it): otherwise anyone could upload into the id of an old share
 * link and the link would serve their file.
 *
 * The mark is a hidden record of the bucket, `{sid}/psitransfer-bucket` (a complete empty file
 * holding the token's SHA-256, and on stores shared by several instances the bucket's ledger,
 * see `bucket-ledger.ts`), made with `Store.create`, which fails on every store when
 * the record exists: of two first creations of one id, on any instances, exactly one takes it.
 * It expires at `maxAge`, so the retention sweeper (which sees the raw store) deletes it. The
 * token is random and stored hashed, so it survives restarts and works across instances
 * without a shared secret.
 *
 * Only {@link BucketIds} and the sweeper see marks: every route gets the store through
 * {@link hideBucketMarks}, which leaves them out of listings (bucket listings, archives, admin,
 * bucket totals) and answers "not found" for them.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  type BucketId,
  type Clock,
  computeExpiry,
  type FileId,
  type FileMeta,
  type FileRef,
  isExpired,
  isPsiError,
  NotFoundError,
  PsiError,
  type Store,
} from '@psitransfer/core'

export const BUCKET_TOKEN_HEADER = 'X-Bucket-Token'

/**
 * The bucket token also travels as a cookie, for clients that cannot send our header:
 * PsiTransfer's own upload page adds the later files of a bucket and locks it from the same
 * browser, which sends the cookie by itself. `SameSite=Strict` keeps other sites' pages from
 * sending it (no cross-site additions), `HttpOnly` keeps scripts from reading it.
 */
export function bucketTokenCookieName(sid: string): string {
  return `psitransfer-bucket-${sid}`
}

/** `Set-Cookie` for the token of a bucket whose first file was just created. */
export function bucketTokenCookie(sid: string, token: string, path: string, maxAgeSeconds: number): string {
  return `${bucketTokenCookieName(sid)}=${token}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict`
}

/** The bucket token a request carries: our header, else the bucket's cookie. */
export function bucketTokenOf(
  header: (name: string) => string | null | undefined,
  sid: string,
): string | undefined {
  const sent = header(BUCKET_TOKEN_HEADER.toLowerCase())
  if (sent) return sent
  const cookies = header('cookie')
  if (!cookies) return undefined
  const name = `${bucketTokenCookieName(sid)}=`
  for (const part of cookies.split(';')) {
    const p = part.trim()
    if (p.startsWith(name)) return p.slice(name.length) || undefined
  }
  return undefined
}

/**
 * Key in the mark's `extra` of the SHA-256 of the bucket's manage secret (`manage-secret.ts`),
 * which proves ownership like the upload token (so its holder can add files later).
 */
export const MANAGE_HASH_KEY = 'manageSha256'

/**
 * Key in the mark's `extra` of the plain manage secret, kept only for a bucket made by an upload
 * request whose requester asked for e-mail notices (they carry the manage link, see
 * `requests.ts`); replaced with the secret.
 */
export const MANAGE_MAIL_KEY = 'manageSecretForMail'

/** Key of the mark of a used bucket id (never made by `newFileId`, which makes 22 characters). */
export const BUCKET_MARK_KEY = 'psitransfer-bucket' as FileId

export function isBucketMark(ref: Pick<FileRef, 'key'>): boolean {
  return ref.key === BUCKET_MARK_KEY
}

/** Store methods whose first argument is a file ref: a mark is "not found" for them. */
const BY_REF = new Set<PropertyKey>([
  'info',
  'update',
  'append',
  'complete',
  'read',
  'delete',
  'claim',
  'releaseClaim',
  'downloadUrl',
])

/** The store as routes see it: without marks (see the module comment). */
export function hideBucketMarks(store: Store): Store {
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'list') {
        return async function* list(options?: Parameters<Store['list']>[0]) {
          for await (const m of target.list(options)) if (!isBucketMark(m)) yield m
        }
      }
      if (prop === 'create') {
        return (file: { key: FileId }, ...rest: unknown[]) =>
          isBucketMark(file)
            ? Promise.reject(new PsiError('INVALID_INPUT', 'This file id is reserved'))
            : value.call(target, file, ...rest)
      }
      if (BY_REF.has(prop)) {
        return (ref: FileRef, ...rest: unknown[]) =>
          ref && isBucketMark(ref)
            ? Promise.reject(new NotFoundError('File not found'))
            : value.call(target, ref, ...rest)
      }
      return value.bind(target)
    },
  })
}

/**
 * Whether a client may propose `token` for a new bucket: 22–128 base64url characters (22 are
 * 132 bits, like a bucket id; the web app sends 32, i.e. 24 random bytes).
 */
export function isProposableToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{22,128}$/.test(token)
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

interface Mark {
  hash: Buffer
  expiresAt: number | null
}

/** Marks bucket ids as used and checks upload tokens (raw store; cached per process). */
export class BucketIds {
  /**
   * Marks read or made by this process. Token and expiry of a mark never change until it
   * expires (its `extra` also holds the bucket's ledger, see `bucket-ledger.ts`, which does).
   */
  readonly #marks = new Map<string, Mark>()

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** `maxAge` in ms (`null`: marks never expire). */
    private readonly maxAgeMs: number | null,
    private readonly maxCached = 10_000,
  ) {}

  /** The id's live mark, or `undefined` when the id was never taken or its mark expired. */
  async #mark(sid: BucketId): Promise<Mark | undefined> {
    const now = this.clock.now()
    const cached = this.#marks.get(sid)
    if (cached && !isExpired(cached, now)) return cached
    if (cached) this.#marks.delete(sid)
    let meta: FileMeta
    try {
      meta = await this.store.info({ sid, key: BUCKET_MARK_KEY })
    } catch (err) {
      if (isPsiError(err) && err.code === 'NOT_FOUND') return undefined
      throw err
    }
    const hex = meta.extra.tokenSha256
    // A damaged mark still takes the id (nobody can prove to be its uploader).
    const mark = { hash: Buffer.from(typeof hex === 'string' ? hex : '', 'hex'), expiresAt: meta.expiresAt }
    if (isExpired(mark, now)) return undefined
    this.#remember(sid, mark)
    return mark
  }

  #remember(sid: BucketId, mark: Mark): void {
    this.#marks.delete(sid)
    while (this.#marks.size >= this.maxCached) {
      const oldest = this.#marks.keys().next().value
      if (oldest === undefined) break
      this.#marks.delete(oldest)
    }
    this.#marks.set(sid, mark)
  }

  /**
   * `owner`: the id is taken and `token` is its upload token; `stranger`: taken, and the token
   * is missing or wrong; `fresh`: not taken (never, or its mark expired).
   */
  async check(
    sid: BucketId,
    token: string | null | undefined,
    options: { fresh?: boolean } = {},
  ): Promise<'owner' | 'stranger' | 'fresh'> {
    // `fresh`: read the mark from the store (another instance may have released it).
    if (options.fresh) this.#marks.delete(sid)
    const mark = await this.#mark(sid)
    if (!mark) return 'fresh'
    if (!token) return 'stranger'
    const given = sha256(token)
    if (given.length === mark.hash.length && timingSafeEqual(given, mark.hash)) return 'owner'
    // The manage secret can change (it is replaced on request): read it fresh, never cached.
    const managed = (await this.markRecord(sid))?.extra[MANAGE_HASH_KEY]
    const hash = Buffer.from(typeof managed === 'string' ? managed : '', 'hex')
    return hash.length === given.length && timingSafeEqual(given, hash) ? 'owner' : 'stranger'
  }

  /** The id's live mark as stored now (not cached), or `undefined`. */
  async markRecord(sid: BucketId): Promise<FileMeta | undefined> {
    try {
      const meta = await this.store.info({ sid, key: BUCKET_MARK_KEY })
      return isExpired(meta, this.clock.now()) ? undefined : meta
    } catch (err) {
      if (isPsiError(err) && err.code === 'NOT_FOUND') return undefined
      throw err
    }
  }

  /**
   * Merges `extra` into the live mark's; `false` without one. Call under the bucket's lock
   * (`bucketLockId`): the shared ledger is written there too.
   */
  async setMarkExtra(sid: BucketId, extra: Record<string, string>): Promise<boolean> {
    const mark = await this.markRecord(sid)
    if (!mark) return false
    await this.store.update(mark, { extra: { ...mark.extra, ...extra } })
    return true
  }

  /**
   * Takes a fresh id: resolves with its upload token, or `undefined` when the id is taken (by
   * another request, here or on another instance). An expired mark is replaced.
   *
   * `proposed`: a token the client made itself (see {@link isProposableToken}) and sends from
   * its first creation on. Then a creation whose answer was lost can be repeated (the client
   * still holds the token: it is the owner), and parallel first creations of one bucket carrying
   * the same token all succeed. Without one, a random token is made here.
   */
  async take(sid: BucketId, proposed?: string): Promise<string | undefined> {
    return (await this.takeMark(sid, proposed))?.token
  }

  /**
   * {@link take}, telling whether this call made the mark (`created`; with `extra` in it, the
   * bucket's ledger) or joined a parallel first creation with the same proposed token.
   */
  async takeMark(
    sid: BucketId,
    proposed?: string,
    extra: Record<string, string> = {},
  ): Promise<{ token: string; created: boolean } | undefined> {
    const token = proposed ?? randomBytes(24).toString('base64url')
    const hash = sha256(token)
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.clock.now()
      const expiresAt = computeExpiry(now, 'one-time', this.maxAgeMs)
      try {
        const mark = await this.store.create({
          sid,
          key: BUCKET_MARK_KEY,
          name: 'psitransfer-bucket',
          relativePath: '',
          comment: '',
          type: '',
          // With `maxAge` as its expiry; the mark is never listed or downloaded.
          retention: 'one-time',
          uploadLength: 0,
          createdAt: now,
          expiresAt,
          bucketLocked: false,
          extra: { ...extra, tokenSha256: hash.toString('hex') },
        })
        await this.store.complete(mark)
        this.#remember(sid, { hash, expiresAt })
        return { token, created: true }
      } catch (err) {
        if (!isPsiError(err) || err.code !== 'INVALID_INPUT') throw err
      }
      // The mark exists: taken, unless it expired (then the sweeper has not deleted it yet).
      const existing = await this.store.info({ sid, key: BUCKET_MARK_KEY }).catch(() => undefined)
      if (existing && !isExpired(existing, this.clock.now())) {
        // Taken with the same proposed token: a parallel first creation of the same uploader.
        return proposed !== undefined && (await this.check(sid, proposed)) === 'owner'
          ? { token: proposed, created: false }
          : undefined
      }
      if (existing) await this.store.delete(existing).catch(() => {})
    }
    return undefined
  }

  /** Gives back an id taken by {@link take} whose first file was then not created. */
  async release(sid: BucketId): Promise<void> {
    this.#marks.delete(sid)
    await this.store.delete({ sid, key: BUCKET_MARK_KEY }).catch(() => {})
  }
}
