/**
 * The TUS hooks: PsiTransfer's metadata rules on creation, the upload password on every
 * request, and what happens once an upload completes.
 * @module
 */
import {
  type BucketId,
  type CreateDecision,
  type CreateInput,
  clientExtra,
  type FileMeta,
  type FileRef,
  type Lock,
  newBucketId,
  PsiError,
  parseBucketId,
  parseUploadMetadata,
  type TusHooks,
  type TusRequest,
  withLock,
} from '@psitransfer/core'
import type { RequestFacts } from '../http/client.js'
import type { Logger } from '../logger.js'
import { checkServicePassword } from '../security/auth.js'
import { bucketTokenOf } from './bucket-ids.js'
import type { Reservation } from './bucket-state.js'
import { uploadCompleted } from './complete.js'
import type { UploadDeps } from './deps.js'
import { checkEncryptedCreation } from './encrypted.js'
import {
  admitToRequest,
  REQUEST_FILE_KEY,
  REQUEST_TOKEN_HEADER,
  type UploadRequest,
  verifyRequest,
} from './requests.js'
import {
  admitToBucket,
  type BucketDecision,
  bucketLockId,
  checkFileSize,
  initialExpiry,
  parseComment,
  parseName,
  parseOptionalRelativePath,
  parseRetention,
  parseType,
  precheckBucketPassword,
  requireBucketOwner,
  retentionExpiry,
  uploadRetention,
} from './rules.js'

/** Metadata keys with a meaning here; everything else is kept in `extra`. */
const KNOWN_KEYS = new Set([
  'sid',
  'retention',
  'expiresAt',
  'password',
  'name',
  'filename',
  'relativePath',
  'comment',
  'type',
  'filetype',
])

/** The bucket reservation made by `onCreate`, until the store created the file (or not). */
export interface CreateLockHolder {
  reservation?: Reservation
  /** The bucket id this creation took, with its upload token (answered on success). */
  took?: { sid: BucketId; token: string }
  /** The bucket's lock, held until the store created the file (with a shared ledger). */
  lock?: Lock
}

/** Releases the bucket lock a creation still holds (idempotent). */
export async function releaseBucketLock(holder: CreateLockHolder, log: Logger): Promise<void> {
  const lock = holder.lock
  holder.lock = undefined
  await lock?.release().catch((err: unknown) => log.warn({ err }, 'could not release a bucket lock'))
}

/** Client metadata kept in `extra`: unknown keys, without what only the server sets. */
function extraOf(md: Record<string, string>): Record<string, string> {
  const given: Record<string, string> = {}
  for (const [k, v] of Object.entries(md)) if (!KNOWN_KEYS.has(k) && k !== REQUEST_FILE_KEY) given[k] = v
  // `maxDownloads` is validated here; the server's own download claims cannot be sent.
  return clientExtra(given)
}

export function createUploadHooks(req: RequestFacts, deps: UploadDeps, holder: CreateLockHolder): TusHooks {
  const { config, metrics } = deps
  const log = req.log

  /**
   * A creation through an upload request (`requests.ts`): the request's retention and password,
   * admitted against its limits under the bucket's lock (held, with a shared ledger, until the
   * store created the file, as for any creation).
   */
  async function createForRequest(
    input: CreateInput,
    secret: string,
    createdAt: number,
  ): Promise<CreateDecision> {
    const md = input.metadata
    if (input.concat?.kind === 'partial') {
      throw new PsiError('INVALID_INPUT', 'Uploads through a request cannot be split into parallel parts')
    }
    if (md.sid === undefined || md.sid === '')
      throw new PsiError('INVALID_INPUT', 'tus meta prop missing: sid')
    const sid = parseBucketId(md.sid)
    const request: UploadRequest = await verifyRequest(deps, sid, secret, { open: true })
    if (input.uploadLength === null && request.maxBytes !== null) {
      throw new PsiError('INVALID_INPUT', 'This upload request limits the size: send Upload-Length')
    }
    const retention = parseRetention(request.retention, config)
    const name = parseName(md.name ?? md.filename)
    const relativePath = parseOptionalRelativePath(md.relativePath)
    const comment = parseComment(md.comment)
    const type = parseType(md.type ?? md.filetype)
    checkEncryptedCreation(md, config)
    const extra = { ...extraOf(md), [REQUEST_FILE_KEY]: '1' }
    const expiresAt = initialExpiry(createdAt, retention, config)
    return admitUnderBucketLock(
      input.request,
      sid,
      () =>
        admitToRequest(deps, sid, {
          uploadLength: input.uploadLength,
          expiresAt,
          retainedUntil: retentionExpiry(createdAt, retention, config),
        }),
      { sid, name, relativePath, comment, type, retention, createdAt, expiresAt, bucketLocked: false, extra },
    )
  }

  /**
   * Takes the bucket's lock, admits the file under it (`admit`) and answers the file's fields.
   * The bucket reservation, and with a shared ledger the lock itself, stay with `holder`: a
   * shared ledger and the store agree whenever the lock is free (bucket-ledger.ts), so the lock
   * is released once the store created the file (onCreated; a whole small file sent with its
   * creation is then stored with its bytes, see core's createWhole), or failed to.
   */
  async function admitUnderBucketLock(
    request: TusRequest,
    sid: BucketId,
    admit: () => Promise<BucketDecision>,
    fields: Omit<CreateDecision, 'password'>,
  ): Promise<CreateDecision> {
    const lock = await deps.bucketLocker.lock(bucketLockId(sid), {
      waitMs: 15_000,
      ...(request.signal ? { signal: request.signal } : {}),
    })
    let release = true
    try {
      const decision = await admit()
      if (decision.bucketToken) holder.took = { sid, token: decision.bucketToken }
      if (decision.reservation) holder.reservation = decision.reservation
      if (deps.buckets.ledgers) {
        holder.lock = lock
        release = false
      }
      metrics.inc('psitransfer_uploads_created_total')
      return { ...fields, ...(decision.password ? { password: decision.password } : {}) }
    } finally {
      if (release) await lock.release()
    }
  }

  return {
    async authorize(request: TusRequest, ref: FileRef | undefined) {
      const requestSecret = request.headers.get(REQUEST_TOKEN_HEADER.toLowerCase())
      if (requestSecret !== null) {
        // An upload request's link stands in for the upload password, for its own bucket only
        // (onCreate admits the file against the request). A file already admitted may finish
        // after the request closed.
        const rawSid = ref?.sid ?? parseUploadMetadata(request.headers.get('upload-metadata')).sid
        if (!rawSid) throw new PsiError('INVALID_INPUT', 'tus meta prop missing: sid')
        await verifyRequest(deps, parseBucketId(rawSid), requestSecret, { open: ref === undefined })
      } else {
        await checkServicePassword(req, deps, config.uploadPass, 'upload')
      }
      const method = (request.headers.get('x-http-method-override') ?? request.method).toUpperCase()
      if (ref && method === 'DELETE') {
        // Download URLs contain `sid++key`, so anyone with a link could otherwise terminate a
        // finished file. Termination is for unfinished uploads; admins delete the rest.
        const meta = await deps.store.info(ref).catch(() => undefined)
        if (meta?.complete) {
          throw new PsiError(
            'METHOD_NOT_ALLOWED',
            'Finished files cannot be terminated; ask an admin to delete them',
          )
        }
      }
    },

    async onCreate(input: CreateInput): Promise<CreateDecision> {
      const md = input.metadata
      checkFileSize(input.uploadLength, config)
      const createdAt = deps.clock.now()
      const requestSecret = input.request.headers.get(REQUEST_TOKEN_HEADER.toLowerCase())
      if (requestSecret !== null) return createForRequest(input, requestSecret, createdAt)
      if (input.concat?.kind === 'partial') {
        // Parts of a parallel upload carry no metadata (tus-js-client sends none); each lives
        // in a bucket of its own until the final upload concatenates it, and expires soon.
        return {
          sid: md.sid ? parseBucketId(md.sid) : newBucketId(),
          name: 'partial',
          relativePath: '',
          comment: '',
          type: '',
          retention: parseRetention(undefined, config),
          createdAt,
          expiresAt: initialExpiry(createdAt, parseRetention(undefined, config), config),
          bucketLocked: false,
          extra: {},
        }
      }
      if (md.sid === undefined || md.sid === '')
        throw new PsiError('INVALID_INPUT', 'tus meta prop missing: sid')
      const sid = parseBucketId(md.sid)
      const retention = uploadRetention(md, createdAt, config)
      const name = parseName(md.name ?? md.filename)
      const relativePath = parseOptionalRelativePath(md.relativePath)
      const comment = parseComment(md.comment)
      const type = parseType(md.type ?? md.filetype)
      const password = md.password ? md.password : undefined
      if (config.requireBucketPassword && !password) {
        throw new PsiError('INVALID_INPUT', 'A password is required for every upload')
      }
      checkEncryptedCreation(md, config)
      const extra = extraOf(md)

      const expiresAt = initialExpiry(createdAt, retention, config)
      const token = bucketTokenOf((name) => input.request.headers.get(name), sid)
      // Strangers are refused before any password is verified (creation is no password oracle).
      await requireBucketOwner(deps, sid, token)
      await precheckBucketPassword(req, deps, sid, password)
      return admitUnderBucketLock(
        input.request,
        sid,
        () =>
          admitToBucket(
            req,
            deps,
            sid,
            {
              uploadLength: input.uploadLength,
              expiresAt,
              retainedUntil: retentionExpiry(createdAt, retention, config),
            },
            password,
            token,
          ),
        {
          sid,
          name,
          relativePath,
          comment,
          type,
          retention,
          createdAt,
          expiresAt,
          bucketLocked: false,
          extra,
        },
      )
    },

    onCreated(meta: FileMeta) {
      // The bucket reservation made by onCreate is now this file.
      if (holder.reservation) deps.buckets.commit(holder.reservation, meta)
      holder.reservation = undefined
      // Not awaited: bytes sent with the creation request should not wait for it.
      void releaseBucketLock(holder, log)
    },

    async onComplete(meta: FileMeta) {
      await uploadCompleted(deps, meta)
    },

    onTerminate(meta: FileMeta) {
      deps.buckets.invalidate(meta.sid)
      log.info({ sid: meta.sid, key: meta.key }, 'upload terminated')
    },

    onError(err: unknown) {
      log.error({ err }, 'upload error')
    },

    onBytes(count: number) {
      metrics.inc('psitransfer_upload_bytes_total', {}, count)
    },

    async maxDeferredLength(meta: FileMeta) {
      // maxBucketSize was checked at creation against a declared length; a deferred one is
      // bounded by the room its bucket has left (parts of a parallel upload live alone).
      if (config.maxBucketSize === null || meta.concat?.kind === 'partial') return null
      const besides = () => deps.buckets.bytesBesides(meta.sid, meta.key)
      // With a shared ledger, creations on other instances count once created: wait for those
      // in flight (they hold the bucket's lock until then).
      const bytes = deps.buckets.ledgers
        ? await withLock(deps.bucketLocker, bucketLockId(meta.sid), { waitMs: 15_000 }, besides)
        : await besides()
      return config.maxBucketSize - bytes
    },
  }
}
