/**
 * `storage.type: azure`: the options as a zod schema (so a loader can derive environment
 * variables from it) and a parser whose errors name the key, as the other stores' do.
 * @module
 */
import { PsiError } from '@psitransfer/core'
import { z } from 'zod'

export const MiB = 1024 * 1024
/** Azure's limits for block blobs (service version 2019-12-12 and later). */
export const MAX_BLOCK_SIZE = 4000 * MiB
export const MAX_COMMITTED_BLOCKS = 50_000
export const MIN_BLOCK_SIZE = MiB

const name = (what: string) => z.string().trim().min(1, `${what} must not be empty`)

// Container names: 3–63 lowercase letters, digits and single hyphens (Azure's rule).
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/

export const azureStoreConfigSchema = z.strictObject({
  /** `DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;BlobEndpoint=…` (Azurite's works too). */
  connectionString: name('connectionString').optional(),
  /** Storage account name, with `accountKey` (instead of a connection string). */
  accountName: name('accountName').optional(),
  accountKey: name('accountKey').optional(),
  /** Blob endpoint, default `https://{accountName}.blob.core.windows.net`. */
  endpoint: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .refine((u) => !new URL(u).username && !new URL(u).password, 'must not contain credentials')
    .optional(),
  container: z.string().regex(CONTAINER, 'must be 3–63 lowercase letters, digits and single hyphens'),
  /** Create the container at startup when it is missing. */
  createContainer: z.boolean().default(false),
  /** Prefix of every blob name, e.g. `psitransfer/`. */
  prefix: z
    .string()
    .max(512)
    .refine(
      (p) =>
        // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
        !/[\u0000-\u001f\u007f\\]/.test(p) &&
        !p.startsWith('/') &&
        !p.split('/').some((s) => s === '.' || s === '..'),
      'must be a relative prefix such as "psitransfer/" (no "..", "\\", leading "/" or control characters)',
    )
    .default(''),
  /** Seconds a SAS download URL stays valid. */
  signedUrlExpiry: z.number().int().min(1).max(604_800).default(3600),
  /** Largest block staged per request, bytes; grown per upload so a file fits in 50,000 blocks. */
  blockSize: z
    .number()
    .int()
    .min(MIN_BLOCK_SIZE, `must be at least ${MIN_BLOCK_SIZE} bytes`)
    .max(MAX_BLOCK_SIZE, `must be at most ${MAX_BLOCK_SIZE} bytes`)
    .default(8 * MiB),
  /** Seconds without a heartbeat after which another instance breaks an upload's lease. */
  lockStaleAfter: z.number().int().min(4).max(60).default(6),
  /** Incomplete uploads untouched for this many seconds are removed by `sweep()`; 0 = never. */
  abandonedUploadTtl: z.number().int().min(0).default(0),
  /** SDK attempts per request (exponential backoff on throttling, 5xx, network errors). */
  maxAttempts: z.number().int().min(1).max(20).default(3),
  /** Milliseconds a single request may take before it is abandoned and retried. */
  requestTimeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000),
})

export type AzureStoreConfig = z.output<typeof azureStoreConfigSchema>
export type AzureStoreOptions = z.input<typeof azureStoreConfigSchema>

/** Validates the `storage` section (without `type`); errors name the key and the value. */
export function parseAzureStoreConfig(input: unknown): AzureStoreConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('storage must be an object with at least { container } for storage.type "azure"')
  }
  const result = azureStoreConfigSchema.safeParse(input)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `storage.${k} is not an option of storage.type "azure"`).join('; ')
      }
      const key = issue.path.map(String).join('.')
      const value = (input as Record<string, unknown>)[String(issue.path[0])]
      // Secrets are never echoed back.
      const shown = /key|connectionString/i.test(key) ? '(hidden)' : JSON.stringify(value)
      return `storage.${key} ${issue.message} (got ${shown})`
    })
    throw bad(lines.join('; '))
  }
  const config = result.data
  const byKey = config.accountName !== undefined || config.accountKey !== undefined
  if (config.connectionString !== undefined && byKey) {
    // Messages start with the key, so the server can name its variable next to it.
    throw bad(
      'storage.connectionString must not be combined with storage.accountName/accountKey; set one or the other',
    )
  }
  if (config.connectionString === undefined && (!config.accountName || !config.accountKey)) {
    throw bad(
      'storage.connectionString is required for storage.type "azure", or else storage.accountName and storage.accountKey',
    )
  }
  return config
}

function bad(message: string): PsiError {
  return new PsiError('STORE_MISCONFIGURED', message)
}

/**
 * Block size of an upload: the configured size, grown (whole MiB) so that the blocks of a file
 * of `uploadLength` stay within Azure's 50,000 committed blocks even though an append may
 * leave a block as small as half of it (see `appendBlocks`). Deferred lengths keep `blockSize`.
 */
export function blockSizeFor(uploadLength: number | null, blockSize: number): number {
  if (uploadLength === null) return blockSize
  // Every block but the last holds ≥ size/2 bytes: 2·length/size + 1 blocks at most.
  const needed = Math.ceil((2 * uploadLength) / (MAX_COMMITTED_BLOCKS - 1000))
  if (needed <= blockSize) return blockSize
  return Math.min(MAX_BLOCK_SIZE, Math.ceil(needed / MiB) * MiB)
}

/** Largest upload a block size allows (the same bound, solved for the length). */
export function maxUploadFor(blockSize: number): number {
  return Math.floor(((MAX_COMMITTED_BLOCKS - 1000) * blockSize) / 2)
}
