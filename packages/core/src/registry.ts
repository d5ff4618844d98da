/**
 * Store factory and registry. A store package exports one {@link StoreDefinition}: its type, its
 * config schema (from which the `PSITRANSFER_STORAGE_*` variables it reads are derived), the
 * factory, and optionally a locker that spans instances. The server imports the
 * definition from the installed package that provides `storage.type` and wires it through
 * {@link StoreRegistry}; adding a backend means adding a package, never editing core or the server.
 * @module
 */
import { PsiError } from './errors.js'
import { type Locker, MemoryLocker } from './locker.js'
import type { Store } from './store.js'

/** How an environment variable's text becomes a config value. */
export type EnvKind = 'string' | 'number' | 'boolean' | 'json'

/**
 * The keys a config schema accepts and the kind of each value; a nested object lists its own
 * fields. This is all core needs to know of a schema to derive the environment variables.
 */
export interface ConfigFields {
  readonly [key: string]: EnvKind | ConfigFields
}

/**
 * What core needs of a config schema: a zod-like `parse` (throwing with a message naming the bad
 * key), and its fields, either declared in `fields` (hand-written parsers) or read from the
 * schema's Standard JSON Schema (`~standard.jsonSchema`, which zod ≥ 4.2 schemas implement).
 * Core depends on no schema library: a zod object schema can be passed as it is.
 */
export interface ConfigSchema<C> {
  parse(input: unknown): C
  /** Declared fields; takes precedence over the JSON Schema. */
  readonly fields?: ConfigFields
  readonly '~standard'?: {
    readonly jsonSchema?: {
      readonly input: (options: {
        readonly target: string
        readonly libraryOptions?: Record<string, unknown>
      }) => Record<string, unknown>
    }
  }
}

export interface StoreContext {
  /** PsiTransfer's `uploadDir`, the default location for file-based stores. */
  uploadDir?: string
  logger?: { warn(obj: unknown, msg?: string): void; info?(obj: unknown, msg?: string): void }
}

export interface StoreDefinition<C = unknown> {
  /** Value of `storage.type` that selects this store: lowercase letters, digits and `-`. */
  readonly type: string
  /** Validates the `storage` section (minus `type`). Throw with a message naming the bad key. */
  readonly configSchema: ConfigSchema<C>
  /**
   * Variable names (after `PSITRANSFER_STORAGE_`) that replace the derived name of a nested field,
   * keyed by its dotted path: S3's `{ 'credentials.accessKeyId': 'ACCESS_KEY_ID' }`. Without an
   * alias a nested field's variable joins the path: `credentials.accessKeyId` →
   * `PSITRANSFER_STORAGE_CREDENTIALS_ACCESS_KEY_ID`.
   */
  readonly envAliases?: Readonly<Record<string, string>>
  create(config: C, context: StoreContext): Store | Promise<Store>
  /**
   * A locker for locks that must hold across server instances sharing the backend (S3's
   * conditional writes). Without it the server uses core's in-process {@link MemoryLocker}.
   */
  createLocker?(store: Store): Locker
}

/** Identity helper that keeps the config type attached to the definition. */
export function defineStore<C>(definition: StoreDefinition<C>): StoreDefinition<C> {
  return definition
}

/** A definition of any config type (the registry only passes configs its own schema parsed). */
// biome-ignore lint/suspicious/noExplicitAny: definitions are heterogeneous by design
export type AnyStoreDefinition = StoreDefinition<any>

/** True for anything shaped like a {@link StoreDefinition} (a module's exports are scanned with it). */
export function isStoreDefinition(value: unknown): value is AnyStoreDefinition {
  if (typeof value !== 'object' || value === null) return false
  const d = value as Partial<AnyStoreDefinition>
  return (
    typeof d.type === 'string' &&
    typeof d.create === 'function' &&
    typeof d.configSchema === 'object' &&
    d.configSchema !== null &&
    typeof d.configSchema.parse === 'function'
  )
}

export const STORE_TYPE = /^[a-z][a-z0-9-]{0,31}$/
export const STORAGE_ENV_PREFIX = 'PSITRANSFER_STORAGE_'

/** `maxBucketSize` → `MAX_BUCKET_SIZE`: the variable name of a config key. */
export function upperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

/** One environment variable a store reads. */
export interface StoreEnvVar {
  /** `PSITRANSFER_STORAGE_PART_SIZE`. */
  readonly name: string
  /** Where the value goes in the `storage` section: `['partSize']`, `['credentials', 'accessKeyId']`. */
  readonly path: readonly string[]
  readonly kind: EnvKind
}

type JsonSchema = Record<string, unknown>

function kindOfJsonSchema(s: JsonSchema): EnvKind | ConfigFields {
  const props = s.properties
  if (typeof props === 'object' && props !== null && !Array.isArray(props)) {
    return fieldsFromJsonSchema(s)
  }
  const types = new Set<string>()
  const add = (t: unknown) => {
    if (typeof t === 'string') types.add(t === 'integer' ? 'number' : t)
    else if (Array.isArray(t)) for (const x of t) add(x)
  }
  add(s.type)
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key]
    if (Array.isArray(branches))
      for (const b of branches) if (typeof b === 'object' && b !== null) add((b as JsonSchema).type)
  }
  if (types.size === 0 && Array.isArray(s.enum)) {
    for (const v of s.enum) add(v === null ? 'null' : typeof v)
  }
  types.delete('null')
  const [only] = types
  if (types.size === 1 && (only === 'string' || only === 'number' || only === 'boolean')) return only
  return 'json'
}

/**
 * The fields of an object JSON Schema (`properties`, recursively; `integer` counts as a number;
 * unions of one primitive type keep it, anything else is read as JSON).
 */
export function fieldsFromJsonSchema(schema: Record<string, unknown>): ConfigFields {
  const out: Record<string, EnvKind | ConfigFields> = {}
  const props = schema.properties
  if (typeof props !== 'object' || props === null) return out
  for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
    out[key] = typeof sub === 'object' && sub !== null ? kindOfJsonSchema(sub as JsonSchema) : 'json'
  }
  return out
}

/** The fields of a config schema: declared, else from its Standard JSON Schema, else none. */
export function configFields(schema: ConfigSchema<unknown>): ConfigFields {
  if (schema.fields) return schema.fields
  const convert = schema['~standard']?.jsonSchema?.input
  if (!convert) return {}
  let json: Record<string, unknown>
  try {
    // zod reads `unrepresentable: 'any'` so transforms and custom types do not make it throw.
    json = convert({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } })
  } catch (err) {
    throw new PsiError('STORE_MISCONFIGURED', 'The store config schema cannot describe its fields', {
      cause: err,
    })
  }
  return fieldsFromJsonSchema(json)
}

/**
 * The environment variables a store reads: `PSITRANSFER_STORAGE_<UPPER_SNAKE_KEY>` for every field
 * of its schema; nested objects contribute one variable per field, named by the joined path or by
 * the definition's {@link StoreDefinition.envAliases}. `type` is the server's, not the store's.
 */
export function storeEnv(definition: AnyStoreDefinition): StoreEnvVar[] {
  const aliases = definition.envAliases ?? {}
  const out: StoreEnvVar[] = []
  const used = new Map<string, string>()
  const walk = (fields: ConfigFields, path: string[]) => {
    for (const [key, kind] of Object.entries(fields)) {
      const p = [...path, key]
      if (typeof kind === 'object') {
        walk(kind, p)
        continue
      }
      const dotted = p.join('.')
      const suffix = aliases[dotted] ?? p.map(upperSnake).join('_')
      const name = STORAGE_ENV_PREFIX + suffix
      if (!/^[A-Z][A-Z0-9_]*$/.test(suffix)) {
        throw new PsiError(
          'STORE_MISCONFIGURED',
          `${definition.type}: ${dotted} gives a bad variable name ${name}`,
        )
      }
      const clash = used.get(name)
      if (clash !== undefined || name === `${STORAGE_ENV_PREFIX}TYPE`) {
        throw new PsiError(
          'STORE_MISCONFIGURED',
          `${definition.type}: ${dotted} and ${clash ?? 'type'} would both be read from ${name}`,
        )
      }
      used.set(name, dotted)
      out.push({ name, path: p, kind })
    }
  }
  walk(configFields(definition.configSchema), [])
  for (const alias of Object.keys(aliases)) {
    if (!out.some((v) => v.path.join('.') === alias)) {
      throw new PsiError('STORE_MISCONFIGURED', `${definition.type}: env alias for unknown field ${alias}`)
    }
  }
  return out
}

/**
 * Parses one variable's text by kind, with the message the server gives every setting:
 * `PSITRANSFER_STORAGE_PART_SIZE: expected a number, got "abc"`.
 */
export function parseEnvValue(name: string, raw: string, kind: EnvKind): unknown {
  const v = raw.trim()
  const bad = (what: string) =>
    new PsiError('STORE_MISCONFIGURED', `${name}: expected ${what}, got ${JSON.stringify(raw)}`)
  switch (kind) {
    case 'string':
      return v
    case 'number': {
      const n = Number(v)
      if (v === '' || !Number.isFinite(n)) throw bad('a number')
      return n
    }
    case 'boolean': {
      const l = v.toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(l)) return true
      if (['false', '0', 'no', 'off', ''].includes(l)) return false
      throw bad('a boolean (true/false/1/0)')
    }
    case 'json':
      try {
        return JSON.parse(v)
      } catch {
        throw bad('JSON')
      }
  }
}

/**
 * Reads the store's `PSITRANSFER_STORAGE_*` variables into a partial `storage` section (nested
 * fields into nested objects). `PSITRANSFER_STORAGE_TYPE` is skipped (the server reads it to find
 * the store); any other `PSITRANSFER_STORAGE_*` name the store does not read is an error naming
 * the store type, so a typo never silently falls back to a default.
 */
export function readStoreEnv(
  definition: AnyStoreDefinition,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> {
  const vars = storeEnv(definition)
  const byName = new Map(vars.map((v) => [v.name, v]))
  const out: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith(STORAGE_ENV_PREFIX) || name === `${STORAGE_ENV_PREFIX}TYPE`)
      continue
    const v = byName.get(name)
    if (!v) {
      throw new PsiError(
        'STORE_MISCONFIGURED',
        `${name}: unknown setting for storage.type "${definition.type}" (it reads: ${
          vars.map((x) => x.name).join(', ') || 'no variables'
        })`,
      )
    }
    let target = out
    for (const key of v.path.slice(0, -1)) {
      const next = target[key]
      if (typeof next === 'object' && next !== null) target = next as Record<string, unknown>
      else {
        const fresh: Record<string, unknown> = {}
        target[key] = fresh
        target = fresh
      }
    }
    target[v.path[v.path.length - 1] as string] = parseEnvValue(name, raw, v.kind)
  }
  return out
}

export interface StorageConfig {
  type: string
  [key: string]: unknown
}

export class StoreRegistry {
  readonly #defs = new Map<string, StoreDefinition<unknown>>()

  constructor(definitions: Iterable<AnyStoreDefinition> = []) {
    for (const d of definitions) this.register(d)
  }

  register<C>(definition: StoreDefinition<C>): this {
    if (this.#defs.has(definition.type)) {
      throw new PsiError('STORE_MISCONFIGURED', `Store type "${definition.type}" is registered twice`)
    }
    this.#defs.set(definition.type, definition as StoreDefinition<unknown>)
    return this
  }

  get types(): string[] {
    return [...this.#defs.keys()]
  }

  has(type: string): boolean {
    return this.#defs.has(type)
  }

  /** The definition for `type`; unknown types fail with the list of known ones. */
  get(type: string): AnyStoreDefinition {
    const def = this.#defs.get(type)
    if (!def) {
      throw new PsiError(
        'STORE_MISCONFIGURED',
        `Unknown storage.type "${type}"; known types: ${this.types.join(', ') || '(none)'}`,
      )
    }
    return def
  }

  /** Builds the store for `storage.type`; unknown types fail with the list of known ones. */
  async create(storage: StorageConfig, context: StoreContext = {}): Promise<Store> {
    const def = this.get(storage.type)
    const { type: _type, ...rest } = storage
    const config = def.configSchema.parse(rest)
    return def.create(config, context)
  }

  /** The locker for a store of `type`: its definition's, else core's MemoryLocker (one process). */
  createLocker(type: string, store: Store): Locker {
    const def = this.get(type)
    return def.createLocker ? def.createLocker(store) : new MemoryLocker()
  }
}

/** One-shot form of {@link StoreRegistry.create}. */
export function createStore(
  storage: StorageConfig,
  definitions: Iterable<AnyStoreDefinition>,
  context: StoreContext = {},
): Promise<Store> {
  return new StoreRegistry(definitions).create(storage, context)
}
