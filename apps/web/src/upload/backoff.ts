/**
 * PsiTransfer's retry schedule: 500 ms, growing ×1.7, capped at 10 s, 30 tries. tus-js-client takes the
 * whole list up front.
 */
export function retryDelays(first = 500, factor = 1.7, cap = 10_000, tries = 30): number[] {
  const out: number[] = []
  let d = first
  for (let i = 0; i < tries; i++) {
    out.push(Math.round(Math.min(d, cap)))
    d *= factor
  }
  return out
}

/**
 * Whether a failed request is worth retrying: network errors (status 0), server errors, and the TUS
 * "try again" statuses 409 (offset mismatch, re-synced by HEAD), 423 (locked) and 429. Other 4xx are
 * final answers (bad metadata, too large, wrong password). Nothing is retried while offline: the queue
 * waits for the `online` event instead of burning through the schedule.
 */
export function shouldRetry(status: number, online: boolean): boolean {
  if (!online) return false
  if (status === 0 || status >= 500) return true
  return status === 409 || status === 423 || status === 429
}
