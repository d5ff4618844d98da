/**
 * Small helpers shared by the conformance kit and by other packages' tests.
 * @module
 */
import { type ErrorCode, isPsiError, type PsiError } from '../errors.js'
import { type FileRef, newBucketId, newFileId } from '../ids.js'
import { computeExpiry, type NewFile } from '../meta.js'

/**
 * Reads an async iterable of bytes into one array (for small data only). Each chunk is copied
 * as it arrives: a source may reuse its buffer once the consumer asked for the next chunk.
 */
export async function collect(data: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let total = 0
  for await (const chunk of data) {
    parts.push(chunk.slice())
    total += chunk.byteLength
  }
  return concatBytes(parts, total)
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const out = new Uint8Array(total ?? parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/**
 * Yields `bytes` split into chunks of the given sizes (cycled; default one chunk), each a
 * fresh copy, pausing for a macrotask between chunks when `pauseMs` is set so concurrent
 * writers really overlap.
 */
export async function* chunked(
  bytes: Uint8Array,
  sizes: readonly number[] = [bytes.byteLength || 1],
  pauseMs?: number,
): AsyncGenerator<Uint8Array> {
  let at = 0
  let i = 0
  while (at < bytes.byteLength) {
    const n = Math.max(1, sizes[i++ % sizes.length] ?? 1)
    yield bytes.slice(at, at + n)
    at += n
    if (pauseMs !== undefined && at < bytes.byteLength) await delay(pauseMs)
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A fresh, valid file reference (new random bucket and file ids). */
export function newRef(sid = newBucketId()): FileRef {
  return { sid, key: newFileId() }
}

/** A valid {@link NewFile} with fresh ids and every field filled; `overrides` win. */
export function newFileFixture(overrides: Partial<NewFile> = {}): NewFile {
  const createdAt = overrides.createdAt ?? Date.now()
  const retention = overrides.retention ?? 3600
  return {
    sid: newBucketId(),
    key: newFileId(),
    name: 'fixture.bin',
    relativePath: '',
    comment: '',
    type: 'application/octet-stream',
    retention,
    uploadLength: 0,
    createdAt,
    expiresAt: computeExpiry(createdAt, retention, null),
    bucketLocked: false,
    extra: {},
    ...overrides,
  }
}

/**
 * Awaits `action` and returns the {@link PsiError} it rejected with; throws a descriptive
 * error if it resolved or rejected with something else.
 */
export async function expectPsiError(
  action: Promise<unknown> | (() => unknown),
  codes: ErrorCode | readonly ErrorCode[],
): Promise<PsiError> {
  const wanted: readonly ErrorCode[] = typeof codes === 'string' ? [codes] : codes
  let value: unknown
  try {
    value = await (typeof action === 'function' ? action() : action)
  } catch (err) {
    if (isPsiError(err) && wanted.includes(err.code)) return err
    const got = isPsiError(err) ? `PsiError ${err.code}: ${err.message}` : String(err)
    throw new Error(`expected a PsiError with code ${wanted.join(' or ')}, got ${got}`, { cause: err })
  }
  throw new Error(
    `expected a PsiError with code ${wanted.join(' or ')}, but it resolved with ${describe(value)}`,
  )
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Index of the first differing byte, `-1` when equal (lengths compared too). */
export function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  const n = Math.min(actual.byteLength, expected.byteLength)
  let i = 0
  // Word-wise first when both views are aligned (several times faster on big files), then
  // byte-wise from the first differing word.
  if (n >= 64 && (actual.byteOffset & 3) === 0 && (expected.byteOffset & 3) === 0) {
    const words = n >>> 2
    const a = new Uint32Array(actual.buffer, actual.byteOffset, words)
    const b = new Uint32Array(expected.buffer, expected.byteOffset, words)
    let w = 0
    while (w < words && a[w] === b[w]) w++
    i = w << 2
  }
  for (; i < n; i++) if (actual[i] !== expected[i]) return i
  return actual.byteLength === expected.byteLength ? -1 : n
}

/**
 * Throws unless `actual` holds exactly `expected` (any Uint8Array subclass, e.g. Buffer,
 * compares by content). Messages name the first difference instead of dumping bytes.
 */
export function assertBytes(
  actual: Uint8Array | null | undefined,
  expected: Uint8Array,
  label = 'bytes',
): void {
  if (!(actual instanceof Uint8Array))
    throw new Error(`${label}: expected ${expected.byteLength} bytes, got ${actual}`)
  const at = firstDifference(actual, expected)
  if (at < 0) return
  if (actual.byteLength !== expected.byteLength && at === Math.min(actual.byteLength, expected.byteLength)) {
    throw new Error(
      `${label}: expected ${expected.byteLength} bytes, got ${actual.byteLength} (equal up to there)`,
    )
  }
  throw new Error(
    `${label}: byte ${at} is ${actual[at]}, expected ${expected[at]} (lengths ${actual.byteLength}/${expected.byteLength})`,
  )
}
