/**
 * Store factory and registry. A store package exports a {@link StoreDefinition}; the server
 * registers the definitions it knows (or loads `@psitransfer/store-<type>` on demand), and
 * {@link StoreRegistry.create} picks one by `storage.type`. Adding a backend means adding a
 * package, never editing core.
 * @module
 */
import { PsiError } from './errors.js'
import type { Store } from './store.js'

/** Anything with a zod-like `parse` (zod schemas fit; core depends on no schema library). */
export interface ConfigSchema<C> {
  parse(input: unknown): C
}

export interface StoreContext {
  /** PsiTransfer's `uploadDir`, the default location for file-based stores. */
  uploadDir?: string
  logger?: { warn(obj: unknown, msg?: string): void; info?(obj: unknown, msg?: string): void }
}

export interface StoreDefinition<C = unknown> {
  /** Value of `storage.type` that selects this store. */
  readonly type: string
  /** Validates the `storage` section (minus `type`). Throw with a message naming the bad key. */
  readonly configSchema: ConfigSchema<C>
  create(config: C, context: StoreContext): Store | Promise<Store>
}

/** Identity helper that keeps the config type attached to the definition. */
export function defineStore<C>(definition: StoreDefinition<C>): StoreDefinition<C> {
  return definition
}

/** A definition of any config type (the registry only passes configs its own schema parsed). */
// biome-ignore lint/suspicious/noExplicitAny: definitions are heterogeneous by design
export type AnyStoreDefinition = StoreDefinition<any>

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

  /** Builds the store for `storage.type`; unknown types fail with the list of known ones. */
  async create(storage: StorageConfig, context: StoreContext = {}): Promise<Store> {
    const def = this.#defs.get(storage.type)
    if (!def) {
      throw new PsiError(
        'STORE_MISCONFIGURED',
        `Unknown storage.type "${storage.type}"; known types: ${this.types.join(', ') || '(none)'}`,
      )
    }
    const { type: _type, ...rest } = storage
    const config = def.configSchema.parse(rest)
    return def.create(config, context)
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
