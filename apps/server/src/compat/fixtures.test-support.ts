/** File records for the compat tests. */
import { type FileMeta, parseBucketId, parseFileId } from '@psitransfer/core'

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0)

export function fileMeta(
  over: Partial<Omit<FileMeta, 'sid' | 'key'>> & { sid?: string; key?: string } = {},
): FileMeta {
  const { sid = 'a1b2c3d4e5f6', key = 'f47ac10b-58cc-4372-a567-0e02b2c3d479', ...rest } = over
  return {
    sid: parseBucketId(sid),
    key: parseFileId(key),
    name: 'report.pdf',
    relativePath: '',
    comment: '',
    type: 'application/pdf',
    retention: 3600,
    uploadLength: 1234,
    offset: 1234,
    createdAt: T0,
    expiresAt: T0 + 3600_000,
    lastDownload: null,
    downloads: 0,
    bucketLocked: false,
    complete: true,
    extra: {},
    ...rest,
  }
}
