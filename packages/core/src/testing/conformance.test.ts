import { describe, expect, it } from 'vitest'
import { runStoreConformance, type StoreConformanceOptions } from './conformance.js'
import { MemoryStore } from './memory-store.js'

// Only the option checks, which throw before any suite is registered; the kit itself runs in
// memory-store.test.ts.
const base: StoreConformanceOptions = {
  name: 'options check',
  makeStore: () => new MemoryStore(),
  probe: { readData: async () => null, readMeta: async () => null },
}

describe('runStoreConformance options', () => {
  it('requires a written reason for every skip', () => {
    expect(() => runStoreConformance({ ...base, skip: [{ test: 'claim', reason: '  ' }] })).toThrow(
      /needs a written reason/,
    )
  })

  it('rejects unknown test ids and duplicate skips', () => {
    const unknown = [{ test: 'claims', reason: 'typo' }] as unknown as StoreConformanceOptions['skip']
    expect(() => runStoreConformance({ ...base, skip: unknown })).toThrow(/unknown test "claims"/)
    const twice = [
      { test: 'claim', reason: 'a' },
      { test: 'claim', reason: 'b' },
    ] as const
    expect(() => runStoreConformance({ ...base, skip: twice })).toThrow(/skipped twice/)
  })

  it('makes skipping the big stream skip its memory check explicitly too', () => {
    const skip = [{ test: 'big-file.stream', reason: 'too slow here' }] as const
    expect(() => runStoreConformance({ ...base, skip })).toThrow(/skip it too/)
  })

  it('rejects a nonsensical big file size', () => {
    expect(() => runStoreConformance({ ...base, bigFileBytes: 0 })).toThrow(/bigFileBytes/)
  })
})
