/**
 * The store packages the server knows, loaded on demand so that a deployment only needs the
 * SDK of the store it uses (the S3 SDK is large).
 * @module
 */
import { type Locker, MemoryLocker, PsiError, type StoreDefinition, StoreRegistry } from '@psitransfer/core'

const PACKAGES: Record<string, { module: string; definition: string; locker?: string }> = {
  filesystem: { module: '@psitransfer/store-fs', definition: 'fsStoreDefinition' },
  s3: { module: '@psitransfer/store-s3', definition: 's3StoreDefinition', locker: 'S3Locker' },
}

export const KNOWN_STORE_TYPES = Object.keys(PACKAGES)

async function importPackage(type: string): Promise<Record<string, unknown>> {
  const pkg = PACKAGES[type]
  if (!pkg) {
    throw new PsiError(
      'STORE_MISCONFIGURED',
      `Unknown storage.type "${type}"; known types: ${KNOWN_STORE_TYPES.join(', ')}`,
    )
  }
  try {
    // A variable specifier keeps the store packages out of this package's type graph.
    const specifier: string = pkg.module
    return (await import(specifier)) as Record<string, unknown>
  } catch (err) {
    throw new PsiError(
      'STORE_MISCONFIGURED',
      `storage.type "${type}" needs ${pkg.module}, which could not be loaded`,
      {
        cause: err,
      },
    )
  }
}

/** A registry holding the definition for `type` (loaded from its package). */
export async function registryFor(type: string): Promise<StoreRegistry> {
  const mod = await importPackage(type)
  const def = mod[(PACKAGES[type] as { definition: string }).definition] as StoreDefinition<never> | undefined
  if (!def || typeof def.create !== 'function') {
    throw new PsiError('STORE_MISCONFIGURED', `${PACKAGES[type]?.module} does not export a store definition`)
  }
  return new StoreRegistry([def])
}

/**
 * The locker for a store type: the store package's own (S3: works across instances) when it
 * exports one, else the in-process locker.
 */
export async function lockerFor(type: string, store: unknown): Promise<Locker> {
  const name = PACKAGES[type]?.locker
  if (!name) return new MemoryLocker()
  const mod = await importPackage(type)
  const Ctor = mod[name] as (new (store: unknown) => Locker) | undefined
  return typeof Ctor === 'function' ? new Ctor(store) : new MemoryLocker()
}
