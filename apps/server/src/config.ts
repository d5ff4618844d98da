/**
 * Server configuration: PsiTransfer's keys and defaults, validated once at boot with zod.
 * Sources, later ones win: defaults, an optional JSON file (`PSITRANSFER_CONFIG`), then
 * `PSITRANSFER_<UPPER_SNAKE_KEY>` environment variables. Only `main.ts` passes the real
 * environment in; everything here is a pure function of its inputs.
 * @module
 */
import {
  type AnyStoreDefinition,
  readStoreEnv,
  STORAGE_ENV_PREFIX,
  STORE_TYPE,
  storeEnv,
  upperSnake,
} from '@psitransfer/core'
import { z } from 'zod'

const DAY = 24 * 3600

/** PsiTransfer's default retentions (value in seconds or `one-time` → label). */
export const DEFAULT_RETENTIONS: Readonly<Record<string, string>> = {
  'one-time': 'one time download',
  '3600': '1 Hour',
  '21600': '6 Hours',
  '86400': '1 Day',
  '259200': '3 Days',
  '604800': '1 Week',
  '1209600': '2 Weeks',
  '2419200': '4 Weeks',
  '4838400': '8 Weeks',
}

const DEFAULT_MAIL_TEMPLATE = 'mailto:?subject=File Transfer&body=You can download the files here: %%URL%%'

/**
 * `/` or `/a/b/`: URL path prefixes are absolute, without odd characters, and end with a slash,
 * which is added when missing (PsiTransfer does the same).
 */
const urlPrefix = z.preprocess(
  (v) => (typeof v === 'string' && !v.endsWith('/') ? `${v}/` : v),
  z
    .string()
    .regex(/^\/([A-Za-z0-9._~-]+\/)*$/, 'must start with "/" and contain only [A-Za-z0-9._~-] segments'),
)

/** Length bounds of client-generated bucket ids (`randomDownloadSidLength`), see the schema. */
export const SID_LENGTH = { min: 12, max: 64, default: 22 } as const

/** A password, or `false` (also `""`, as in PsiTransfer) for none. */
const password = z.union([z.literal(false), z.string()]).transform((v) => (v === '' ? false : v))
const sizeLimit = z.number().int().positive().nullable()
const seconds = z.number().nonnegative()
const webhookUrl = z.url({ protocol: /^https?$/ }).nullable()

/**
 * The `storage` section as far as the server reads it: the type, which names the store package,
 * and the lifetime of presigned download URLs (used for any store with `downloadUrl`). Every
 * other key belongs to the store: its definition's schema validates the section once the
 * package is loaded (see {@link withStorage}).
 */
const storageSchema = z
  .object({
    type: z
      .string()
      .regex(STORE_TYPE, 'must be a store type such as "filesystem" or "s3" (lowercase letters, digits, -)')
      .default('filesystem'),
    signedUrlExpiry: z.number().int().positive().optional(),
  })
  .loose()

export const configSchema = z
  .object({
    uploadDir: z.string().min(1).default('./data'),
    baseUrl: urlPrefix.default('/'),
    /**
     * The upload page's path BELOW `baseUrl`, as in PsiTransfer; the parsed config holds the
     * resolved absolute path (`baseUrl` `/psi/` + `/upload/` → `/psi/upload/`), which every route,
     * the TUS fast path and config.json use.
     */
    uploadAppPath: urlPrefix.default('/'),
    iface: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(3000),
    retentions: z
      .record(
        z.string().regex(/^(one-time|[1-9][0-9]*)$/, 'retention keys are "one-time" or seconds'),
        z.string(),
      )
      .refine((r) => Object.keys(r).length > 0, 'needs at least one retention')
      .default({ ...DEFAULT_RETENTIONS }),
    defaultRetention: z.string().default('604800'),
    /** Upper bound of every file's life in seconds (PsiTransfer: 75 days); `null`/`false` = none. */
    maxAge: z
      .union([seconds, z.literal(false), z.null()])
      .transform((v) => (v === false ? null : v))
      .default(75 * DAY),
    /**
     * Besides `retentions`, the uploader may pick an expiry date within `maxAge` (Upload-Metadata
     * `expiresAt`; `retention` stays a listed key, as in PsiTransfer). Off: only `retentions`.
     */
    customExpiry: z.boolean().default(true),
    /**
     * Offer "until deleted" (retention `until-deleted`: no expiry; the manage link or an admin
     * deletes the files). Needs `maxAge: false`, else files would still expire at `maxAge`.
     */
    allowNoExpiry: z.boolean().default(false),
    adminPass: password.default(false),
    uploadPass: password.default(false),
    requireBucketPassword: z.boolean().default(false),
    maxPreviewSize: z
      .number()
      .int()
      .nonnegative()
      .default(2 * 1024 * 1024),
    maxFileSize: sizeLimit.default(null),
    maxBucketSize: sizeLimit.default(null),
    mailTemplate: z.string().default(DEFAULT_MAIL_TEMPLATE),
    defaultLanguage: z.string().min(2).default('en'),
    disableQrCode: z.boolean().default(false),
    /** Offer "Encrypt in the browser" (docs/encryption.md) and accept encrypted uploads. */
    e2e: z.boolean().default(true),
    fileUploadedWebhook: webhookUrl.default(null),
    fileDownloadedWebhook: webhookUrl.default(null),
    /** POSTed `requestUploaded` per file completed through an upload request. */
    requestUploadedWebhook: webhookUrl.default(null),
    /**
     * Requester notices: the first file after a quiet spell is mailed at once, later ones are
     * collected and mailed together this many seconds after the last mail (one digest).
     */
    requestNoticeWindow: z.number().int().positive().default(600),
    /**
     * `firstDownload` events: once per bucket, on its first complete download (a URL of its own,
     * so consumers of `fileDownloadedWebhook` keep getting one POST per download).
     */
    firstDownloadWebhook: webhookUrl.default(null),
    /**
     * Outgoing mail (share links, download and upload-request notices): `smtp://user:pass@host:587`
     * (STARTTLS when the server offers it) or `smtps://…:465`; `null` = no mail at all.
     */
    smtpUrl: z
      .url({ protocol: /^smtps?$/, error: 'expected smtp://… or smtps://…' })
      .nullable()
      .default(null),
    /** The From of those mails: `files@example.com` or `Files <files@example.com>`. */
    mailFrom: z
      .string()
      .regex(
        /^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/,
        'expected name@example.com or Name <name@example.com>',
      )
      .default('PsiTransfer <noreply@localhost>'),
    /**
     * How many reverse proxies in front of the server to believe in `X-Forwarded-For/-Proto/-Host`
     * (Express's `trust proxy` hop count): `false`/0 none, `true` one; the client address is the
     * entry the outermost trusted proxy wrote. Other strings (Express's `loopback`, …) mean one hop.
     */
    trustProxy: z
      .union([z.boolean(), z.number().int().nonnegative(), z.string()])
      .transform((v) => {
        if (typeof v === 'number') return v
        if (typeof v === 'boolean') return v ? 1 : 0
        const s = v.trim()
        if (/^\d+$/.test(s)) return Number(s)
        return s === '' || s === 'false' ? 0 : 1
      })
      .default(0),
    /** Argon2 jobs (hashing or checking a bucket password) that may wait for a worker, all clients together; beyond: 503. */
    passwordQueueSize: z.number().int().positive().default(32),
    /** Argon2 jobs one client address may have waiting or running at once; beyond: 429. */
    passwordJobsPerClient: z.number().int().positive().default(4),
    /** Argon2 jobs one client address may start per minute (bursts up to this many); beyond: 429. */
    passwordJobsPerMinute: z.number().int().positive().default(30),
    /** Access log on/off (PsiTransfer takes a morgan format name; any non-empty one means on). */
    accessLog: z
      .union([z.boolean(), z.string()])
      .transform((v) => v === true || (typeof v === 'string' && v !== '' && v !== 'false'))
      .default(true),
    /**
     * Length of the bucket ids (sid, the secret part of a share link) the web client generates, in
     * base64url characters (6 bits each). PsiTransfer's default is 12 hex characters (48 bits); ours
     * is 22 (132 bits), and at least 12 (72 bits) so that links cannot be guessed.
     */
    randomDownloadSidLength: z
      .number()
      .int()
      .min(SID_LENGTH.min)
      .max(SID_LENGTH.max)
      .default(SID_LENGTH.default),
    /** Suggested PATCH size for clients (config.json `chunkSize`). */
    chunkSize: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024),
    /**
     * Files of at least this many bytes go straight to S3 when the store offers direct uploads
     * (`storage.directUpload`, S3 only); smaller ones, and every file when not offered, use TUS.
     */
    directUploadMinSize: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** HMAC key for download tokens. Random per boot when unset; several instances must share one. */
    secret: z.string().min(16).optional(),
    /** Lifetime of download tokens for protected buckets, seconds. */
    downloadTokenTtl: z.number().int().positive().default(3600),
    /** Unfinished uploads expire this many seconds after creation (`0` = only by retention). */
    uploadExpiry: seconds.default(7 * DAY),
    /** Retention sweeper interval, seconds. */
    sweepInterval: z.number().positive().default(60),
    /** Built web app (apps/web/dist); `null` = look next to this package. */
    webRoot: z.string().min(1).nullable().default(null),
    /** Slow-client protection, seconds: time to receive request headers. */
    headersTimeout: seconds.default(60),
    /**
     * Whole-request limit in seconds; `0` (default) disables it because a large TUS PATCH may
     * legitimately take hours. Stalled sockets are closed by `idleTimeout` instead.
     */
    requestTimeout: seconds.default(0),
    /** Close sockets without traffic for this many seconds (`0` = never). */
    idleTimeout: seconds.default(120),
    /**
     * Upload bodies (POST, PATCH, PUT) must bring at least this many bytes per second over every
     * `uploadRateWindow` (the first one is grace), else 408 and the connection is closed; what
     * arrived stays resumable. `0` = off. Default 1024 (8 kbit/s: a 64 kbit/s link passes).
     */
    minUploadRate: z.number().int().nonnegative().default(1024),
    /** Seconds of each window `minUploadRate` is measured over. */
    uploadRateWindow: z.number().positive().default(20),
    /** Bounded wait for in-flight requests on SIGTERM/SIGINT, seconds. */
    shutdownTimeout: seconds.default(10),
    /** Bytes all TUS chunks sent with `Upload-Checksum` may hold in memory at once (each is verified before it is written). */
    checksumBufferSize: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(256 * 1024 * 1024),
    /** Serve `/metrics` (off by default: the counters are not for the public). */
    metrics: z.boolean().default(false),
    /** Bearer token `/metrics` requires (`Authorization: Bearer <token>`); setting one turns `metrics` on. */
    metricsToken: z.string().min(16).nullable().default(null),
    /** Log level of the JSON logger. */
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    storage: storageSchema.default({ type: 'filesystem' }),
    /**
     * Packages to look in for the store of `storage.type`, besides `@psitransfer/store-<type>`
     * and the store packages the server depends on (third-party stores).
     */
    storePackages: z.array(z.string().min(1)).default([]),
    // PsiTransfer keys we accept for compatibility but do not use (TLS belongs to the proxy).
    sslPort: z.unknown().optional(),
    sslKeyFile: z.unknown().optional(),
    sslCertFile: z.unknown().optional(),
    forceHttps: z.unknown().optional(),
    plugins: z.unknown().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!Object.hasOwn(c.retentions, c.defaultRetention)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultRetention'],
        message: `must be one of the retentions (${Object.keys(c.retentions).join(', ')})`,
      })
    }
    if (c.allowNoExpiry && c.maxAge !== null) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowNoExpiry'],
        message: 'needs maxAge: false (with a maxAge every file still expires at maxAge)',
      })
    }
  })
  // PsiTransfer: `uploadAppPath = baseUrl.slice(0, -1) + uploadAppPath`.
  .transform((c) => ({ ...c, uploadAppPath: c.baseUrl.slice(0, -1) + c.uploadAppPath }))

export type Config = z.output<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>

/** Thrown for any invalid setting; the message names the key (and env var) and the value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

type Kind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'json'
  | 'passwordOrFalse'
  | 'numberOrNull'
  | 'stringOrNull'
  | 'flag'
  | 'list'

/** How each top-level key is read from an environment variable. */
const ENV_KINDS: Record<string, Kind> = {
  uploadDir: 'string',
  baseUrl: 'string',
  uploadAppPath: 'string',
  iface: 'string',
  port: 'number',
  retentions: 'json',
  defaultRetention: 'string',
  maxAge: 'numberOrNull',
  customExpiry: 'boolean',
  allowNoExpiry: 'boolean',
  adminPass: 'passwordOrFalse',
  uploadPass: 'passwordOrFalse',
  requireBucketPassword: 'boolean',
  maxPreviewSize: 'number',
  maxFileSize: 'numberOrNull',
  maxBucketSize: 'numberOrNull',
  mailTemplate: 'string',
  defaultLanguage: 'string',
  disableQrCode: 'boolean',
  e2e: 'boolean',
  fileUploadedWebhook: 'stringOrNull',
  fileDownloadedWebhook: 'stringOrNull',
  requestUploadedWebhook: 'stringOrNull',
  requestNoticeWindow: 'number',
  firstDownloadWebhook: 'stringOrNull',
  smtpUrl: 'stringOrNull',
  mailFrom: 'string',
  trustProxy: 'flag',
  passwordQueueSize: 'number',
  passwordJobsPerClient: 'number',
  passwordJobsPerMinute: 'number',
  accessLog: 'flag',
  chunkSize: 'number',
  directUploadMinSize: 'number',
  randomDownloadSidLength: 'number',
  secret: 'string',
  downloadTokenTtl: 'number',
  uploadExpiry: 'number',
  sweepInterval: 'number',
  webRoot: 'stringOrNull',
  headersTimeout: 'number',
  requestTimeout: 'number',
  idleTimeout: 'number',
  minUploadRate: 'number',
  uploadRateWindow: 'number',
  shutdownTimeout: 'number',
  checksumBufferSize: 'number',
  metrics: 'boolean',
  metricsToken: 'stringOrNull',
  logLevel: 'string',
  storePackages: 'list',
}

/** `maxBucketSize` → `MAX_BUCKET_SIZE` (core's rule, shared with the stores' variables). */
export { upperSnake }

export const ENV_PREFIX = 'PSITRANSFER_'

function parseEnvValue(name: string, raw: string, kind: Kind): unknown {
  const v = raw.trim()
  const bad = (what: string) => new ConfigError(`${name}: expected ${what}, got ${JSON.stringify(raw)}`)
  const bool = (): boolean | undefined => {
    const l = v.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(l)) return true
    if (['false', '0', 'no', 'off', ''].includes(l)) return false
    return undefined
  }
  const num = (): number => {
    const n = Number(v)
    if (v === '' || !Number.isFinite(n)) throw bad('a number')
    return n
  }
  switch (kind) {
    case 'string':
      return v
    case 'number':
      return num()
    case 'boolean': {
      const b = bool()
      if (b === undefined) throw bad('a boolean (true/false/1/0)')
      return b
    }
    case 'flag':
      return bool() ?? v
    case 'passwordOrFalse':
      // Only `false` or nothing disables a password: `0`, `no` or `off` are passwords like any other.
      return v === '' || v.toLowerCase() === 'false' ? false : raw
    case 'numberOrNull':
      return ['', 'null', 'false'].includes(v.toLowerCase()) ? null : num()
    case 'stringOrNull':
      return ['', 'null', 'false'].includes(v.toLowerCase()) ? null : stripJsonQuotes(v)
    case 'json':
      try {
        return JSON.parse(v)
      } catch {
        throw bad('JSON')
      }
    case 'list':
      return v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')
  }
}

/** PsiTransfer required JSON-quoted URLs in env vars; accept both forms. */
function stripJsonQuotes(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    try {
      return JSON.parse(v) as string
    } catch {
      return v
    }
  }
  return v
}

/**
 * Reads every `PSITRANSFER_*` variable into a partial config object (unknown names are errors).
 * `PSITRANSFER_STORAGE_<KEY>` variables other than `_TYPE` belong to the store: they are read by
 * {@link withStorage} through the store definition, which knows their names and kinds.
 */
export function configFromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const storage: Record<string, unknown> = {}
  const byEnv = new Map(Object.keys(ENV_KINDS).map((k) => [ENV_PREFIX + upperSnake(k), k]))
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith(ENV_PREFIX) || name === `${ENV_PREFIX}CONFIG`) continue
    const key = byEnv.get(name)
    if (key !== undefined) {
      out[key] = parseEnvValue(name, raw, ENV_KINDS[key] as Kind)
      continue
    }
    if (name === `${STORAGE_ENV_PREFIX}TYPE`) {
      storage.type = parseEnvValue(name, raw, 'string')
      continue
    }
    if (name.startsWith(STORAGE_ENV_PREFIX)) continue
    if (name === `${ENV_PREFIX}STORAGE`) {
      Object.assign(storage, parseEnvValue(name, raw, 'json'))
      continue
    }
    if (
      ['SSL_PORT', 'SSL_KEY_FILE', 'SSL_CERT_FILE', 'FORCE_HTTPS', 'PLUGINS'].includes(
        name.slice(ENV_PREFIX.length),
      )
    ) {
      continue
    }
    throw new ConfigError(`${name}: unknown setting (see apps/server/README.md for the list)`)
  }
  if (Object.keys(storage).length > 0) out.storage = storage
  return out
}

function describeValue(input: unknown, path: readonly PropertyKey[]): string {
  let cur: unknown = input
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return 'undefined'
    cur = (cur as Record<PropertyKey, unknown>)[p]
  }
  if (cur === undefined) return 'undefined'
  const key = String(path[path.length - 1] ?? '')
  // An SMTP URL carries the mail account's password.
  if (/pass|secret|credentials|smtp/i.test(key) || path.includes('credentials')) return '(hidden)'
  const s = JSON.stringify(cur)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

/** Deep-merges plain objects (`storage` from file and env); later sources win. */
function merge(...sources: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const src of sources) {
    for (const [k, v] of Object.entries(src)) {
      const prev = out[k]
      const isObj = (x: unknown): x is Record<string, unknown> =>
        typeof x === 'object' && x !== null && !Array.isArray(x)
      out[k] = k === 'storage' && isObj(prev) && isObj(v) ? merge(prev, v) : v
    }
  }
  return out
}

interface Issue {
  readonly code?: string
  readonly path: readonly PropertyKey[]
  readonly message: string
  readonly keys?: readonly string[]
}

/** `key (VARIABLE): message; got value` for each issue (zod's, or a store schema's). */
function issueLines(
  issues: readonly Issue[],
  input: Record<string, unknown>,
  envFor: (path: readonly PropertyKey[]) => string,
): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const base = issue.path.map(String).join('.')
      return issue.keys.map((k) => `${base ? `${base}.` : ''}${k}: unknown setting`).join('\n')
    }
    const key = issue.path.map(String).join('.') || '(root)'
    return `${key} (${envFor(issue.path)}): ${issue.message}; got ${describeValue(input, issue.path)}`
  })
}

/** Validates merged config sources; throws {@link ConfigError} naming every bad key and its value. */
export function parseConfig(...sources: Record<string, unknown>[]): Config {
  const input = merge(...sources)
  const result = configSchema.safeParse(input)
  if (result.success) return result.data
  const lines = issueLines(result.error.issues, input, (path) =>
    path[0] === 'storage' && path.length > 1
      ? STORAGE_ENV_PREFIX + upperSnake(String(path[1]))
      : ENV_PREFIX + upperSnake(String(path[0] ?? '')),
  )
  throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`)
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x)

/** Deep merge of plain objects (a file's `storage.credentials` and one variable of them). */
function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = isObject(prev) && isObject(v) ? deepMerge(prev, v) : v
  }
  return out
}

/**
 * Second step of loading, once the definition of `config.storage.type` is known: adds the store's
 * own `PSITRANSFER_STORAGE_*` variables (they win over the config file) and validates the section
 * with the store's schema. Errors name the key, the variable and the value, as for every setting;
 * a variable the store does not read is an error naming the store type.
 */
export function withStorage(
  config: Config,
  definition: AnyStoreDefinition,
  env: Record<string, string | undefined>,
): Config {
  let fromEnv: Record<string, unknown>
  try {
    fromEnv = readStoreEnv(definition, env)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  const { type, ...section } = config.storage
  const merged = deepMerge(section, fromEnv)
  try {
    definition.configSchema.parse(merged)
  } catch (err) {
    const vars = storeEnv(definition)
    const envFor = (path: readonly PropertyKey[]) =>
      vars.find((v) => v.path.join('.') === path.map(String).join('.'))?.name ?? `${ENV_PREFIX}STORAGE`
    const issues = (err as { issues?: unknown }).issues
    let lines: string[]
    if (Array.isArray(issues)) {
      lines = issueLines(
        (issues as Issue[]).map((i) => ({ ...i, path: ['storage', ...i.path] })),
        { storage: merged },
        (p) => envFor(p.slice(1)),
      )
    } else {
      // Hand-written schemas throw one message starting with the key: `storage.partSize must be …`.
      const message = (err as Error).message
      const m = /^storage\.([A-Za-z0-9_.]+) (.*)$/s.exec(message)
      lines = [m ? `storage.${m[1]} (${envFor((m[1] as string).split('.'))}): ${m[2]}` : message]
    }
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  return { ...config, storage: { type, ...merged } }
}

export interface LoadConfigOptions {
  env: Record<string, string | undefined>
  /** Reads the file named by `PSITRANSFER_CONFIG` (injected so tests need no disk). */
  readFile?: (path: string) => string
}

/** Defaults ← `PSITRANSFER_CONFIG` JSON file ← `PSITRANSFER_*` env vars. */
export function loadConfig({ env, readFile }: LoadConfigOptions): Config {
  let fromFile: Record<string, unknown> = {}
  const file = env[`${ENV_PREFIX}CONFIG`]
  if (file) {
    if (!readFile) throw new ConfigError(`${ENV_PREFIX}CONFIG: no file reader available`)
    let text: string
    try {
      text = readFile(file)
    } catch (err) {
      throw new ConfigError(
        `${ENV_PREFIX}CONFIG: cannot read ${JSON.stringify(file)} (${(err as Error).message})`,
      )
    }
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object')
      fromFile = parsed as Record<string, unknown>
    } catch (err) {
      throw new ConfigError(
        `${ENV_PREFIX}CONFIG: ${JSON.stringify(file)} is not a JSON object (${(err as Error).message})`,
      )
    }
  }
  return parseConfig(fromFile, configFromEnv(env))
}

/** Retention keys in display order: `one-time` (and other words) first, then seconds ascending. */
export function retentionOrder(retentions: Record<string, string>): string[] {
  const keys = Object.keys(retentions)
  const words = keys.filter((k) => !/^\d+$/.test(k))
  const nums = keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b))
  return [...words, ...nums]
}
