import { describe, expect, it } from 'vitest'
import { StoreRegistry } from '../registry.js'
import { runStoreConformance } from './conformance.js'
import { chunked, collect, newFileFixture, utf8 } from './helpers.js'
import { MemoryStore, memoryStoreDefinition } from './memory-store.js'

let store: MemoryStore

runStoreConformance({
  name: 'memory',
  makeStore: () => {
    store = new MemoryStore()
    return store
  },
  probe: {
    readData: async (ref) => store.inspect(ref)?.data ?? null,
    readMeta: async (ref) => store.inspect(ref)?.meta ?? null,
    dataSize: async (ref) => store.storedSize(ref),
  },
  // The memory store keeps every byte in the JS heap, so a big file necessarily grows RSS by its
  // size; 256 MiB (instead of 1 GiB) still streams 256 one-MiB chunks through append and read
  // without making this test file hold a gigabyte.
  bigFileBytes: 256 << 20,
  skip: [
    {
      test: 'complete.after-crash',
      reason:
        'the memory store lives in one process heap: a restart loses every file, so there is no second instance on the same data (the TUS machine tests cover the repair on it)',
    },
    {
      test: 'big-file.rss',
      reason: 'the memory store holds file bytes in RAM by design, so RSS grows with the file',
    },
  ],
})

describe('MemoryStore specifics', () => {
  it('is registered as storage.type "memory" and rejects options', async () => {
    const registry = new StoreRegistry().register(memoryStoreDefinition)
    const created = await registry.create({ type: 'memory' })
    expect(created).toBeInstanceOf(MemoryStore)
    expect(created.type).toBe('memory')
    await expect(registry.create({ type: 'memory', dir: '/tmp' })).rejects.toMatchObject({
      code: 'STORE_MISCONFIGURED',
      message: expect.stringContaining('storage.dir'),
    })
  })

  it('keeps its own copy of appended bytes and hands out copies when reading', async () => {
    const s = new MemoryStore()
    const file = newFileFixture({ uploadLength: 4 })
    await s.create(file)
    const reused = utf8('abcd')
    async function* source() {
      yield reused
    }
    await s.append(file, source(), 0)
    reused.fill(0)
    for await (const piece of await s.read(file)) piece.fill(0)
    expect(new TextDecoder().decode(await collect(await s.read(file)))).toBe('abcd')
  })

  it('reads a single big chunk in bounded pieces', async () => {
    const s = new MemoryStore()
    const size = (3 << 20) + 5
    const file = newFileFixture({ uploadLength: size })
    await s.create(file)
    async function* one() {
      yield new Uint8Array(size)
    }
    await s.append(file, one(), 0)
    const sizes: number[] = []
    for await (const piece of await s.read(file, { range: { start: 1, end: size - 1 } }))
      sizes.push(piece.byteLength)
    expect(sizes).toEqual([1 << 20, 1 << 20, 1 << 20, 4])
  })

  it('refuses an append while another one runs with UPLOAD_LOCKED', async () => {
    const s = new MemoryStore()
    const file = newFileFixture({ uploadLength: 6 })
    await s.create(file)
    const first = s.append(file, chunked(utf8('abcdef'), [1], 5), 0)
    await expect(s.append(file, chunked(utf8('x')), 0)).rejects.toMatchObject({ code: 'UPLOAD_LOCKED' })
    expect(await first).toBe(6)
  })

  it('rejects an append to a file deleted meanwhile with NOT_FOUND', async () => {
    const s = new MemoryStore()
    const file = newFileFixture({ uploadLength: 6 })
    await s.create(file)
    const pending = s.append(file, chunked(utf8('abcdef'), [1], 5), 0)
    await s.delete(file)
    await expect(pending).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(s.inspect(file)).toBeNull()
  })

  it('refuses an uploadLength below the stored bytes or on a complete file', async () => {
    const s = new MemoryStore()
    const file = newFileFixture({ uploadLength: null })
    await s.create(file)
    await s.append(file, chunked(utf8('abc')), 0)
    await expect(s.update(file, { uploadLength: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await s.update(file, { uploadLength: 3 })
    await s.complete(file)
    await expect(s.update(file, { uploadLength: 4 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(s.create({ ...newFileFixture(), uploadLength: -1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })
})
