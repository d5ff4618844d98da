/**
 * Password gates: the service passwords (`uploadPass`, `adminPass`, header `x-passwd`) and
 * bucket passwords (header `x-download-pass`). Wrong answers are delayed and counted per
 * client; too many in the window → 429 until it passes.
 * @module
 */
import { PsiError } from '@psitransfer/core'
import type { Context } from 'hono'
import type { AppDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { clientIpOf, honoFacts, type RequestFacts } from '../http/client.js'
import { safeEqual } from './passwords.js'

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

function checkLimit(deps: AppDeps, key: string): void {
  const wait = deps.limiter.retryAfter(key, deps.clock.now())
  if (wait > 0) throw rateLimited(wait)
}

async function failed(deps: AppDeps, key: string): Promise<void> {
  deps.limiter.fail(key, deps.clock.now())
  if (deps.authFailDelayMs > 0) await sleep(deps.authFailDelayMs)
}

/**
 * Checks `x-passwd` against a service password (`false` = not required).
 * Missing → 401, wrong → 403 (the web client shows its password screen on both).
 */
export async function requireServicePassword(
  c: Context<AppEnv>,
  deps: AppDeps,
  expected: string | false,
  scope: 'upload' | 'admin',
): Promise<void> {
  if (expected === false) return
  await checkServicePassword(honoFacts(c, deps.logger), deps, expected, scope)
}

/** {@link requireServicePassword} for any request (the TUS endpoint serves Hono and Node requests). */
export async function checkServicePassword(
  req: RequestFacts,
  deps: AppDeps,
  expected: string | false,
  scope: 'upload' | 'admin',
): Promise<void> {
  if (expected === false) return
  const key = `${scope}|${clientIpOf(req, deps.config.trustProxy)}`
  checkLimit(deps, key)
  const given = req.header('x-passwd')
  if (given === undefined || given === '') {
    throw new PsiError(
      'UNAUTHORIZED',
      scope === 'admin' ? 'Admin password required' : 'Upload password required',
    )
  }
  if (!passwordCandidates(given).some((g) => safeEqual(g, expected))) {
    await failed(deps, key)
    throw new PsiError('FORBIDDEN', 'Wrong password')
  }
  deps.limiter.succeed(key)
}

/**
 * Checks `x-download-pass` against every distinct password hash of a bucket. Missing or wrong
 * → 401 after a short delay.
 */
export async function requireBucketPassword(
  c: Context<AppEnv>,
  deps: AppDeps,
  sid: string,
  hashes: readonly string[],
): Promise<void> {
  if (hashes.length === 0) return
  const key = `bucket|${sid}|${clientIpOf(honoFacts(c, deps.logger), deps.config.trustProxy)}`
  checkLimit(deps, key)
  const given = c.req.header('x-download-pass')
  if (given === undefined || given === '') {
    if (deps.authFailDelayMs > 0) await sleep(deps.authFailDelayMs)
    throw new PsiError('UNAUTHORIZED', 'This download is password protected')
  }
  let ok = false
  for (const candidate of passwordCandidates(given)) {
    if (await deps.verifier.verifyAll(candidate, hashes, deps.clock.now())) {
      ok = true
      break
    }
  }
  if (!ok) {
    await failed(deps, key)
    throw new PsiError('UNAUTHORIZED', 'Wrong password')
  }
  deps.limiter.succeed(key)
}
