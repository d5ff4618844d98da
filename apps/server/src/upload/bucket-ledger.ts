/**
 * Bucket admission that holds across server instances sharing a store (S3, Azure): a ledger of
 * the bucket kept in its mark (`{sid}/psitransfer-bucket`, see `bucket-ids.ts`), read and
 * written only under the bucket's lock from the store's own cross-instance locker.
 *
 * The ledger is the bucket's lock flag, its password hash and one entry (declared size, expiry)
 * per admitted file, written before the store creates the file: an admission on another
 * instance reads it fresh and counts every file admitted anywhere, in flight or not, with one
 * read and one write of the mark per new file instead of reading every file's metadata (which
 * made a bucket O(n²)). The lock is held until the store created the file (see `hooks.ts`),
 * so the files in the store and the ledger agree whenever the lock is free.
 *
 * The ledger may over-count, never under-count: files deleted since (terminated uploads, admin
 * deletions, a downloaded one-time file, an upload abandoned before its retention) stay in it
 * until their retention ends. So a refusal is only final after a recount from the files
 * themselves, which also replaces the ledger. A deferred length (unknown until declared) makes
 * every admission recount while that upload lives.
 * @module
 */
import {
  type BucketId,
  type Clock,
  type FileMeta,
  isExpired,
  isPsiError,
  PsiError,
  type Store,
} from '@psitransfer/core'
import { fileSize, isPartial, liveFiles } from '../bucket.js'
import { BUCKET_MARK_KEY } from './bucket-ids.js'

/** Key of the ledger in the mark's `extra`. */
const LEDGER_KEY = 'bucket'

/** An admitted file: declared size, expiry at the end of its retention, 1 while its length is deferred. */
type Entry = [size: number, expiresAt: number | null, deferred?: 1]

interface Ledger {
  locked: boolean
  password?: string
  files: Entry[]
}

/** What admission goes by: a bucket as the ledger, or the cache in `bucket-state.ts`, sees it. */
export interface BucketSnapshot {
  locked: boolean
  /** Password hash shared by the bucket's files (`undefined` = public). */
  password: string | undefined
  /** Files (and reservations) not expired at the time of the call. */
  count: number
  /** Sum of their declared sizes. */
  bytes: number
}

/** What admission knows of a file it lets in. */
export interface AdmittedFile {
  /** Declared length (0 while deferred). */
  size: number
  deferred: boolean
  /** When its retention ends (an unfinished upload may expire sooner; it then over-counts). */
  retainedUntil: number | null
  /** The bucket's password hash the file gets. */
  password: string | undefined
}

/** One admission, under the bucket's lock. */
export interface LedgerAdmission {
  /** The bucket as the ledger says (may over-count, see the module comment). */
  bucket: BucketSnapshot
  /** Counts the bucket from its files; false when `bucket` came from them already. */
  recount(): Promise<boolean>
  /** Adds the file to the ledger of an existing mark (before the store creates the file). */
  add(file: AdmittedFile): Promise<void>
  /** The `extra` of a new bucket's mark: its ledger, holding this first file. */
  markExtra(file: AdmittedFile): Record<string, string>
}

function isEntry(v: unknown): v is Entry {
  return (
    Array.isArray(v) &&
    (v.length === 2 || (v.length === 3 && v[2] === 1)) &&
    Number.isSafeInteger(v[0]) &&
    (v[0] as number) >= 0 &&
    (v[1] === null || Number.isSafeInteger(v[1]))
  )
}

/** The ledger in a mark's `extra`, or `undefined` (a mark from before ledgers, or damaged). */
function decodeLedger(extra: Record<string, string>): Ledger | undefined {
  const text = extra[LEDGER_KEY]
  if (text === undefined) return undefined
  try {
    const v = JSON.parse(text) as Partial<Ledger>
    if (typeof v.locked !== 'boolean' || !Array.isArray(v.files) || !v.files.every(isEntry)) return undefined
    if (v.password !== undefined && typeof v.password !== 'string') return undefined
    return { locked: v.locked, ...(v.password ? { password: v.password } : {}), files: v.files }
  } catch {
    return undefined
  }
}

function entryOf(file: AdmittedFile): Entry {
  return file.deferred ? [file.size, file.retainedUntil, 1] : [file.size, file.retainedUntil]
}

function snapshotOf(ledger: Ledger, now: number): BucketSnapshot & { deferred: boolean } {
  let count = 0
  let bytes = 0
  let deferred = false
  for (const [size, expiresAt, d] of ledger.files) {
    if (isExpired({ expiresAt }, now)) continue
    count++
    bytes += size
    if (d) deferred = true
  }
  return {
    locked: ledger.locked && count > 0,
    password: count > 0 ? ledger.password : undefined,
    count,
    bytes,
    deferred,
  }
}

export class BucketLedgers {
  constructor(
    /** The raw store (marks visible). */
    private readonly store: Store,
    private readonly clock: Clock,
    /** When a file's retention ends (an unfinished upload's expiry is its upload expiry). */
    private readonly retainedUntil: (meta: FileMeta) => number | null,
  ) {}

  async #mark(sid: BucketId): Promise<FileMeta | undefined> {
    try {
      return await this.store.info({ sid, key: BUCKET_MARK_KEY })
    } catch (err) {
      if (isPsiError(err) && err.code === 'NOT_FOUND') return undefined
      throw err
    }
  }

  /** The ledger as the bucket's live files say (O(files): every file's metadata is read). */
  async #count(sid: BucketId): Promise<Ledger> {
    const files = (await liveFiles(this.store, sid, this.clock.now())).filter(
      (f) => !isPartial(f) && f.key !== BUCKET_MARK_KEY,
    )
    const password = files.find((f) => f.password)?.password
    return {
      locked: files.some((f) => f.bucketLocked),
      ...(password ? { password } : {}),
      files: files.map((f) => {
        const until = f.complete ? f.expiresAt : this.retainedUntil(f)
        return f.uploadLength === null ? [fileSize(f), until, 1] : [fileSize(f), until]
      }),
    }
  }

  async #write(mark: FileMeta, ledger: Ledger): Promise<FileMeta> {
    const now = this.clock.now()
    // Files past their retention never count again.
    const files = ledger.files.filter(([, expiresAt]) => !isExpired({ expiresAt }, now))
    const text = JSON.stringify({ ...ledger, files })
    return this.store.update(mark, { extra: { ...mark.extra, [LEDGER_KEY]: text } })
  }

  /** Opens the bucket for one admission (call under the bucket's lock). */
  async open(sid: BucketId): Promise<LedgerAdmission> {
    let mark = await this.#mark(sid)
    let ledger = mark && decodeLedger(mark.extra)
    // Without a ledger (a new id, a bucket from before ledgers) the files are the truth.
    let exact = ledger === undefined
    if (ledger === undefined) ledger = await this.#count(sid)
    let snap = snapshotOf(ledger, this.clock.now())
    const recount = async (): Promise<boolean> => {
      if (exact) return false
      const counted = await this.#count(sid)
      // The lock flag is written to the ledger first (see `lock`): keep it.
      ledger = { ...counted, locked: counted.locked || (ledger as Ledger).locked }
      exact = true
      snap = snapshotOf(ledger, this.clock.now())
      if (mark) mark = await this.#write(mark, ledger)
      return true
    }
    if (snap.deferred) await recount()
    return {
      get bucket() {
        const { deferred: _, ...bucket } = snap
        return bucket
      },
      recount,
      add: async (file) => {
        // The mark appeared after `open`: a parallel first creation of the same uploader took the id.
        if (!mark) {
          mark = await this.#mark(sid)
          ledger = (mark && decodeLedger(mark.extra)) ?? (await this.#count(sid))
          snap = snapshotOf(ledger, this.clock.now())
        }
        // Released (its first file failed) or expired since this uploader's token was checked.
        if (!mark) throw new PsiError('GONE', 'This bucket no longer exists; upload into a new one')
        const current = ledger as Ledger
        // Nothing lives in the bucket: its old lock and password went with its files (as the
        // snapshot says); the file admitted now has passed the checks for the bucket as it is.
        const empty = snap.count === 0
        mark = await this.#write(mark, {
          locked: empty ? false : current.locked,
          // Once the bucket has files, admission gives every new one the bucket's hash.
          ...(file.password ? { password: file.password } : {}),
          files: [...(empty ? [] : current.files), entryOf(file)],
        })
      },
      markExtra: (file) => {
        const first: Ledger = {
          locked: false,
          ...(file.password ? { password: file.password } : {}),
          files: [entryOf(file)],
        }
        return { [LEDGER_KEY]: JSON.stringify(first) }
      },
    }
  }

  /**
   * Replaces the ledger with what the bucket's files say, after an owner changed them (their
   * expiry, password or lock flag, see `routes/manage.ts`): the ledger must not under-count a
   * file whose retention grew. Call under the bucket's lock, after the files were changed.
   */
  async rebuild(sid: BucketId): Promise<void> {
    const mark = await this.#mark(sid)
    if (mark) await this.#write(mark, await this.#count(sid))
  }

  /** Records the bucket lock (call under the bucket's lock, before the files are marked). */
  async lock(sid: BucketId): Promise<void> {
    const mark = await this.#mark(sid)
    // No mark (a bucket from before marks): nobody can add files to it anyway.
    if (!mark) return
    const ledger = decodeLedger(mark.extra) ?? (await this.#count(sid))
    if (!ledger.locked) await this.#write(mark, { ...ledger, locked: true })
  }
}
