import { Upload } from 'tus-js-client'
import type { Api } from '../../api/client.js'
import { editBucket, type ManagedBucket } from '../../api/manage.js'
import type { ClientConfig } from '../../api/types.js'
import { customRetention, retentionMetadata, UNTIL_DELETED } from '../../lib/retention.js'
import { failureOf } from '../../upload/tus.js'

/** The retention of files added to a share: its expiry as a chosen date, else the default (capped after). */
export function shareRetention(bucket: ManagedBucket, config: ClientConfig, now: number): string {
  if (bucket.expiresAt !== null && bucket.expiresAt > now + 1000 && config.customExpiry) {
    return customRetention(bucket.expiresAt)
  }
  const forever = bucket.files.some((f) => f.expiresAt === null && !f.oneTime)
  if (bucket.expiresAt === null && forever && config.untilDeleted) return UNTIL_DELETED
  return config.defaultRetention
}

/**
 * Adds files to a managed share: unlock it, upload each file over TUS with the manage secret as
 * the bucket's upload token (the server accepts either), then lock it again with the share's
 * expiry. New files carry the share's expiry (`expiresAt`, or `until-deleted` for a share kept
 * until deleted) where the server takes it, its download limit and, for a protected share, its
 * password (which the server checks).
 */
export async function addFilesToShare(
  api: Api,
  bucket: ManagedBucket,
  token: string,
  files: readonly File[],
  password: string,
  onFile: (name: string) => void,
): Promise<ManagedBucket> {
  const config = await api.config()
  if (bucket.locked) await editBucket(api, bucket.sid, token, { locked: false })
  const limited = bucket.files.find((f) => !f.oneTime && f.downloadLimit !== null)?.downloadLimit
  const retention = shareRetention(bucket, config, Date.now())
  try {
    for (const file of files) {
      onFile(file.name)
      await new Promise<void>((resolve, reject) => {
        new Upload(file, {
          endpoint: new URL(config.tusEndpoint, api.base).href,
          chunkSize: config.chunkSize && config.chunkSize > 0 ? config.chunkSize : 5_000_000,
          retryDelays: [0, 1000, 3000],
          metadata: {
            sid: bucket.sid,
            name: file.name,
            type: file.type || 'application/octet-stream',
            ...retentionMetadata(retention),
            ...(password ? { password } : {}),
            ...(limited ? { maxDownloads: String(limited) } : {}),
          },
          headers: { 'X-Bucket-Token': token },
          storeFingerprintForResuming: false,
          onSuccess: () => resolve(),
          onError: (err) => reject(new Error(failureOf(err).message)),
        }).start()
      })
    }
  } finally {
    // Locked again even when an upload failed: the share was finished before.
    const latest = bucket.expiresAt !== null && bucket.expiresAt > Date.now() ? bucket.expiresAt : undefined
    bucket = await editBucket(api, bucket.sid, token, {
      locked: true,
      ...(latest !== undefined ? { expiresAt: latest } : {}),
    })
  }
  return bucket
}
