import { createStore, StoreRegistry } from '@psitransfer/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fsStoreDefinition, parseFsStoreConfig } from './config.js'
import { FileStore } from './file-store.js'
import { tempDir } from './test-support/helpers.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir('psi-fs-config-'))
})
afterEach(async () => {
  await cleanup()
})

describe('parseFsStoreConfig', () => {
  it('accepts the documented options', () => {
    expect(parseFsStoreConfig({})).toEqual({})
    expect(parseFsStoreConfig(undefined)).toEqual({})
    expect(parseFsStoreConfig({ uploadDir: '/data', fsync: 'always' })).toEqual({
      uploadDir: '/data',
      fsync: 'always',
    })
    for (const fsync of ['never', 'on-complete', 'always'])
      expect(parseFsStoreConfig({ fsync }).fsync).toBe(fsync)
    for (const metadataCalls of ['inline', 'thread-pool'])
      expect(parseFsStoreConfig({ metadataCalls }).metadataCalls).toBe(metadataCalls)
  })

  it('names the bad key in its error', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { fsync: 'sometimes' },
        /storage\.fsync must be one of never, on-complete, always \(got "sometimes"\)/,
      ],
      [{ fsync: true }, /storage\.fsync/],
      [{ uploadDir: '' }, /storage\.uploadDir must be a non-empty path/],
      [{ uploadDir: 42 }, /storage\.uploadDir/],
      [
        { fsycn: 'always' },
        /storage\.fsycn is not an option of storage\.type "filesystem" \(known: uploadDir, fsync, metadataCalls\)/,
      ],
      [{ metadataCalls: 'sync' }, /storage\.metadataCalls must be one of inline, thread-pool \(got "sync"\)/],
      ['data', /storage must be an object/],
    ]
    for (const [input, message] of cases) {
      expect(() => parseFsStoreConfig(input)).toThrow(message)
      try {
        parseFsStoreConfig(input)
      } catch (err) {
        expect((err as { code: string }).code).toBe('STORE_MISCONFIGURED')
      }
    }
  })
})

describe('fsStoreDefinition', () => {
  it('builds a FileStore from storage config, falling back to the top-level uploadDir', async () => {
    const warnings: unknown[] = []
    const logger = { warn: (o: unknown) => warnings.push(o) }
    const a = await createStore({ type: 'filesystem', fsync: 'never' }, [fsStoreDefinition], {
      uploadDir: dir,
      logger,
    })
    expect(a).toBeInstanceOf(FileStore)
    expect(a.type).toBe('filesystem')
    expect((a as FileStore).root).toBe(dir)
    expect((a as FileStore).fsync).toBe('never')
    const b = await new StoreRegistry([fsStoreDefinition]).create(
      { type: 'filesystem', uploadDir: `${dir}/own` },
      { uploadDir: '/ignored' },
    )
    expect((b as FileStore).root).toBe(`${dir}/own`)
    expect((b as FileStore).fsync).toBe('on-complete')
    await b.init()
  })

  it('fails with a clear message without any uploadDir', async () => {
    await expect(createStore({ type: 'filesystem' }, [fsStoreDefinition])).rejects.toThrow(
      /storage\.uploadDir \(or uploadDir\) is required/,
    )
    await expect(
      createStore({ type: 'filesystem', fsync: 'no' }, [fsStoreDefinition], { uploadDir: dir }),
    ).rejects.toThrow(/storage\.fsync/)
  })
})
