import { ManualClock, PsiError } from '@psitransfer/core'
import { describe, expect, it } from 'vitest'
import { KdfGate } from './kdf-gate.js'

function controlledJobs() {
  const started: string[] = []
  const finishers: Array<() => void> = []
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name)
      finishers.push(() => resolve(name))
    })
  /** Finishes the oldest running job and lets the gate hand its slot on. */
  const finishOne = async () => {
    finishers.shift()?.()
    await new Promise((r) => setImmediate(r))
  }
  return { started, job, finishOne }
}

function codeOf(err: unknown): string {
  return err instanceof PsiError ? `${err.code} ${err.status} ${err.details?.retryAfter}` : String(err)
}

describe('Argon2 admission (KdfGate)', () => {
  const options = { concurrency: 1, maxQueued: 100, perClient: 4, perMinute: 100 }

  it("serves waiting clients in turn: one client's queue does not starve another", async () => {
    const gate = new KdfGate(options, new ManualClock(0))
    const { started, job, finishOne } = controlledJobs()
    const done: Array<Promise<string>> = []
    for (let i = 0; i < 4; i++) done.push(gate.run('attacker', job(`a${i}`)))
    for (let i = 0; i < 4; i++) done.push(gate.run('attacker2', job(`b${i}`)))
    done.push(gate.run('victim', job('victim')))
    expect(started).toEqual(['a0'])
    expect(gate.queued).toBe(8)
    while (started.length < 9) await finishOne()
    // First come, first served would run the victim last (after a1..a3, b0..b3).
    expect(started.indexOf('victim')).toBeLessThanOrEqual(3)
    expect(started.slice(0, 4)).toEqual(['a0', 'a1', 'b0', 'victim'])
    await finishOne()
    await Promise.all(done)
    expect(gate.queued).toBe(0)
  })

  it('refuses a client with too many jobs in flight (429), others still get in', async () => {
    const gate = new KdfGate({ ...options, perClient: 2 }, new ManualClock(0))
    const { job, finishOne } = controlledJobs()
    const done = [gate.run('a', job('1')), gate.run('a', job('2'))]
    expect(codeOf(await gate.run('a', job('3')).catch((e) => e))).toBe('RATE_LIMITED 429 1')
    done.push(gate.run('b', job('4')))
    for (let i = 0; i < 3; i++) await finishOne()
    expect(await Promise.all(done)).toEqual(['1', '2', '4'])
    // Finished jobs no longer count.
    const again = gate.run('a', job('5'))
    await finishOne()
    expect(await again).toBe('5')
  })

  it('bounds the queue of all clients together: 503 with Retry-After', async () => {
    const gate = new KdfGate({ ...options, perClient: 1, maxQueued: 2 }, new ManualClock(0))
    const { job, finishOne } = controlledJobs()
    const done = ['a', 'b', 'c'].map((c) => gate.run(c, job(c)))
    const refused = await gate.run('d', job('d')).catch((e) => e)
    expect(refused).toBeInstanceOf(PsiError)
    expect(refused.code).toBe('BUSY')
    expect(refused.status).toBe(503)
    expect(refused.details.retryAfter).toBeGreaterThanOrEqual(1)
    expect(refused.message).toMatch(/busy checking passwords; try again in \d+ second/)
    for (let i = 0; i < 3; i++) await finishOne()
    expect(await Promise.all(done)).toEqual(['a', 'b', 'c'])
  })

  it('limits how many jobs a client starts per minute, refilling over time', async () => {
    const clock = new ManualClock(0)
    const gate = new KdfGate({ ...options, perMinute: 3 }, clock)
    const ok = async () => 'ok'
    for (let i = 0; i < 3; i++) expect(await gate.run('a', ok)).toBe('ok')
    expect(codeOf(await gate.run('a', ok).catch((e) => e))).toBe('RATE_LIMITED 429 20')
    expect(await gate.run('b', ok)).toBe('ok')
    clock.advance(20_000)
    expect(await gate.run('a', ok)).toBe('ok')
    expect(codeOf(await gate.run('a', ok).catch((e) => e))).toBe('RATE_LIMITED 429 20')
  })
})

/** A job that finishes when told to, recording the order jobs started in. */
