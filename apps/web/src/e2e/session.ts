/** The encryption part of a saved upload session (kept with it in localStorage until the bucket is locked). */
import { decodeKey, encodeKey, generateKey } from '@psitransfer/e2e'

/**
 * The bucket key and each file's salt (by upload fingerprint): resuming needs both to recompute
 * exactly the ciphertext the server already holds.
 */
export interface E2ESession {
  key: string
  salts: Record<string, string>
}

export function newE2ESession(): E2ESession {
  return { key: encodeKey(generateKey()), salts: {} }
}

/** A session's e2e part as read from storage, or undefined when absent or malformed. */
export function parseE2ESession(value: unknown): E2ESession | undefined {
  const v = value as Partial<E2ESession> | null | undefined
  if (!v || typeof v.key !== 'string' || typeof v.salts !== 'object' || v.salts === null) return undefined
  try {
    decodeKey(v.key)
  } catch {
    return undefined
  }
  const salts: Record<string, string> = {}
  for (const [k, s] of Object.entries(v.salts)) if (typeof s === 'string') salts[k] = s
  return { key: v.key, salts }
}
