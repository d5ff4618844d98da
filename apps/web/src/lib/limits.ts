/** Client-side size checks against config.json's maxFileSize / maxBucketSize, before anything is sent. */

export interface SizedFile {
  /** Shown in the message. */
  path: string
  size: number
}

export type LimitProblem =
  | { kind: 'fileTooLarge'; path: string; size: number; max: number }
  | { kind: 'bucketTooLarge'; total: number; max: number }

export interface Limits {
  maxFileSize: number | null
  maxBucketSize: number | null
}

/**
 * Every file over `maxFileSize`, and the bucket total over `maxBucketSize`. `alreadyUploaded` counts bytes
 * of this bucket that are on the server already (e.g. after a resumed session).
 */
export function checkLimits(
  files: readonly SizedFile[],
  limits: Limits,
  alreadyUploaded = 0,
): LimitProblem[] {
  const problems: LimitProblem[] = []
  const { maxFileSize, maxBucketSize } = limits
  if (maxFileSize != null && maxFileSize > 0) {
    for (const f of files) {
      if (f.size > maxFileSize)
        problems.push({ kind: 'fileTooLarge', path: f.path, size: f.size, max: maxFileSize })
    }
  }
  if (maxBucketSize != null && maxBucketSize > 0) {
    const total = files.reduce((sum, f) => sum + f.size, alreadyUploaded)
    if (total > maxBucketSize) problems.push({ kind: 'bucketTooLarge', total, max: maxBucketSize })
  }
  return problems
}
