/**
 * End-to-end encrypted uploads (docs/encryption.md): the browser sends ciphertext and a sealed
 * metadata blob under the TUS metadata key `e2e`; the server cannot read either. It only checks
 * the blob's shape, keeps it (in `extra`), lists it, and refuses what needs the plaintext:
 * server-side archives.
 * @module
 */
import { type FileMeta, PsiError } from '@psitransfer/core'
import type { Config } from '../config.js'

/** The `Upload-Metadata` key that carries the sealed metadata blob (base64url). */
export const E2E_METADATA_KEY = 'e2e'

/**
 * Upper bound of a blob, in base64url characters: a 4096-character comment and a long name and
 * path stay below it, and it keeps the TUS headers far from Node's 16 KiB header limit.
 */
export const MAX_E2E_BLOB = 12_000

/** Shortest blob: 40-byte header + 16-byte tag (base64url of 56 bytes). */
const MIN_E2E_BLOB = 75

/** Checks the `e2e` metadata of a creation, if any: only when enabled, only base64url of a sane size. */
export function checkEncryptedCreation(metadata: Record<string, string>, config: Pick<Config, 'e2e'>): void {
  const blob = metadata[E2E_METADATA_KEY]
  if (blob === undefined) return
  if (!config.e2e)
    throw new PsiError('INVALID_INPUT', 'End-to-end encrypted uploads are disabled on this server')
  if (blob.length < MIN_E2E_BLOB || blob.length > MAX_E2E_BLOB || !/^[A-Za-z0-9_-]+$/.test(blob))
    throw new PsiError('INVALID_INPUT', 'The e2e metadata is not a sealed metadata blob (base64url)')
}

/** The file was encrypted in the browser: its content and `e2e` blob are opaque here. */
export function isEncrypted(meta: Pick<FileMeta, 'extra'>): boolean {
  return typeof meta.extra?.[E2E_METADATA_KEY] === 'string'
}

/** What a bucket listing adds to an encrypted file's item (nothing for a plain one). */
export function encryptedItemFields(meta: Pick<FileMeta, 'extra'>): { encrypted?: true; e2e?: string } {
  return isEncrypted(meta) ? { encrypted: true, e2e: meta.extra[E2E_METADATA_KEY]! } : {}
}

/**
 * Archives are built from plaintext names and contents, which the server does not have for an
 * encrypted file: refuse them for a bucket holding any (the web app downloads file by file).
 */
export function refuseEncryptedArchive(files: ReadonlyArray<Pick<FileMeta, 'extra'>>): void {
  if (files.some(isEncrypted))
    throw new PsiError(
      'INVALID_INPUT',
      'This bucket is end-to-end encrypted: the server cannot build an archive of it. Download the files one by one from its page.',
    )
}
