/**
 * An in-memory {@link Store}: complete and contract-exact, for server unit tests and as the
 * reference implementation the conformance kit runs against. Data lives in the JS heap, so it
 * is not durable across restarts (the durability rule holds trivially within one process).
 * @module
 */
import { abortable, abortError } from '../abortable.js'
import { NotFoundError, OffsetMismatchError, PsiError, UploadLockedError } from '../errors.js'
import { type FileRef, isValidId, storageKey } from '../ids.js'
import { applyMetaPatch, type FileMeta, isUploadLength, type MetaPatch, type NewFile } from '../meta.js'
import { resolveRange } from '../range.js'
import { defineStore } from '../registry.js'
import type { AppendOptions, FileReader, ListOptions, ReadOptions, Store } from '../store.js'
import { readWholeBody } from '../whole-body.js'

/** Reads yield copies of at most this many bytes, whatever size the chunks were appended in. */
const READ_PIECE = 1 << 20

type StoredMeta = Omit<FileMeta, 'offset'>

class Entry {
  /** Appended chunks, never mutated once stored; `starts[i]` is the offset of `chunks[i]`. */
  readonly chunks: Uint8Array[] = []
  readonly starts: number[] = []
  size = 0
  writing = false
  claimed = false
  constructor(public meta: StoredMeta) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.starts.push(this.size)
    this.size += chunk.byteLength
  }
}

/** What {@link MemoryStore.inspect} returns: copies of the stored state. */
export interface MemorySnapshot {
  meta: FileMeta
  data: Uint8Array
  claimed: boolean
}

export class MemoryStore implements Store {
  readonly type = 'memory'
  readonly #files = new Map<string, Entry>()

  async init(): Promise<void> {}

  async create(file: NewFile): Promise<FileMeta> {
    const id = checkedKey(file)
    if (this.#files.has(id)) throw new PsiError('INVALID_INPUT', 'File already exists')
    if (!isUploadLength(file.uploadLength)) throw new PsiError('INVALID_INPUT', 'Invalid upload length')
    // Drop byte state a caller may have smuggled in through a cast; the store owns it.
    const {
      offset: _o,
      complete: _c,
      storeState: _s,
      ...rest
    } = structuredClone(file) as NewFile & Partial<FileMeta>
    const entry = new Entry({
      ...rest,
      lastDownload: rest.lastDownload ?? null,
      downloads: rest.downloads ?? 0,
      complete: false,
    })
    this.#files.set(id, entry)
    return snapshotMeta(entry)
  }

  async createComplete(
    file: NewFile,
    data: AsyncIterable<Uint8Array>,
    options: AppendOptions = {},
  ): Promise<FileMeta> {
    const id = checkedKey(file)
    if (this.#files.has(id)) throw new PsiError('INVALID_INPUT', 'File already exists')
    if (typeof file.uploadLength !== 'number' || !isUploadLength(file.uploadLength)) {
      throw new PsiError('INVALID_INPUT', 'A whole file needs its length')
    }
    // Nothing is visible until every byte arrived: read first, then publish the entry.
    const bytes = await readWholeBody(data, file.uploadLength, options.signal)
    if (this.#files.has(id)) throw new PsiError('INVALID_INPUT', 'File already exists')
    await this.create(file)
    const entry = this.#get(file)
    if (bytes.byteLength > 0) entry.push(bytes)
    entry.meta = { ...entry.meta, complete: true }
    return snapshotMeta(entry)
  }

  async info(ref: FileRef): Promise<FileMeta> {
    return snapshotMeta(this.#get(ref))
  }

  async update(ref: FileRef, patch: MetaPatch): Promise<FileMeta> {
    const entry = this.#get(ref)
    const next = applyMetaPatch(entry.meta, patch, entry.size)
    entry.meta = next
    return snapshotMeta(entry)
  }

  async append(
    ref: FileRef,
    data: AsyncIterable<Uint8Array>,
    offset: number,
    options: AppendOptions = {},
  ): Promise<number> {
    const id = checkedKey(ref)
    const entry = this.#get(ref)
    const { signal } = options
    if (entry.writing) throw new UploadLockedError()
    if (offset !== entry.size) throw new OffsetMismatchError(entry.size, offset)
    if (signal?.aborted) throw abortError(signal)
    entry.writing = true
    try {
      // abortable() stops at an abort even while the source stalls, and tells the source to stop.
      for await (const chunk of abortable(data, signal)) {
        if (!(chunk instanceof Uint8Array)) throw new PsiError('INVALID_INPUT', 'Upload data must be bytes')
        if (chunk.byteLength === 0) continue
        const max = entry.meta.uploadLength
        if (max !== null && entry.size + chunk.byteLength > max) {
          throw new PsiError('TOO_LARGE', `The upload would exceed its declared length of ${max} bytes`, {
            details: { offset: entry.size },
          })
        }
        // One copy per chunk: the caller may reuse its buffer after we return.
        entry.push(chunk.slice())
      }
    } finally {
      entry.writing = false
    }
    if (this.#files.get(id) !== entry) throw new NotFoundError('File was deleted during the upload')
    return entry.size
  }

  async complete(ref: FileRef): Promise<FileMeta> {
    const entry = this.#get(ref)
    if (entry.meta.complete) return snapshotMeta(entry)
    if (entry.meta.uploadLength === null || entry.size !== entry.meta.uploadLength) {
      throw new PsiError('INVALID_INPUT', 'The upload is not complete yet', {
        details: { offset: entry.size },
      })
    }
    entry.meta = { ...entry.meta, complete: true }
    return snapshotMeta(entry)
  }

  async read(ref: FileRef, options: ReadOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const entry = this.#get(ref)
    const { range, signal } = options
    if (signal?.aborted) throw abortError(signal)
    const { start, end } = resolveRange(entry.size, range)
    // Chunks are immutable and the arrays only grow, so a snapshot of references is enough.
    return readPieces(entry.chunks.slice(), entry.starts.slice(), start, end + 1, signal)
  }

  async openReader(ref: FileRef): Promise<FileReader> {
    const entry = this.#get(ref)
    // Like read(): the bytes stored when it was opened.
    const chunks = entry.chunks.slice()
    const starts = entry.starts.slice()
    const size = entry.size
    return {
      size,
      read: async (into, position) => {
        if (position >= size) return 0
        let copied = 0
        for (let i = firstChunkAt(starts, position); i < chunks.length && copied < into.byteLength; i++) {
          const chunk = chunks[i] as Uint8Array
          const from = position + copied - (starts[i] as number)
          const piece = chunk.subarray(from, from + into.byteLength - copied)
          into.set(piece, copied)
          copied += piece.byteLength
        }
        return copied
      },
      close: async () => {},
    }
  }

  async delete(ref: FileRef): Promise<void> {
    const id = checkedKey(ref)
    if (!this.#files.delete(id)) throw notFound()
  }

  async *list(options: ListOptions = {}): AsyncIterable<FileMeta> {
    if (options.sid !== undefined && !isValidId(options.sid))
      throw new PsiError('INVALID_ID', 'Invalid bucket id')
    for (const entry of [...this.#files.values()]) {
      if (options.sid === undefined || entry.meta.sid === options.sid) yield snapshotMeta(entry)
    }
  }

  async claim(ref: FileRef): Promise<boolean> {
    const entry = this.#get(ref)
    if (entry.claimed) return false
    entry.claimed = true
    return true
  }

  async releaseClaim(ref: FileRef): Promise<void> {
    const entry = this.#files.get(checkedKey(ref))
    if (entry) entry.claimed = false
  }

  /**
   * Test probe, not part of {@link Store}: copies of the stored metadata, the bytes (all
   * appended chunks joined) and the claim flag, or `null` when nothing is stored under `ref`.
   * Reads the raw maps, bypassing the id checks, so tests can look for escaped writes.
   */
  inspect(ref: FileRef): MemorySnapshot | null {
    const entry = this.#files.get(storageKey(ref))
    if (!entry) return null
    const data = new Uint8Array(entry.size)
    for (let i = 0; i < entry.chunks.length; i++) data.set(entry.chunks[i]!, entry.starts[i])
    return { meta: snapshotMeta(entry), data, claimed: entry.claimed }
  }

  /** Test probe: stored byte count for `ref`, or `null` (cheap, unlike {@link inspect}). */
  storedSize(ref: FileRef): number | null {
    return this.#files.get(storageKey(ref))?.size ?? null
  }

  #get(ref: FileRef): Entry {
    const entry = this.#files.get(checkedKey(ref))
    if (!entry) throw notFound()
    return entry
  }
}

/** Map key for a ref, after re-checking both ids (a forged ref must not reach the map). */
function checkedKey(ref: FileRef): string {
  if (!isValidId(ref.sid) || !isValidId(ref.key)) throw new PsiError('INVALID_ID', 'Invalid file id')
  return storageKey(ref)
}

function snapshotMeta(entry: Entry): FileMeta {
  return { ...structuredClone(entry.meta), offset: entry.size }
}

function notFound(): PsiError {
  return new NotFoundError('File not found')
}

/** Yields copies of bytes `[from, to)` in pieces of at most {@link READ_PIECE}. */
async function* readPieces(
  chunks: readonly Uint8Array[],
  starts: readonly number[],
  from: number,
  to: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  let i = firstChunkAt(starts, from)
  let pos = from
  while (pos < to) {
    if (signal?.aborted) throw abortError(signal)
    const chunk = chunks[i]!
    const chunkStart = starts[i]!
    const begin = pos - chunkStart
    const stop = Math.min(chunk.byteLength, to - chunkStart, begin + READ_PIECE)
    const piece = chunk.slice(begin, stop)
    pos += piece.byteLength
    if (stop === chunk.byteLength) i++
    yield piece
  }
}

/** Index of the chunk holding byte `offset` (binary search over chunk start offsets). */
function firstChunkAt(starts: readonly number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Config of the `memory` store type: it takes no options. */
export type MemoryStoreConfig = Record<string, never>

/** Registry definition: `storage: { type: 'memory' }`. */
export const memoryStoreDefinition = defineStore<MemoryStoreConfig>({
  type: 'memory',
  configSchema: {
    parse(input: unknown): MemoryStoreConfig {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new PsiError('STORE_MISCONFIGURED', 'storage must be an object')
      }
      const [unknownKey] = Object.keys(input)
      if (unknownKey !== undefined) {
        throw new PsiError(
          'STORE_MISCONFIGURED',
          `storage.${unknownKey} is not an option of the memory store`,
        )
      }
      return {}
    },
    fields: {},
  },
  create: () => new MemoryStore(),
})
