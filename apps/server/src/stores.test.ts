/** How the server finds the package providing `storage.type`: it names no store itself. */
import { isPsiError, MemoryLocker } from '@psitransfer/core'
import { fsStoreDefinition } from '@psitransfer/store-fs'
import { S3Locker, s3StoreDefinition } from '@psitransfer/store-s3'
import { describe, expect, it } from 'vitest'
import { findStoreDefinition, lockerFor, registryFor } from './stores.js'

function recording(fail: Record<string, Error> = {}) {
  const calls: string[] = []
  return {
    calls,
    importer: async (specifier: string) => {
      calls.push(specifier)
      if (fail[specifier]) throw fail[specifier]
      return import(specifier)
    },
  }
}

describe('findStoreDefinition', () => {
  it('finds @psitransfer/store-<type> by convention, importing nothing else', async () => {
    const r = recording()
    expect(await findStoreDefinition('s3', { importer: r.importer })).toBe(s3StoreDefinition)
    expect(r.calls).toEqual(['@psitransfer/store-s3'])
  })

  it('then looks in the listed packages, then in the store packages the server depends on', async () => {
    const fixture = recording()
    const def = await findStoreDefinition('fixture', {
      packages: ['psitransfer-store-fixture'],
      importer: fixture.importer,
    })
    expect(def.type).toBe('fixture')
    expect(fixture.calls).toEqual(['@psitransfer/store-fixture', 'psitransfer-store-fixture'])
    // `filesystem` is provided by @psitransfer/store-fs, a dependency, whatever its name; its
    // package.json declares the type, so no other store (and no SDK) is imported on the way.
    const fs = recording()
    expect(await findStoreDefinition('filesystem', { importer: fs.importer })).toBe(fsStoreDefinition)
    expect(fs.calls).toEqual(['@psitransfer/store-filesystem', '@psitransfer/store-fs'])
  })

  it('names every package it tried and what each provides when none has the type', async () => {
    const err = await findStoreDefinition('gcs', { packages: ['psitransfer-store-fixture'] }).catch((e) => e)
    expect(isPsiError(err)).toBe(true)
    expect(err.message).toBe(
      'No installed package provides storage.type "gcs"; tried @psitransfer/store-gcs (not installed), ' +
        'psitransfer-store-fixture (provides "fixture"), @psitransfer/store-azure (provides "azure"), ' +
        '@psitransfer/store-fs (provides "filesystem"), @psitransfer/store-s3 (provides "s3"). ' +
        "Install the store's package, and name it in PSITRANSFER_STORE_PACKAGES unless it is @psitransfer/store-gcs",
    )
  })

  it('reports a package that is installed but fails to load, and refuses types that are no names', async () => {
    const broken = recording({ '@psitransfer/store-s3': new Error('SyntaxError in the SDK') })
    await expect(findStoreDefinition('s3', { importer: broken.importer })).rejects.toThrow(
      '@psitransfer/store-s3 could not be loaded: SyntaxError in the SDK',
    )
    const r = recording()
    await expect(findStoreDefinition('../../etc', { importer: r.importer })).rejects.toThrow(
      /not a store type/,
    )
    expect(r.calls).toEqual([])
  })
})

describe('registry and locker', () => {
  it("wires the store package's own locker, else the in-process one", async () => {
    const registry = await registryFor('s3')
    const store = await registry.create({ type: 's3', bucket: 'bkt', endpoint: 'http://127.0.0.1:1' })
    try {
      expect(await lockerFor('s3', store)).toBeInstanceOf(S3Locker)
    } finally {
      await store.close?.()
    }
    const fixture = await registryFor('fixture', { packages: ['psitransfer-store-fixture'] })
    const mem = await fixture.create({ type: 'fixture', capacityBytes: 10 })
    expect(fixture.createLocker('fixture', mem)).toBeInstanceOf(MemoryLocker)
  })
})
