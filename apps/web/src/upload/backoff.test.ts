import { describe, expect, it } from 'vitest'
import { retryDelays, shouldRetry } from './backoff.js'

describe('retryDelays', () => {
  it("is PsiTransfer's schedule: 500 ms ×1.7 up to 10 s, 30 tries", () => {
    const d = retryDelays()
    expect(d).toHaveLength(30)
    expect(d.slice(0, 4)).toEqual([500, 850, 1445, 2457])
    expect(Math.max(...d)).toBe(10_000)
    expect(d.at(-1)).toBe(10_000)
  })
})

describe('shouldRetry', () => {
  it('retries network and server errors and the TUS retry statuses', () => {
    for (const s of [0, 500, 502, 503, 507, 409, 423, 429]) expect(shouldRetry(s, true)).toBe(true)
  })

  it('does not retry final answers', () => {
    for (const s of [400, 401, 403, 404, 410, 413, 460]) expect(shouldRetry(s, true)).toBe(false)
  })

  it('does not retry while offline (the queue waits for the online event)', () => {
    expect(shouldRetry(0, false)).toBe(false)
  })
})
