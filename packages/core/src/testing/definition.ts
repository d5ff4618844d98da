/**
 * Checks of a {@link StoreDefinition}: what the server relies on when it loads a store package
 * by `storage.type` alone. `checkStoreDefinition` returns the problems (pure, for any runner);
 * `runDefinitionConformance` registers them as one vitest test.
 * @module
 */
import { describe, expect, it } from 'vitest'
import { formatFileRef } from '../ids.js'
import type { Locker } from '../locker.js'
import {
  type AnyStoreDefinition,
  type EnvKind,
  readStoreEnv,
  STORAGE_ENV_PREFIX,
  STORE_TYPE,
  type StoreContext,
  type StoreEnvVar,
  storeEnv,
  upperSnake,
} from '../registry.js'
import type { Store } from '../store.js'
import { newRef } from './helpers.js'

export interface DefinitionCheckOptions {
  /** The smallest `storage` section (without `type`) the store starts with, e.g. `{ bucket }`. */
  config: Record<string, unknown>
  context?: StoreContext
  /** Runs after the created store was closed (remove temp dirs, buckets…). */
  cleanup?: (store: Store) => Promise<void>
  /** Per-check timeout in vitest. Default 30 s. */
  timeoutMs?: number
}

const SAMPLES: Record<EnvKind, string[]> = {
  string: ['x', ' spaced '],
  number: ['1', '4096'],
  boolean: ['true', '0'],
  json: ['{"a":1}', '[1]'],
}

function at(obj: unknown, path: readonly string[]): unknown {
  let cur = obj
  for (const p of path) cur = (cur as Record<string, unknown> | undefined)?.[p]
  return cur
}

function checkEnv(def: AnyStoreDefinition, vars: StoreEnvVar[], problems: string[]): void {
  for (const v of vars) {
    const derived = STORAGE_ENV_PREFIX + v.path.map(upperSnake).join('_')
    const alias = def.envAliases?.[v.path.join('.')]
    if (v.name !== derived && v.name !== STORAGE_ENV_PREFIX + alias) {
      problems.push(`${v.name} is neither ${derived} nor a declared alias of ${v.path.join('.')}`)
    }
    if (!/^PSITRANSFER_STORAGE_[A-Z][A-Z0-9_]*$/.test(v.name)) problems.push(`bad variable name ${v.name}`)
    for (const raw of SAMPLES[v.kind]) {
      try {
        const section = readStoreEnv(def, { [v.name]: raw })
        if (at(section, v.path) === undefined)
          problems.push(`${v.name}=${raw} did not set ${v.path.join('.')}`)
      } catch (err) {
        problems.push(`${v.name}=${raw} (${v.kind}) failed to parse: ${(err as Error).message}`)
      }
    }
  }
  // A typo must fail, naming the store type, never fall back to a default silently.
  const typo = `${STORAGE_ENV_PREFIX}NOT_AN_OPTION_ZZ`
  try {
    readStoreEnv(def, { [typo]: '1' })
    problems.push(`${typo} was accepted`)
  } catch (err) {
    if (!(err as Error).message.includes(`"${def.type}"`))
      problems.push(`the error for ${typo} does not name storage.type "${def.type}"`)
  }
}

async function checkLocker(locker: Locker, problems: string[]): Promise<void> {
  if (typeof locker?.lock !== 'function') {
    problems.push('createLocker() did not return a Locker')
    return
  }
  const id = formatFileRef(newRef())
  const lock = await locker.lock(id)
  let second: unknown
  try {
    second = await locker.lock(id)
  } catch (err) {
    second = err
  }
  if (!(second instanceof Error)) {
    problems.push('the locker granted one id twice')
    await (second as { release?: () => Promise<void> })?.release?.()
  }
  await lock.release()
  const again = await locker.lock(id)
  await again.release()
}

/** Everything wrong with a definition; empty when the server can load and use it. */
export async function checkStoreDefinition(
  definition: AnyStoreDefinition,
  options: DefinitionCheckOptions,
): Promise<string[]> {
  const problems: string[] = []
  const def = definition
  if (!STORE_TYPE.test(def.type))
    problems.push(`type "${def.type}" is not a valid storage.type (${STORE_TYPE})`)
  try {
    const vars = storeEnv(def)
    checkEnv(def, vars, problems)
  } catch (err) {
    problems.push(`its environment variables cannot be derived: ${(err as Error).message}`)
  }
  let rejected = false
  try {
    def.configSchema.parse({ ...options.config, notAnOptionZz: 1 })
  } catch {
    rejected = true
  }
  if (!rejected) problems.push('the config schema accepts an unknown key (storage.notAnOptionZz)')

  let store: Store | undefined
  try {
    store = await def.create(def.configSchema.parse(options.config), options.context ?? {})
    if (store.type !== def.type) problems.push(`create() made a store of type "${store.type}"`)
    // The method's presence is the capability, so anything else under that name misleads the server.
    if (store.downloadUrl !== undefined && typeof store.downloadUrl !== 'function') {
      problems.push(`the store's downloadUrl is a ${typeof store.downloadUrl}, not a method`)
    }
    await store.init()
    if (def.createLocker) await checkLocker(def.createLocker(store), problems)
  } catch (err) {
    problems.push(`create() with ${JSON.stringify(options.config)} failed: ${(err as Error).message}`)
  } finally {
    if (store) {
      await store.close?.()
      await options.cleanup?.(store)
    }
  }
  return problems
}

/** Registers the definition checks as one test. Call at the top level of a test file. */
export function runDefinitionConformance(
  definition: AnyStoreDefinition,
  options: DefinitionCheckOptions,
): void {
  describe(`Store definition: ${definition.type}`, () => {
    it(
      'has a valid type, derived env variables that parse, a working create() and locker',
      async () => {
        expect(await checkStoreDefinition(definition, options)).toEqual([])
      },
      options.timeoutMs ?? 30_000,
    )
  })
}
