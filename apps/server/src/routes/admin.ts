/**
 * Admin API, guarded by `adminPass` (header `x-passwd`); 404 when no admin password is
 * configured, so the admin surface does not exist at all by default. `{B}admin/data.json` is
 * PsiTransfer's shape (its admin page and scripts read it); our web admin reads its own shape at
 * `{B}api/admin/data.json`.
 * @module
 */
import {
  type FileMeta,
  type FileRef,
  isExpired,
  isOneTime,
  isPsiError,
  NotFoundError,
  PsiError,
  parseBucketId,
} from '@psitransfer/core'
import type { Context } from 'hono'
import type { AdminDataBody, AdminFileBody } from '../api/schemas.js'
import { byCreation, fileSize } from '../bucket.js'
import { adminBody } from '../compat/shapes.js'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { requireServicePassword } from '../security/auth.js'
import { completedOrAsIs } from '../upload/complete.js'

async function requireAdmin(c: Context<AppEnv>, deps: AppDeps): Promise<void> {
  if (deps.config.adminPass === false) throw new NotFoundError('Not found')
  await requireServicePassword(c, deps, deps.config.adminPass, 'admin')
}

function adminFile(f: FileMeta): AdminFileBody {
  return {
    key: f.key,
    name: f.name,
    relativePath: f.relativePath,
    size: fileSize(f),
    uploadLength: f.uploadLength,
    offset: f.offset,
    complete: f.complete,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
    lastDownload: f.lastDownload,
    downloads: f.downloads,
    oneTime: isOneTime(f),
    type: f.type,
    comment: f.comment,
  }
}

/** Every unexpired file the admin sees (complete or not, concatenation parts aside), by bucket. */
async function adminFiles(deps: AppDeps): Promise<Map<string, FileMeta[]>> {
  const now = deps.clock.now()
  const bySid = new Map<string, FileMeta[]>()
  for await (const listed of deps.store.list()) {
    if (isExpired(listed, now) || listed.concat?.kind === 'partial') continue
    const m = await completedOrAsIs(deps, listed)
    const list = bySid.get(m.sid)
    if (list) list.push(m)
    else bySid.set(m.sid, [m])
  }
  return bySid
}

/** `GET {B}admin/data.json`: PsiTransfer's `{ <sid>: [records] }`, `_password: true` for protected files. */
export async function psiAdminData(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  await requireAdmin(c, deps)
  const bySid = await adminFiles(deps)
  c.header('Cache-Control', 'no-store')
  return c.json(adminBody([...bySid.values()].flat()))
}

/** `GET {B}api/admin/data.json`: buckets with totals, for our web admin. */
export async function adminData(c: Context<AppEnv>, deps: AppDeps): Promise<Response> {
  await requireAdmin(c, deps)
  const bySid = await adminFiles(deps)
  let bytes = 0
  let fileCount = 0
  const buckets = [...bySid.entries()].map(([sid, files]) => {
    files.sort(byCreation)
    const size = files.reduce((s, f) => s + fileSize(f), 0)
    bytes += size
    fileCount += files.length
    const downloads = files.flatMap((f) => (f.lastDownload === null ? [] : [f.lastDownload]))
    const expiries = files.map((f) => f.expiresAt)
    return {
      sid,
      createdAt: Math.min(...files.map((f) => f.createdAt)),
      lastDownload: downloads.length ? Math.max(...downloads) : null,
      expiresAt: expiries.includes(null) ? null : Math.max(...(expiries as number[])),
      size,
      protected: files.some((f) => !!f.password),
      locked: files.some((f) => f.bucketLocked),
      files: files.map(adminFile),
    }
  })
  buckets.sort((a, b) => b.createdAt - a.createdAt)
  c.header('Cache-Control', 'no-store')
  return c.json({
    buckets,
    totals: { buckets: buckets.length, files: fileCount, bytes },
  } satisfies AdminDataBody)
}

export async function adminDeleteFile(c: Context<AppEnv>, deps: AppDeps, ref: FileRef): Promise<Response> {
  await requireAdmin(c, deps)
  try {
    await deps.store.delete(ref)
  } catch (err) {
    if (isPsiError(err) && err.code === 'NOT_FOUND') throw new NotFoundError('File not found')
    throw err
  }
  deps.buckets.invalidate(ref.sid)
  deps.logger.info({ sid: ref.sid, key: ref.key }, 'admin deleted a file')
  return c.body(null, 204)
}

export async function adminDeleteBucket(
  c: Context<AppEnv>,
  deps: AppDeps,
  rawSid: string,
): Promise<Response> {
  await requireAdmin(c, deps)
  const sid = parseBucketId(rawSid)
  const refs: FileRef[] = []
  for await (const m of deps.store.list({ sid })) if (m.sid === sid) refs.push({ sid: m.sid, key: m.key })
  if (refs.length === 0) throw new NotFoundError('Bucket not found')
  let failed = 0
  for (const ref of refs) {
    await deps.store.delete(ref).catch((err: unknown) => {
      if (isPsiError(err) && err.code === 'NOT_FOUND') return
      failed++
      deps.logger.warn({ err, sid, key: ref.key }, 'admin bucket delete: a file could not be deleted')
    })
  }
  deps.buckets.invalidate(sid)
  if (failed > 0)
    throw new PsiError('STORE_UNAVAILABLE', `${failed} of ${refs.length} files could not be deleted; retry`)
  deps.logger.info({ sid, files: refs.length }, 'admin deleted a bucket')
  return c.body(null, 204)
}
