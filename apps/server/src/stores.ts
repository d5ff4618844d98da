/**
 * Finds the store for `storage.type` among the installed packages. The server names no store:
 * a package provides a type by exporting a {@link StoreDefinition} with that `type`. It looks in
 * `@psitransfer/store-<type>` (the convention), then in the packages of `storePackages`
 * (`PSITRANSFER_STORE_PACKAGES`, for third-party names), then in the `@psitransfer/store-*`
 * packages this server depends on. Packages are imported on demand, so a deployment needs only
 * the SDK of the store it uses; a dependency whose name is not its type (store-fs provides
 * `filesystem`) says so in its package.json (`"psitransfer": { "storeTypes": [...] }`), so it is
 * tried before the others and an unused store's SDK is never loaded (store-azure's alone adds
 * about 35 MiB to the server's memory).
 * @module
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import {
  type AnyStoreDefinition,
  isStoreDefinition,
  type Locker,
  PsiError,
  STORE_TYPE,
  type Store,
  StoreRegistry,
} from '@psitransfer/core'
import { type Config, ConfigError, type LoadConfigOptions, loadConfig, withStorage } from './config.js'

export interface FindStoreOptions {
  /** Extra packages to look in (`storePackages`). */
  packages?: readonly string[]
  /** Imports a package (tests watch the search order through it). Default: `import()`. */
  importer?: (specifier: string) => Promise<unknown>
}

const CONVENTION = '@psitransfer/store-'

/** The `@psitransfer/store-*` packages in this server's dependencies (read once). */
let dependencies: string[] | undefined
function dependencyStorePackages(): string[] {
  if (dependencies) return dependencies
  try {
    // `../package.json` from src/ and from dist/ alike.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
    dependencies = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).filter((n) =>
      n.startsWith(CONVENTION),
    )
  } catch {
    dependencies = []
  }
  return dependencies
}

/**
 * The store types a package declares in its package.json (`psitransfer.storeTypes`), or
 * `undefined` when it declares none or its package.json cannot be read. Only an ordering hint:
 * the definition it exports is still what counts.
 */
function declaredStoreTypes(specifier: string): readonly string[] | undefined {
  try {
    const file = createRequire(import.meta.url).resolve(`${specifier}/package.json`)
    const types = (JSON.parse(readFileSync(file, 'utf8')) as { psitransfer?: { storeTypes?: unknown } })
      .psitransfer?.storeTypes
    return Array.isArray(types) && types.every((t) => typeof t === 'string') ? types : undefined
  } catch {
    return undefined
  }
}

/** The server's store dependencies in the order to try them for `type`: those declaring it first. */
function dependenciesFor(type: string): string[] {
  const all = dependencyStorePackages()
  const declaring = all.filter((specifier) => declaredStoreTypes(specifier)?.includes(type))
  return [...declaring, ...all.filter((specifier) => !declaring.includes(specifier))]
}

function notInstalled(err: unknown, specifier: string): boolean {
  const e = err as { code?: string; message?: string }
  const message = String(e?.message ?? '')
  // Node: ERR_MODULE_NOT_FOUND "Cannot find package 'x'"; vite (tests): "Failed to load url x".
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' ||
      /Cannot find (package|module)|Failed to (load|resolve)/.test(message)) &&
    message.includes(specifier)
  )
}

/** The definition of `type`, from the first package that exports one. */
export async function findStoreDefinition(
  type: string,
  options: FindStoreOptions = {},
): Promise<AnyStoreDefinition> {
  if (!STORE_TYPE.test(type)) {
    throw new PsiError('STORE_MISCONFIGURED', `storage.type ${JSON.stringify(type)} is not a store type`)
  }
  const candidates = [
    ...new Set([`${CONVENTION}${type}`, ...(options.packages ?? []), ...dependenciesFor(type)]),
  ]
  const tried: string[] = []
  for (const specifier of candidates) {
    let mod: Record<string, unknown>
    try {
      mod = (await (options.importer ?? ((s: string) => import(s)))(specifier)) as Record<string, unknown>
    } catch (err) {
      if (notInstalled(err, specifier)) {
        tried.push(`${specifier} (not installed)`)
        continue
      }
      throw new PsiError(
        'STORE_MISCONFIGURED',
        `${specifier} could not be loaded: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
    const defs = Object.values(mod).filter(isStoreDefinition)
    const def = defs.find((d) => d.type === type)
    if (def) return def
    tried.push(
      `${specifier} (provides ${defs.map((d) => `"${d.type}"`).join(', ') || 'no store definition'})`,
    )
  }
  throw new PsiError(
    'STORE_MISCONFIGURED',
    `No installed package provides storage.type "${type}"; tried ${tried.join(', ')}. Install the store's package, and name it in PSITRANSFER_STORE_PACKAGES unless it is ${CONVENTION}${type}`,
  )
}

/** A registry holding the definition of `type` (loaded from its package). */
export async function registryFor(type: string, options: FindStoreOptions = {}): Promise<StoreRegistry> {
  return new StoreRegistry([await findStoreDefinition(type, options)])
}

/** The locker for a store of `type`: its package's (across instances) if it has one, else in-process. */
export async function lockerFor(type: string, store: Store, options: FindStoreOptions = {}): Promise<Locker> {
  return (await registryFor(type, options)).createLocker(type, store)
}

/**
 * Both steps of loading the configuration: the general settings (defaults ← `PSITRANSFER_CONFIG`
 * file ← `PSITRANSFER_*`), then the store's definition and with it the `storage` section. Every
 * mistake, including a store type nothing provides, is a {@link ConfigError}.
 */
export async function loadServerConfig(
  options: LoadConfigOptions,
): Promise<{ config: Config; registry: StoreRegistry }> {
  const general = loadConfig(options)
  let definition: AnyStoreDefinition
  try {
    definition = await findStoreDefinition(general.storage.type, { packages: general.storePackages })
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  return { config: withStorage(general, definition, options.env), registry: new StoreRegistry([definition]) }
}
