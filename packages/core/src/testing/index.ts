/**
 * `@psitransfer/core/testing`: the store conformance kit, an in-memory store and test helpers.
 * Imports vitest (an optional peer dependency of core); load it from tests only.
 * @module
 */
export { type ConformanceSkip, runStoreConformance, type StoreConformanceOptions } from './conformance.js'
export {
  checkStoreDefinition,
  type DefinitionCheckOptions,
  runDefinitionConformance,
} from './definition.js'
export {
  assertBytes,
  chunked,
  collect,
  concatBytes,
  delay,
  expectPsiError,
  firstDifference,
  newFileFixture,
  newRef,
  utf8,
} from './helpers.js'
export {
  type MemorySnapshot,
  MemoryStore,
  type MemoryStoreConfig,
  memoryStoreDefinition,
} from './memory-store.js'
export {
  checkPattern,
  type PatternCheck,
  type PatternStreamOptions,
  patternBytes,
  patternStream,
} from './pattern.js'
export { CONFORMANCE_TESTS, type ConformanceTestId, type StoreProbe } from './suite.js'
export { HOSTILE_IDS } from './suites/ids.js'
