/**
 * `storage.type: filesystem`: config parsing and the store definition for the registry.
 * @module
 */
import { type ConfigFields, defineStore, PsiError } from '@psitransfer/core'
import type { FsyncPolicy } from './durability.js'
import { FileStore } from './file-store.js'
import type { MetadataCalls } from './meta-calls.js'

export interface FsStoreConfig {
  /** Where buckets live; falls back to the top-level `uploadDir` (PsiTransfer's setting). */
  uploadDir?: string
  /** Durability policy, default `on-complete` (see README). */
  fsync?: FsyncPolicy
  /** `inline` (default) or `thread-pool` (network file systems; see meta-calls.ts). */
  metadataCalls?: MetadataCalls
}

const FSYNC_VALUES: readonly FsyncPolicy[] = ['never', 'on-complete', 'always']
const METADATA_CALLS: readonly MetadataCalls[] = ['inline', 'thread-pool']
/** The options and their kinds: the parser's known keys and the `PSITRANSFER_STORAGE_*` variables. */
export const FS_CONFIG_FIELDS = {
  uploadDir: 'string',
  fsync: 'string',
  metadataCalls: 'string',
} as const satisfies ConfigFields
const KNOWN_KEYS = Object.keys(FS_CONFIG_FIELDS)

function bad(message: string): PsiError {
  return new PsiError('STORE_MISCONFIGURED', message)
}

/** Validates the `storage` section (without `type`); errors name the offending key. */
export function parseFsStoreConfig(input: unknown): FsStoreConfig {
  if (input === undefined || input === null) return {}
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw bad('storage must be an object for storage.type "filesystem"')
  }
  const raw = input as Record<string, unknown>
  for (const [key, value] of Object.entries(raw)) {
    // Absent optional keys some config loaders materialize as `undefined` are not settings.
    if (value !== undefined && !KNOWN_KEYS.includes(key)) {
      throw bad(
        `storage.${key} is not an option of storage.type "filesystem" (known: ${KNOWN_KEYS.join(', ')})`,
      )
    }
  }
  const config: FsStoreConfig = {}
  if (raw.uploadDir !== undefined) {
    if (typeof raw.uploadDir !== 'string' || raw.uploadDir.trim() === '') {
      throw bad('storage.uploadDir must be a non-empty path')
    }
    config.uploadDir = raw.uploadDir
  }
  if (raw.fsync !== undefined) {
    if (!FSYNC_VALUES.includes(raw.fsync as FsyncPolicy)) {
      throw bad(`storage.fsync must be one of ${FSYNC_VALUES.join(', ')} (got ${JSON.stringify(raw.fsync)})`)
    }
    config.fsync = raw.fsync as FsyncPolicy
  }
  if (raw.metadataCalls !== undefined) {
    if (!METADATA_CALLS.includes(raw.metadataCalls as MetadataCalls)) {
      throw bad(
        `storage.metadataCalls must be one of ${METADATA_CALLS.join(', ')} (got ${JSON.stringify(raw.metadataCalls)})`,
      )
    }
    config.metadataCalls = raw.metadataCalls as MetadataCalls
  }
  return config
}

/** Register with the server's `StoreRegistry` to enable `storage.type: filesystem`. */
export const fsStoreDefinition = defineStore<FsStoreConfig>({
  type: 'filesystem',
  configSchema: { parse: parseFsStoreConfig, fields: FS_CONFIG_FIELDS },
  create(config, context) {
    const uploadDir = config.uploadDir ?? context.uploadDir
    if (!uploadDir) throw bad('storage.uploadDir (or uploadDir) is required for storage.type "filesystem"')
    return new FileStore({
      uploadDir,
      ...(config.fsync ? { fsync: config.fsync } : {}),
      ...(config.metadataCalls ? { metadataCalls: config.metadataCalls } : {}),
      ...(context.logger ? { logger: context.logger } : {}),
    })
  },
})
