import { describe, expect, it } from 'vitest'
import { isPsiError } from './errors.js'
import { createStore, defineStore, StoreRegistry } from './registry.js'
import type { Store } from './store.js'

const fakeStore = (type: string, config: unknown): Store => ({ type, config }) as unknown as Store

const alpha = defineStore<{ dir: string }>({
  type: 'alpha',
  configSchema: {
    parse(input) {
      const dir = (input as { dir?: unknown }).dir
      if (typeof dir !== 'string') throw new Error('storage.dir must be a string')
      return { dir }
    },
  },
  create: (config, ctx) => fakeStore('alpha', { ...config, uploadDir: ctx.uploadDir }),
})

describe('StoreRegistry', () => {
  it('creates the store named by storage.type with its parsed config and context', async () => {
    const store = await new StoreRegistry([alpha]).create(
      { type: 'alpha', dir: '/x' },
      { uploadDir: '/data' },
    )
    expect(store.type).toBe('alpha')
    expect((store as unknown as { config: unknown }).config).toEqual({ dir: '/x', uploadDir: '/data' })
  })

  it('passes config errors through (they name the bad key)', async () => {
    await expect(createStore({ type: 'alpha', dir: 3 }, [alpha])).rejects.toThrow(
      'storage.dir must be a string',
    )
  })

  it('rejects unknown types listing the known ones', async () => {
    const err = await new StoreRegistry([alpha]).create({ type: 'gcs' }).catch((e) => e)
    expect(isPsiError(err)).toBe(true)
    expect(err.code).toBe('STORE_MISCONFIGURED')
    expect(err.message).toContain('alpha')
  })

  it('refuses registering a type twice', () => {
    expect(() => new StoreRegistry([alpha, alpha])).toThrow(/registered twice/)
  })

  it('reports what it knows', () => {
    const r = new StoreRegistry().register(alpha)
    expect(r.types).toEqual(['alpha'])
    expect(r.has('alpha')).toBe(true)
    expect(r.has('beta')).toBe(false)
  })
})
