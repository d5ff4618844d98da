import { ApiError } from '../../api/http.js'
import type { ClientConfig } from '../../api/types.js'
import type { Translate } from '../../i18n/index.js'
import { formatBytes } from '../../lib/format.js'
import { checkLimits } from '../../lib/limits.js'
import { isSendablePassword } from '../../lib/password.js'
import { displayPath } from '../../lib/paths.js'
import type { QueueEntry } from '../../upload/queue.js'

/** A failed request in words: offline, rate-limited, or the server's own message. */
export function errorText(e: unknown, t: Translate): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('networkError')
    if (e.status === 429) return t('tooManyAttempts')
    return t('serverError', { message: e.message })
  }
  return t('serverError', { message: e instanceof Error ? e.message : String(e) })
}

/** The files over config.json's size limits, one sentence each; empty when the upload may start. */
export function limitProblems(
  entries: readonly QueueEntry[],
  config: ClientConfig,
  t: Translate,
  locale: string,
): string[] {
  return checkLimits(
    entries.map((e) => ({ path: displayPath(e), size: e.size })),
    config,
  ).map((p) =>
    p.kind === 'fileTooLarge'
      ? t('fileTooLarge', {
          name: p.path,
          size: formatBytes(p.size, locale),
          max: formatBytes(p.max, locale),
        })
      : t('bucketTooLarge', { size: formatBytes(p.total, locale), max: formatBytes(p.max, locale) }),
  )
}

/** Why the bucket password cannot be used, or `undefined` when it can. */
export function passwordProblem(
  password: string,
  requireBucketPassword: boolean,
  t: Translate,
): string | undefined {
  if (requireBucketPassword && !password) return t('passwordMissing')
  if (password && !isSendablePassword(password)) return t('passwordCharacters')
  return undefined
}
