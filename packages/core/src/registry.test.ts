import { describe, expect, it } from 'vitest'
import { isPsiError } from './errors.js'
import { MemoryLocker } from './locker.js'
import {
  type ConfigFields,
  type ConfigSchema,
  configFields,
  createStore,
  defineStore,
  fieldsFromJsonSchema,
  isStoreDefinition,
  readStoreEnv,
  StoreRegistry,
  storeEnv,
} from './registry.js'
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

const s3ish = defineStore<Record<string, unknown>>({
  type: 's3ish',
  configSchema: {
    parse: (input) => input as Record<string, unknown>,
    fields: {
      bucket: 'string',
      partSize: 'number',
      forcePathStyle: 'boolean',
      tags: 'json',
      credentials: { accessKeyId: 'string', secretAccessKey: 'string' },
      retry: { maxAttempts: 'number' },
    },
  },
  envAliases: {
    'credentials.accessKeyId': 'ACCESS_KEY_ID',
    'credentials.secretAccessKey': 'SECRET_ACCESS_KEY',
  },
  create: () => fakeStore('s3ish', {}),
})

describe('store environment variables', () => {
  it('derives PSITRANSFER_STORAGE_<UPPER_SNAKE_KEY> from the fields, nested ones by path or alias', () => {
    expect(storeEnv(s3ish).map((v) => [v.name, v.path.join('.'), v.kind])).toEqual([
      ['PSITRANSFER_STORAGE_BUCKET', 'bucket', 'string'],
      ['PSITRANSFER_STORAGE_PART_SIZE', 'partSize', 'number'],
      ['PSITRANSFER_STORAGE_FORCE_PATH_STYLE', 'forcePathStyle', 'boolean'],
      ['PSITRANSFER_STORAGE_TAGS', 'tags', 'json'],
      ['PSITRANSFER_STORAGE_ACCESS_KEY_ID', 'credentials.accessKeyId', 'string'],
      ['PSITRANSFER_STORAGE_SECRET_ACCESS_KEY', 'credentials.secretAccessKey', 'string'],
      ['PSITRANSFER_STORAGE_RETRY_MAX_ATTEMPTS', 'retry.maxAttempts', 'number'],
    ])
  })

  it('reads and parses them by kind into the storage section', () => {
    expect(
      readStoreEnv(s3ish, {
        HOME: '/root',
        PSITRANSFER_PORT: '1',
        PSITRANSFER_STORAGE_TYPE: 's3ish',
        PSITRANSFER_STORAGE_BUCKET: ' b ',
        PSITRANSFER_STORAGE_PART_SIZE: '8388608',
        PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'yes',
        PSITRANSFER_STORAGE_TAGS: '{"a":[1]}',
        PSITRANSFER_STORAGE_ACCESS_KEY_ID: 'AK',
        PSITRANSFER_STORAGE_SECRET_ACCESS_KEY: 'SK',
        PSITRANSFER_STORAGE_RETRY_MAX_ATTEMPTS: '4',
      }),
    ).toEqual({
      bucket: 'b',
      partSize: 8388608,
      forcePathStyle: true,
      tags: { a: [1] },
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      retry: { maxAttempts: 4 },
    })
  })

  it('names the variable and the value of a bad one, and the store type of an unknown one', () => {
    expect(() => readStoreEnv(s3ish, { PSITRANSFER_STORAGE_PART_SIZE: 'abc' })).toThrow(
      'PSITRANSFER_STORAGE_PART_SIZE: expected a number, got "abc"',
    )
    expect(() => readStoreEnv(s3ish, { PSITRANSFER_STORAGE_FORCE_PATH_STYLE: 'maybe' })).toThrow(
      'PSITRANSFER_STORAGE_FORCE_PATH_STYLE: expected a boolean (true/false/1/0), got "maybe"',
    )
    expect(() => readStoreEnv(s3ish, { PSITRANSFER_STORAGE_TAGS: '{oops' })).toThrow(
      'PSITRANSFER_STORAGE_TAGS: expected JSON, got "{oops"',
    )
    expect(() => readStoreEnv(s3ish, { PSITRANSFER_STORAGE_BUKET: 'b' })).toThrow(
      /PSITRANSFER_STORAGE_BUKET: unknown setting for storage.type "s3ish" \(it reads: PSITRANSFER_STORAGE_BUCKET, /,
    )
    // The unaliased nested name is not read (one name per setting).
    expect(() => readStoreEnv(s3ish, { PSITRANSFER_STORAGE_CREDENTIALS_ACCESS_KEY_ID: 'AK' })).toThrow(
      /unknown setting/,
    )
  })

  it('derives the fields from a Standard JSON Schema (what zod 4 schemas expose)', () => {
    // The literal output of zod 4's `schema['~standard'].jsonSchema.input(...)` for
    // z.object({ dir, n: int().default(3), b: boolean().optional(), e: enum, creds: object, u: union, list: array }).strict()
    const json = {
      type: 'object',
      properties: {
        dir: { type: 'string', minLength: 1 },
        n: { default: 3, type: 'integer', exclusiveMinimum: 0 },
        b: { type: 'boolean' },
        e: { type: 'string', enum: ['a', 'b'] },
        creds: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        u: { anyOf: [{ type: 'boolean', const: false }, { type: 'string' }] },
        maybe: { anyOf: [{ type: 'number' }, { type: 'null' }] },
        list: { type: 'array', items: { type: 'string' } },
      },
      required: ['dir'],
      additionalProperties: false,
    }
    const targets: string[] = []
    const schema: ConfigSchema<unknown> = {
      parse: (x) => x,
      '~standard': {
        jsonSchema: {
          input: (o) => {
            targets.push(o.target)
            return json
          },
        },
      },
    }
    expect(configFields(schema)).toEqual({
      dir: 'string',
      n: 'number',
      b: 'boolean',
      e: 'string',
      creds: { key: 'string' },
      u: 'json',
      maybe: 'number',
      list: 'json',
    })
    expect(targets).toEqual(['draft-2020-12'])
    expect(fieldsFromJsonSchema({ type: 'object' })).toEqual({})
    // Declared fields win; a schema with neither reads no variables.
    expect(configFields({ ...schema, fields: { x: 'number' } })).toEqual({ x: 'number' })
    expect(configFields({ parse: (x) => x })).toEqual({})
  })

  it('refuses fields whose variables collide or are malformed', () => {
    const def = (fields: ConfigFields, envAliases?: Record<string, string>) =>
      defineStore({
        type: 'bad',
        configSchema: { parse: (x) => x, fields },
        ...(envAliases ? { envAliases } : {}),
        create: () => fakeStore('bad', {}),
      })
    expect(() => storeEnv(def({ a: { b: 'string' }, aB: 'string' }))).toThrow(
      /both be read from PSITRANSFER_STORAGE_A_B/,
    )
    expect(() => storeEnv(def({ type: 'string' }))).toThrow(/PSITRANSFER_STORAGE_TYPE/)
    expect(() => storeEnv(def({ a: { b: 'string' } }, { 'a.b': 'lower' }))).toThrow(/bad variable name/)
    expect(() => storeEnv(def({ a: 'string' }, { 'a.c': 'AC' }))).toThrow(/unknown field a.c/)
  })
})

describe('StoreRegistry lockers', () => {
  it("uses the definition's createLocker, else an in-process locker", async () => {
    const made: Store[] = []
    const locker = new MemoryLocker()
    const withLocker = defineStore({
      type: 'shared',
      configSchema: { parse: (x) => x },
      create: () => fakeStore('shared', {}),
      createLocker: (store) => {
        made.push(store)
        return locker
      },
    })
    const r = new StoreRegistry([alpha, withLocker])
    const store = await r.create({ type: 'shared' })
    expect(r.createLocker('shared', store)).toBe(locker)
    expect(made).toEqual([store])
    expect(r.createLocker('alpha', store)).toBeInstanceOf(MemoryLocker)
    expect(() => r.createLocker('gcs', store)).toThrow(/Unknown storage.type "gcs"/)
  })

  it('recognizes definitions by shape', () => {
    expect(isStoreDefinition(alpha)).toBe(true)
    expect(isStoreDefinition({ type: 'x', create() {} })).toBe(false)
    expect(isStoreDefinition(null)).toBe(false)
  })
})
