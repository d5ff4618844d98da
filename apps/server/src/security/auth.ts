/**
 * Password gates: the service passwords (`uploadPass`, `adminPass`, header `x-passwd`) and
 * bucket passwords (header `x-download-pass`, and `password` when a file is added to a
 * protected bucket). Attempts are counted per client (and bucket) before they are checked and
 * forgotten on success; wrong answers are delayed; too many in the window → 429 until it passes.
 * @module
 */
import { type Clock, PsiError } from '@psitransfer/core'
import type { Context } from 'hono'
import type { Config } from '../config.js'
import type { AppEnv } from '../env.js'
import { clientKeyOf, honoFacts, type RequestFacts } from '../http/client.js'
import type { Logger } from '../logger.js'
import type { KdfGate, KdfRun } from './kdf-gate.js'
import { type PasswordVerifier, safeEqual } from './passwords.js'
import type { FailureRateLimiter } from './rate-limit.js'

/** What the password gates need (a part of the app's deps). */
export interface AuthDeps {
  config: Pick<Config, 'trustProxy'>
  clock: Clock
  logger: Logger
  limiter: FailureRateLimiter
  verifier: PasswordVerifier
  /** Admission of Argon2 jobs (hashing and checking bucket passwords) per client. */
  kdfGate: KdfGate
  /** Delay before answering a wrong password (slows guessing; PsiTransfer waits 200–500 ms). */
  authFailDelayMs: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * What a password header may mean. Header values are Latin-1 on the wire, so the web client
 * percent-encodes passwords with other characters (`ü` is fine, `密码` arrives as `%E5%AF%86…`).
 * The raw value is tried first, so a password that really contains `%xx` still works.
 */
export function passwordCandidates(given: string): string[] {
  if (!/%[0-9A-Fa-f]{2}/.test(given)) return [given]
  try {
    const decoded = decodeURIComponent(given)
    return decoded === given ? [given] : [given, decoded]
  } catch {
    return [given]
  }
}

function rateLimited(seconds: number): PsiError {
  return new PsiError('RATE_LIMITED', `Too many wrong passwords; try again in ${seconds} seconds`, {
    details: { retryAfter: seconds },
  })
}

function checkLimit(deps: AuthDeps, key: string): void {
  const wait = deps.limiter.retryAfter(key, deps.clock.now())
  if (wait > 0) throw rateLimited(wait)
}

/** Counts an attempt before it is checked (see `FailureRateLimiter.attempt`), or throws 429. */
function countAttempt(deps: AuthDeps, key: string): void {
  const wait = deps.limiter.attempt(key, deps.clock.now())
  if (wait > 0) throw rateLimited(wait)
}

/** The delay a wrong password is answered after. */
export async function failureDelay(deps: AuthDeps): Promise<void> {
  if (deps.authFailDelayMs > 0) await sleep(deps.authFailDelayMs)
}

/** Argon2 jobs of this request, admitted per client (see kdf-gate.ts). */
export function kdfRunner(req: RequestFacts, deps: AuthDeps): KdfRun {
  return deps.kdfGate.runner(clientKeyOf(req, deps.config.trustProxy))
}

/**
 * Checks `x-passwd` against a service password (`false` = not required).
 * Missing → 401, wrong → 403 (the web client shows its password screen on both).
 */
export async function requireServicePassword(
  c: Context<AppEnv>,
  deps: AuthDeps,
  expected: string | false,
  scope: 'upload' | 'admin',
): Promise<void> {
  if (expected === false) return
  await checkServicePassword(honoFacts(c, deps.logger), deps, expected, scope)
}

/** {@link requireServicePassword} for any request (the TUS endpoint serves Hono and Node requests). */
export async function checkServicePassword(
  req: RequestFacts,
  deps: AuthDeps,
  expected: string | false,
  scope: 'upload' | 'admin',
): Promise<void> {
  if (expected === false) return
  const key = `${scope}|${clientKeyOf(req, deps.config.trustProxy)}`
  checkLimit(deps, key)
  const given = req.header('x-passwd')
  if (given === undefined || given === '') {
    throw new PsiError(
      'UNAUTHORIZED',
      scope === 'admin' ? 'Admin password required' : 'Upload password required',
    )
  }
  countAttempt(deps, key)
  if (!passwordCandidates(given).some((g) => safeEqual(g, expected))) {
    await failureDelay(deps)
    throw new PsiError('FORBIDDEN', 'Wrong password')
  }
  deps.limiter.succeed(key)
}

/**
 * Whether `candidates` (one password, in the forms it may have been sent) match every hash of
 * bucket `sid`. Counted per bucket and client before the check, so parallel guesses are limited
 * like sequential ones (429 once used up; a match forgets the count); the Argon2 jobs go through
 * the client's admission (429/503 when refused, and then the attempt is given back). No delay:
 * callers wait {@link failureDelay} on `false`, outside any lock they hold.
 */
export async function checkBucketPassword(
  req: RequestFacts,
  deps: AuthDeps,
  sid: string,
  hashes: readonly string[],
  candidates: readonly string[],
): Promise<boolean> {
  const client = clientKeyOf(req, deps.config.trustProxy)
  const key = `bucket|${sid}|${client}`
  countAttempt(deps, key)
  const admit = deps.kdfGate.runner(client)
  let checked = false
  const run: KdfRun = async (job) => {
    const result = await admit(job)
    checked = true
    return result
  }
  try {
    for (const candidate of candidates) {
      if (await deps.verifier.verifyAll(candidate, hashes, deps.clock.now(), run)) {
        deps.limiter.succeed(key)
        return true
      }
    }
  } catch (err) {
    // Refused before any password was compared: this attempt tried nothing.
    if (!checked) deps.limiter.refund(key, deps.clock.now())
    throw err
  }
  return false
}

/**
 * Checks `x-download-pass` against every distinct password hash of a bucket. Missing or wrong
 * → 401 after a short delay.
 */
export async function requireBucketPassword(
  c: Context<AppEnv>,
  deps: AuthDeps,
  sid: string,
  hashes: readonly string[],
): Promise<void> {
  if (hashes.length === 0) return
  const req = honoFacts(c, deps.logger)
  checkLimit(deps, `bucket|${sid}|${clientKeyOf(req, deps.config.trustProxy)}`)
  const given = c.req.header('x-download-pass')
  if (given === undefined || given === '') {
    await failureDelay(deps)
    throw new PsiError('UNAUTHORIZED', 'This download is password protected')
  }
  if (!(await checkBucketPassword(req, deps, sid, hashes, passwordCandidates(given)))) {
    await failureDelay(deps)
    throw new PsiError('UNAUTHORIZED', 'Wrong password')
  }
}
