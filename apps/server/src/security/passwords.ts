/**
 * Bucket and service passwords. New bucket passwords are hashed with Argon2id (hash-wasm,
 * PHC string output); PsiTransfer's own Argon2id hashes verify as they are, and legacy
 * plaintext values are compared in constant time.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { KdfPool } from './kdf-pool.js'

/** OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1 (stronger than PsiTransfer's m = 8 MiB, t = 3). */
export const ARGON2_PARAMS = { memorySize: 19456, iterations: 2, parallelism: 1, hashLength: 32 } as const

/** The process's KDF workers (Argon2id never runs on the event loop; see kdf-pool.ts). */
export const kdf = new KdfPool()

export async function hashPassword(password: string): Promise<string> {
  return kdf.hash(password, ARGON2_PARAMS)
}

/** Constant-time string comparison (hashing first makes the time independent of both lengths). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest()
  const db = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(da, db)
}

/** True if `stored` is a password hash we can verify (as opposed to legacy plaintext). */
export function isPasswordHash(stored: string): boolean {
  return stored.startsWith('$argon2')
}

/** Verifies `password` against a stored Argon2 PHC hash or, for legacy data, plaintext. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // A malformed hash never matches (the worker answers false for it).
  if (isPasswordHash(stored)) return kdf.verify(password, stored)
  return safeEqual(password, stored)
}

/**
 * Verifies against several stored hashes (a bucket's files), remembering positive results
 * briefly so that repeated listings of the same bucket do not pay the KDF each time. The same
 * check already running (parallel uploads into one bucket) is joined, not run again.
 */
export class PasswordVerifier {
  readonly #cache = new Map<string, number>()
  readonly #running = new Map<string, Promise<boolean>>()
  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 1000,
  ) {}

  /** `run` admits each KDF job (see kdf-gate.ts); cached and joined checks need none. */
  async verifyAll(
    password: string,
    hashes: Iterable<string>,
    now: number,
    run: <T>(job: () => Promise<T>) => Promise<T> = (job) => job(),
  ): Promise<boolean> {
    for (const stored of new Set(hashes)) {
      const key = createHash('sha256').update(stored).update('\0').update(password).digest('base64')
      const until = this.#cache.get(key)
      if (until !== undefined && until > now) continue
      const own = () => {
        const check = run(() => verifyPassword(password, stored)).finally(() => {
          if (this.#running.get(key) === check) this.#running.delete(key)
        })
        this.#running.set(key, check)
        return check
      }
      const joined = this.#running.get(key)
      // A joined check refused by the gate was another client's refusal: run our own then.
      if (!(await (joined ? joined.catch(own) : own()))) return false
      if (this.#cache.size >= this.maxEntries) {
        const oldest = this.#cache.keys().next().value
        if (oldest !== undefined) this.#cache.delete(oldest)
      }
      this.#cache.set(key, now + this.ttlMs)
    }
    return true
  }
}
