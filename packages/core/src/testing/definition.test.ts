import { describe, expect, it } from 'vitest'
import { type Locker, MemoryLocker } from '../locker.js'
import { type AnyStoreDefinition, defineStore } from '../registry.js'
import type { Store } from '../store.js'
import { checkStoreDefinition, runDefinitionConformance } from './definition.js'
import { MemoryStore, memoryStoreDefinition } from './memory-store.js'

const strict = (known: readonly string[]) => (input: unknown) => {
  for (const k of Object.keys(input as object))
    if (!known.includes(k)) throw new Error(`storage.${k} is unknown`)
  return input as Record<string, unknown>
}

const good = defineStore<Record<string, unknown>>({
  type: 'memory',
  configSchema: { parse: strict(['dir', 'size']), fields: { dir: 'string', size: 'number' } },
  create: () => new MemoryStore(),
  createLocker: () => new MemoryLocker(),
})

const variant = (patch: Partial<AnyStoreDefinition>): AnyStoreDefinition => ({ ...good, ...patch })

runDefinitionConformance(memoryStoreDefinition, { config: {} })
runDefinitionConformance(good, { config: {} })

describe('checkStoreDefinition finds what would break the server', () => {
  it('a type the config cannot name', async () => {
    expect(await checkStoreDefinition(variant({ type: 'My Store' }), { config: {} })).toEqual([
      expect.stringContaining('type "My Store" is not a valid storage.type'),
      // The store it creates reports the (valid) memory type, not the definition's.
      expect.stringContaining('create() made a store of type "memory"'),
    ])
  })

  it('a schema that accepts any key', async () => {
    const p = await checkStoreDefinition(
      variant({ configSchema: { parse: (x: unknown) => x, fields: { dir: 'string' } } }),
      { config: {} },
    )
    expect(p).toEqual(['the config schema accepts an unknown key (storage.notAnOptionZz)'])
  })

  it('colliding variable names', async () => {
    const p = await checkStoreDefinition(
      variant({ configSchema: { parse: strict(['a', 'aB']), fields: { a: { b: 'string' }, aB: 'string' } } }),
      { config: {} },
    )
    expect(p).toEqual([expect.stringMatching(/cannot be derived: .*PSITRANSFER_STORAGE_A_B/)])
  })

  it('a create() that fails with the minimal config, and a downloadUrl that is no method', async () => {
    expect(
      await checkStoreDefinition(
        variant({
          create: () => {
            throw new Error('storage.dir is required')
          },
        }),
        { config: {} },
      ),
    ).toEqual(['create() with {} failed: storage.dir is required'])
    expect(
      await checkStoreDefinition(
        variant({
          create: () => Object.assign(new MemoryStore(), { downloadUrl: true }) as unknown as Store,
        }),
        { config: {} },
      ),
    ).toEqual(["the store's downloadUrl is a boolean, not a method"])
  })

  it('a locker that is no locker, or grants one upload twice', async () => {
    expect(
      await checkStoreDefinition(variant({ createLocker: () => ({}) as unknown as Locker }), { config: {} }),
    ).toEqual(['createLocker() did not return a Locker'])
    const leaky: Locker = { lock: async () => ({ release: async () => {} }) }
    expect(await checkStoreDefinition(variant({ createLocker: () => leaky }), { config: {} })).toEqual([
      'the locker granted one id twice',
    ])
  })

  it('closes the store it created and runs cleanup', async () => {
    let closed = 0
    let cleaned = 0
    const def = variant({
      create: () => {
        const s = new MemoryStore()
        return Object.assign(s, {
          close: async () => {
            closed++
          },
        })
      },
    })
    expect(await checkStoreDefinition(def, { config: {}, cleanup: async () => void cleaned++ })).toEqual([])
    expect([closed, cleaned]).toEqual([1, 1])
  })
})
