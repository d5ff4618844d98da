/**
 * The requester's e-mail notices, as a digest: the first file after a quiet spell is mailed at
 * once; files completed within `requestNoticeWindow` seconds of the last mail are collected and
 * mailed together when the window ends, so a burst of 50 files makes two mails, none lost.
 *
 * The collected files and the time of the last mail live in the bucket's mark
 * ({@link REQUEST_NOTICE_KEY}), written under the bucket's lock (`bucketLockId`, shared across
 * instances on shared stores), like the request record: a burst spread over several instances
 * fills one list, and exactly one of them claims it when it is due. What is due is sent by
 * whichever comes first: the next completed file, a timer in the process that collected a file,
 * or the retention sweeper (which reads every mark), so a restart makes a mail late, never lost.
 *
 * The quota (`Mailer.take`, 10 mails per bucket and hour in a process) is taken before a list is
 * claimed: refused, the list stays in the mark for later. A claimed mail is queued in this
 * process (retried with backoff, drained at shutdown), as every mail of the server is; a crash
 * between the claim and the SMTP server's answer can lose it, the one window left.
 *
 * The notice carries the requester's manage link, which is a secret: it is sent only to the
 * address the requester gave when making the request (it goes to them, like their own link),
 * never to the uploader, and never the request link. The plain manage secret is kept in the
 * mark for this only when an address was given (`MANAGE_MAIL_KEY`), and replaced when the
 * requester gets a new secret.
 * @module
 */
import { type BucketId, type FileMeta, withLock } from '@psitransfer/core'
import { requestFilesMail } from '../mail/messages.js'
import { MANAGE_MAIL_KEY } from './bucket-ids.js'
import type { UploadDeps } from './deps.js'
import { manageUrl, verifyManageToken } from './manage-secret.js'
import { decodeRequest, type UploadRequest } from './requests.js'
import { bucketLockId } from './rules.js'

/** Key of the notice state in the mark's `extra`. */
export const REQUEST_NOTICE_KEY = 'requestNotice'
/** Files kept by name in the mark (a mail lists 50); the rest is counted only. */
const MAX_KEPT = 50

/** What the mark holds (JSON in `extra[REQUEST_NOTICE_KEY]`). */
export interface NoticeState {
  v: 1
  /** When the last notice was claimed (ms), `null`: never. */
  lastMailAt: number | null
  /** Files completed since and not yet mailed: count, bytes, and the first ones by name. */
  count: number
  bytes: number
  files: { key: string; name: string; size: number }[]
}

const EMPTY: NoticeState = { v: 1, lastMailAt: null, count: 0, bytes: 0, files: [] }

export function decodeNotice(extra: Record<string, string>): NoticeState {
  const text = extra[REQUEST_NOTICE_KEY]
  if (!text) return EMPTY
  try {
    const v = JSON.parse(text) as Partial<NoticeState>
    const ok =
      v.v === 1 &&
      (v.lastMailAt === null || Number.isSafeInteger(v.lastMailAt)) &&
      Number.isSafeInteger(v.count) &&
      Number.isSafeInteger(v.bytes) &&
      Array.isArray(v.files)
    return ok ? (v as NoticeState) : EMPTY
  } catch {
    return EMPTY
  }
}

function encodeNotice(state: NoticeState): Record<string, string> {
  return { [REQUEST_NOTICE_KEY]: JSON.stringify(state) }
}

function windowMs(deps: UploadDeps): number {
  return deps.config.requestNoticeWindow * 1000
}

/** When the collected files are due (ms), `undefined`: nothing collected. */
export function noticeDueAt(state: NoticeState, window: number): number | undefined {
  if (state.count === 0) return undefined
  return state.lastMailAt === null ? 0 : state.lastMailAt + window
}

/** For the sweeper: does this mark (a listed record) hold a notice that is due? */
export function noticeIsDue(deps: UploadDeps, mark: FileMeta, now: number): boolean {
  const due = noticeDueAt(decodeNotice(mark.extra), windowMs(deps))
  return due !== undefined && due <= now
}

/** Per server (keyed by its `bucketIds`): the timers of buckets with files collected here. */
const timers = new WeakMap<object, Map<string, NodeJS.Timeout>>()

function schedule(deps: UploadDeps, sid: BucketId, at: number): void {
  let map = timers.get(deps.bucketIds)
  if (!map) {
    map = new Map()
    timers.set(deps.bucketIds, map)
  }
  if (map.has(sid)) return
  const delay = Math.max(0, at - deps.clock.now())
  const timer = setTimeout(() => {
    map.delete(sid)
    void flushRequestNotice(deps, sid)
  }, delay)
  // A timer never keeps a process alive: what it would send stays in the mark for the sweeper.
  timer.unref()
  map.set(sid, timer)
}

/**
 * Stops this server's digest timers (at shutdown): what they would have sent stays in the marks,
 * for the sweeper of the next process on the store.
 */
export function stopRequestNoticeTimers(deps: UploadDeps): void {
  const map = timers.get(deps.bucketIds)
  for (const timer of map?.values() ?? []) clearTimeout(timer)
  map?.clear()
}

interface Claimed {
  request: UploadRequest
  secret: string
  state: NoticeState
}

/**
 * Under the bucket's lock: adds `file` (if given) to the collected files and claims them when
 * they are due and the quota allows; writes the mark. Resolves with what to mail, or with when
 * to look again.
 */
async function collectAndClaim(
  deps: UploadDeps,
  sid: BucketId,
  file: FileMeta | undefined,
): Promise<{ claimed?: Claimed; retryAt?: number }> {
  const { mailer } = deps
  return withLock(deps.bucketLocker, bucketLockId(sid), { waitMs: 15_000 }, async () => {
    const mark = await deps.bucketIds.markRecord(sid)
    const request = mark && decodeRequest(mark.extra)
    if (!mark || !request) return {}
    let state = decodeNotice(mark.extra)
    const secret = mark.extra[MANAGE_MAIL_KEY]
    // The secret kept for mails must still be the bucket's (it is replaced with it, but check).
    if (!mailer || !request.notify || !secret || !(await verifyManageToken(deps, sid, secret))) {
      // Nobody to tell (any more): what was collected is dropped.
      if (state.count > 0) {
        await deps.bucketIds.setMarkExtra(sid, encodeNotice({ ...EMPTY, lastMailAt: state.lastMailAt }))
      }
      return {}
    }
    let changed = false
    // A file counts once while collected (completion hooks run again after a crash find it
    // here; after its mail went out they would name it again: twice beats never).
    if (file && !state.files.some((f) => f.key === file.key)) {
      const size = file.uploadLength ?? file.offset
      const name = file.relativePath ? `${file.relativePath.replace(/\/$/, '')}/${file.name}` : file.name
      const kept = state.files.length < MAX_KEPT
      state = {
        ...state,
        count: state.count + 1,
        bytes: state.bytes + size,
        files: kept ? [...state.files, { key: file.key, name, size }] : state.files,
      }
      changed = true
    }
    const now = deps.clock.now()
    const due = noticeDueAt(state, windowMs(deps))
    let result: { claimed?: Claimed; retryAt?: number } = {}
    if (due !== undefined && due > now) result = { retryAt: due }
    else if (due !== undefined) {
      if (mailer.take(`request|${sid}`)) {
        result = { claimed: { request, secret, state } }
        state = { ...EMPTY, lastMailAt: now }
        changed = true
      } else {
        deps.logger.warn({ sid }, 'upload request notice delayed: the mail quota of this hour is used')
        result = { retryAt: now + windowMs(deps) }
      }
    }
    if (changed) await deps.bucketIds.setMarkExtra(sid, encodeNotice(state))
    return result
  })
}

async function run(deps: UploadDeps, sid: BucketId, file: FileMeta | undefined): Promise<void> {
  const { claimed, retryAt } = await collectAndClaim(deps, sid, file)
  if (retryAt !== undefined) schedule(deps, sid, retryAt)
  if (!claimed || !deps.mailer) return
  const { request, secret, state } = claimed
  const link = manageUrl(request.origin, deps.config.baseUrl, sid, secret)
  deps.mailer.send(
    'request-files',
    request.notify as string,
    request.lang,
    requestFilesMail(request.lang, {
      count: state.count,
      bytes: state.bytes,
      files: state.files,
      manageLink: link,
    }),
  )
}

/**
 * A file completed through the bucket's request: collect it for the requester's notice, and
 * mail what is due. Never throws (completion goes on); a failure is logged.
 */
export async function collectRequestNotice(deps: UploadDeps, file: FileMeta): Promise<void> {
  try {
    await run(deps, file.sid, file)
  } catch (err) {
    deps.logger.warn({ err, sid: file.sid }, 'could not collect the requester notice of an upload')
  }
}

/** Mails the bucket's collected files if they are due (a timer, the sweeper). Never throws. */
export async function flushRequestNotice(deps: UploadDeps, sid: BucketId): Promise<void> {
  try {
    await run(deps, sid, undefined)
  } catch (err) {
    deps.logger.warn({ err, sid }, 'could not send the requester notice')
  }
}
