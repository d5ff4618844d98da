/**
 * `storage.type: s3`: the options, parsed by hand so every mistake gets a message naming the key.
 * @module
 */
import { type ConfigFields, PsiError } from '@psitransfer/core'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB
/** S3's limits: parts of 5 MiB – 5 GiB (the last may be smaller), at most 10,000 of them. */
export const MIN_PART_SIZE = 5 * MiB
export const MAX_PART_SIZE = 5 * GiB
export const MAX_PARTS = 10_000

export type ChecksumMode = 'when-required' | 'when-supported'

export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** Seconds; see {@link S3StoreConfig.lockTtl}. */
export const DEFAULT_LOCK_TTL = 5

export interface S3StoreConfig {
  /** Bucket holding everything (required; the store does not create it). */
  bucket: string
  /** Default `us-east-1`. */
  region: string
  /** Custom endpoint (MinIO, Ceph RGW, R2, …); AWS when absent. */
  endpoint?: string
  /** Path-style URLs (`endpoint/bucket/key`). Default: on with a custom endpoint, off for AWS. */
  forcePathStyle: boolean
  /** Static credentials; the SDK's default provider chain (env, profile, IAM role) when absent. */
  credentials?: S3Credentials
  /** Key prefix for every object, e.g. `psitransfer/`. Default none. */
  prefix: string
  /** Seconds a presigned download URL stays valid. Default 3600. */
  signedUrlExpiry: number
  /** Multipart part size in bytes (5 MiB – 5 GiB). Default 8 MiB. Grown per upload to stay within 10,000 parts. */
  partSize: number
  /**
   * Lets an upload of known length whose first PATCH ends below a part use smaller parts:
   * `max(5 MiB, bytes buffered before part 1)`, at most `partSize`. Clients sending chunks
   * smaller than a part (PsiTransfer's 5,000,000 bytes) then re-send the fewest bytes. Default true.
   */
  adaptivePartSize: boolean
  /** Part size for uploads whose length is deferred (unknown at creation). Default 4 × partSize. */
  deferredPartSize: number
  /** Parts uploaded in parallel per request while the next bytes stream in. Default 4. */
  maxConcurrentPartUploads: number
  /**
   * Upper bound of bytes buffered in memory by the whole store (all uploads). Default 4 × partSize:
   * 8 uploads at once then peak at about 167 MiB RSS instead of 201 MiB with 8 × partSize, at the
   * same throughput on the bench (one 16 MiB-PATCH upload too: 144 against 116-144 MiB/s).
   */
  maxBufferedBytes: number
  /**
   * Request checksums: `when-required` (only where S3 demands one) or `when-supported` (the SDK's
   * default, CRC32 on every upload). Default: `when-required` with a custom endpoint, since many
   * S3-compatible servers (Ceph RGW 16, older MinIO) reject the SDK's aws-chunked trailers.
   */
  checksums: ChecksumMode
  /**
   * Seconds an upload lock lives without renewal: a crashed holder blocks its upload about this
   * long (plus up to a second). Holders renew every third of it. Default 5.
   */
  lockTtl: number
  /** SDK attempts per request (retries with backoff on throttling, 5xx and network errors). Default 3. */
  maxAttempts: number
  /** Milliseconds a connection may stay idle mid-request before it is abandoned and retried. Default 60000. */
  requestTimeoutMs: number
  /**
   * Offer direct uploads: browsers PUT file parts to presigned URLs, straight into the bucket
   * (`S3Store.directUpload`; the bucket needs a CORS rule, see README.md). Default false.
   */
  directUpload: boolean
}

/**
 * The options and their kinds: the parser's known keys and, through the definition, the
 * `PSITRANSFER_STORAGE_*` variables (one table, so the two cannot drift apart).
 */
export const S3_CONFIG_FIELDS = {
  bucket: 'string',
  region: 'string',
  endpoint: 'string',
  forcePathStyle: 'boolean',
  credentials: { accessKeyId: 'string', secretAccessKey: 'string', sessionToken: 'string' },
  prefix: 'string',
  signedUrlExpiry: 'number',
  partSize: 'number',
  adaptivePartSize: 'boolean',
  deferredPartSize: 'number',
  maxConcurrentPartUploads: 'number',
  maxBufferedBytes: 'number',
  checksums: 'string',
  lockTtl: 'number',
  maxAttempts: 'number',
  requestTimeoutMs: 'number',
  directUpload: 'boolean',
} as const satisfies ConfigFields

const KNOWN_KEYS = Object.keys(S3_CONFIG_FIELDS)
const CREDENTIAL_KEYS = Object.keys(S3_CONFIG_FIELDS.credentials)

export type S3StoreOptions = Pick<S3StoreConfig, 'bucket'> & Partial<Omit<S3StoreConfig, 'bucket'>>

function bad(message: string): PsiError {
  return new PsiError('STORE_MISCONFIGURED', message)
}

function str(raw: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = raw[key]
  if (v === undefined) {
    if (required) throw bad(`storage.${key} is required for storage.type "s3"`)
    return undefined
  }
  if (typeof v !== 'string' || v.trim() === '' || v.trim() !== v) {
    throw bad(`storage.${key} must be a non-empty string without surrounding spaces`)
  }
  return v
}

function int(
  raw: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  unit = '',
): number | undefined {
  const v = raw[key]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw bad(
      `storage.${key} must be an integer from ${min}${unit} to ${max}${unit} (got ${JSON.stringify(v)})`,
    )
  }
  return v
}

function bool(raw: Record<string, unknown>, key: string): boolean | undefined {
  const v = raw[key]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw bad(`storage.${key} must be true or false (got ${JSON.stringify(v)})`)
  return v
}

// S3 bucket naming rules (lowercase, digits, dots, hyphens; 3–63 chars). Looser on purpose for
// S3-compatible servers that allow more (underscores, uppercase on RGW with relaxed names).
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/

function parsePrefix(v: string | undefined): string {
  if (v === undefined) return ''
  if (v.length > 512) throw bad('storage.prefix must be at most 512 characters')
  if (
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
    /[\u0000-\u001f\u007f\\]/.test(v) ||
    v.startsWith('/') ||
    v.split('/').some((s) => s === '.' || s === '..')
  ) {
    throw bad(
      'storage.prefix must be a relative key prefix such as "psitransfer/" (no "..", "\\", leading "/" or control characters)',
    )
  }
  return v
}

function parseCredentials(v: unknown): S3Credentials | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw bad('storage.credentials must be an object { accessKeyId, secretAccessKey, sessionToken? }')
  }
  const c = v as Record<string, unknown>
  // The SDK marks credential objects it has used with `$source`; that is not a user setting.
  for (const k of Object.keys(c).filter((key) => !key.startsWith('$'))) {
    if (!CREDENTIAL_KEYS.includes(k)) {
      throw bad(
        `storage.credentials.${k} is not a credentials field (known: accessKeyId, secretAccessKey, sessionToken)`,
      )
    }
  }
  const out: S3Credentials = {
    accessKeyId: requiredCred(c, 'accessKeyId'),
    secretAccessKey: requiredCred(c, 'secretAccessKey'),
  }
  if (c.sessionToken !== undefined) out.sessionToken = requiredCred(c, 'sessionToken')
  return out
}

function requiredCred(c: Record<string, unknown>, key: string): string {
  const v = c[key]
  if (typeof v !== 'string' || v === '') throw bad(`storage.credentials.${key} must be a non-empty string`)
  return v
}

/** Validates the `storage` section (without `type`) and fills in defaults. */
export function parseS3StoreConfig(input: unknown): S3StoreConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('storage must be an object with at least { bucket } for storage.type "s3"')
  }
  const raw = input as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw bad(`storage.${key} is not an option of storage.type "s3" (known: ${KNOWN_KEYS.join(', ')})`)
    }
  }
  const bucket = str(raw, 'bucket', true) as string
  if (!BUCKET.test(bucket)) throw bad(`storage.bucket "${bucket}" is not a valid bucket name`)
  const endpoint = str(raw, 'endpoint', false)
  if (endpoint !== undefined) {
    let url: URL
    try {
      url = new URL(endpoint)
    } catch {
      throw bad(`storage.endpoint must be a URL such as https://s3.example.com (got "${endpoint}")`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw bad('storage.endpoint must be an http:// or https:// URL')
    }
    if (url.username || url.password)
      throw bad('storage.endpoint must not contain credentials; use storage.credentials')
  }
  const partSize = int(raw, 'partSize', MIN_PART_SIZE, MAX_PART_SIZE, ' bytes') ?? 8 * MiB
  const deferredPartSize =
    int(raw, 'deferredPartSize', MIN_PART_SIZE, MAX_PART_SIZE, ' bytes') ??
    Math.min(MAX_PART_SIZE, 4 * partSize)
  const maxConcurrentPartUploads = int(raw, 'maxConcurrentPartUploads', 1, 64) ?? 4
  const maxBufferedBytes =
    int(raw, 'maxBufferedBytes', partSize, Number.MAX_SAFE_INTEGER, ' bytes') ?? 4 * partSize
  const checksums = raw.checksums ?? (endpoint ? 'when-required' : 'when-supported')
  if (checksums !== 'when-required' && checksums !== 'when-supported') {
    throw bad(
      `storage.checksums must be "when-required" or "when-supported" (got ${JSON.stringify(checksums)})`,
    )
  }
  const config: S3StoreConfig = {
    bucket,
    region: str(raw, 'region', false) ?? 'us-east-1',
    forcePathStyle: bool(raw, 'forcePathStyle') ?? endpoint !== undefined,
    prefix: raw.prefix === '' ? '' : parsePrefix(str(raw, 'prefix', false)),
    signedUrlExpiry: int(raw, 'signedUrlExpiry', 1, 604_800, ' s') ?? 3600,
    partSize,
    adaptivePartSize: bool(raw, 'adaptivePartSize') ?? true,
    deferredPartSize,
    maxConcurrentPartUploads,
    maxBufferedBytes,
    checksums,
    lockTtl: int(raw, 'lockTtl', 3, 86_400, ' s') ?? DEFAULT_LOCK_TTL,
    maxAttempts: int(raw, 'maxAttempts', 1, 20) ?? 3,
    requestTimeoutMs: int(raw, 'requestTimeoutMs', 1000, 3_600_000, ' ms') ?? 60_000,
    directUpload: bool(raw, 'directUpload') ?? false,
  }
  if (endpoint !== undefined) config.endpoint = endpoint
  const credentials = parseCredentials(raw.credentials)
  if (credentials) config.credentials = credentials
  return config
}

/**
 * Part size for an upload: the configured size, grown (in whole MiB) so the upload fits in
 * 10,000 parts. Deferred lengths use `deferredPartSize`.
 */
export function partSizeFor(
  uploadLength: number | null,
  config: Pick<S3StoreConfig, 'partSize' | 'deferredPartSize'>,
): number {
  if (uploadLength === null) return config.deferredPartSize
  const needed = Math.ceil(uploadLength / MAX_PARTS)
  if (needed <= config.partSize) return config.partSize
  return Math.min(MAX_PART_SIZE, Math.ceil(needed / MiB) * MiB)
}

/** Largest upload a part size allows. */
export function maxUploadFor(partSize: number): number {
  return partSize * MAX_PARTS
}
