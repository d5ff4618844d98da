/**
 * `AzureStore`: PsiTransfer files as block blobs in an Azure Blob Storage container.
 *
 * - `{prefix}{sid}/{key}`        the data: a block blob; TUS appends stage blocks, commit them
 * - `{prefix}{sid}/{key}.json`   the metadata (file record without the offset)
 * - `{prefix}{sid}/{key}.claim`  one-time download claim, while claimed
 *
 * Ids pass core's grammar (no `.`, `/`), so `{sid}/{key}.` never matches another file's blobs.
 * See the README for how TUS maps to blocks and why no acknowledged byte can be lost.
 * @module
 */
import { Readable } from 'node:stream'
import {
  BlobSASPermissions,
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-blob'
import {
  abortable,
  abortError,
  applyMetaPatch,
  contentDisposition,
  type DownloadUrlOptions,
  type FileMeta,
  type FileRef,
  formatFileRef,
  isExpired,
  isUploadLength,
  isValidId,
  type ListOptions,
  type Lock,
  type LockOptions,
  MemoryLocker,
  type MetaPatch,
  type NewFile,
  NotFoundError,
  OffsetMismatchError,
  PsiError,
  parseBucketId,
  type ReadOptions,
  resolveRange,
  type Store,
  StoreUnavailableError,
  sleep,
  UploadLockedError,
} from '@psitransfer/core'
import { isConditionFailed, isLeaseConflict, isNotFound, statusOf, toStoreError } from './azure-errors.js'
import {
  type Block,
  blockId,
  type DurableBlocks,
  durableBlocks,
  durableOffset,
  type ListedBlock,
} from './blocks.js'
import {
  type AzureStoreConfig,
  type AzureStoreOptions,
  blockSizeFor,
  maxUploadFor,
  parseAzureStoreConfig,
} from './config.js'
import { type Lease, LeaseManager } from './leases.js'
import { decodeMeta, encodeMeta, type StoredMeta, toFileMeta } from './meta-codec.js'

export interface AzureStoreDeps {
  logger?: { warn(obj: unknown, msg?: string): void }
}

export interface SweepOptions {
  now: number
  /** Blobs without metadata younger than this are left alone (an upload being created). Default 1 h. */
  graceMs?: number
}

export interface SweepResult {
  /** Expired files deleted. */
  expired: number
  /** Incomplete uploads deleted after `abandonedUploadTtl` without activity. */
  abandoned: number
  /** Expired or abandoned files left alone because a live writer holds their lock. */
  skipped: number
  /** Data and claim blobs without metadata deleted. */
  orphans: number
  /** Metadata blobs that could not be read (left alone, never listed). */
  damaged: number
}

/** A data blob's block list as Get Block List returned it (ids not parsed yet). */
interface BlockListing {
  committed: readonly ListedBlock[]
  uncommitted: readonly ListedBlock[]
  /** The committed blob's length. */
  length: number
}

/**
 * What `info` read under this process's lock on an upload, kept for the `append` that follows
 * in the same PATCH so it does not read the same two blobs again (2 requests less per PATCH).
 * Bound to the lease: nobody else can stage or commit blocks while we hold it (Azure refuses
 * writes without its id), and the metadata fields `append` uses cannot change under it either:
 * type and block size are fixed at creation, the length and `complete` are only set under the
 * upload's lock. A delete by another instance breaks the lease before it deletes the data, so
 * an append working from a snapshot of a deleted upload fails on its first write.
 * Dropped when taken, when the lease is released or lost, and on update, complete and delete.
 */
interface Snapshot {
  lease: Lease
  meta: StoredMeta
  listing: BlockListing
}

/**
 * A failed write of an append. The data blob gone means the upload was deleted (by another
 * instance: it breaks our lease and deletes the blob while we write): 404, not a store outage.
 */
function saveError(err: unknown): PsiError {
  return isNotFound(err) ? new NotFoundError('File not found') : toStoreError(err, 'save the upload')
}

function checkRef(ref: FileRef): FileRef {
  if (!ref || !isValidId(ref.sid)) throw new PsiError('INVALID_ID', 'Invalid bucket id')
  if (!isValidId(ref.key)) throw new PsiError('INVALID_ID', 'Invalid file id')
  return ref
}

/**
 * Bytes received but not staged yet, taken out a block at a time as the received chunks
 * themselves (the last one split by `subarray`): no copy. Copying them into a fresh block
 * buffer took 5–8 times the client CPU of a bare SDK upload of the same bytes (every multi-MiB
 * allocation is a new mapping, page-faulted and zeroed, then garbage), CPU the storage lacked
 * on a shared host. The chunks are held until their block is staged, so a body must not reuse
 * a buffer it has yielded (request streams never do).
 */
class Pending {
  #chunks: Uint8Array[] = []
  size = 0

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    this.#chunks.push(chunk)
    this.size += chunk.byteLength
  }

  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = []
    let taken = 0
    while (taken < n) {
      const head = this.#chunks[0] as Uint8Array
      const used = Math.min(head.byteLength, n - taken)
      out.push(used === head.byteLength ? head : head.subarray(0, used))
      taken += used
      if (used === head.byteLength) this.#chunks.shift()
      else this.#chunks[0] = head.subarray(used)
    }
    this.size -= n
    return out
  }
}

/**
 * A block's chunks as a request body the SDK can send more than once: it calls the function
 * per attempt, so a retried Put Block streams the same bytes again.
 */
function blockBody(chunks: readonly Uint8Array[]): () => NodeJS.ReadableStream {
  return () => Readable.from(chunks, { objectMode: false })
}

export class AzureStore implements Store {
  readonly type = 'azure'
  readonly config: AzureStoreConfig
  readonly service: BlobServiceClient
  readonly container: ContainerClient
  readonly #leases: LeaseManager
  readonly #warn: (obj: unknown, msg: string) => void
  /** Leases {@link AzureLocker} holds in this process, by `sid++key`; appends under the lock write with them. */
  readonly #held = new Map<string, Lease>()
  /** Leases single calls took for themselves (no locker lock held), released when they end. */
  readonly #own = new Set<Lease>()
  /** Serializes metadata read-modify-writes within this process (ETags guard across processes). */
  readonly #metaLocks = new MemoryLocker()
  /** Queues this process's lock requests per upload before Azure is asked. */
  readonly #localLocks = new MemoryLocker()
  /** State `info` read under a held lease, by `sid++key` (see {@link Snapshot}). */
  readonly #snapshots = new Map<string, Snapshot>()
  /** Bumped by every invalidation, so an `info` racing with one keeps nothing it read before it. */
  #epoch = 0

  constructor(options: AzureStoreOptions | AzureStoreConfig, deps: AzureStoreDeps = {}) {
    this.config = parseAzureStoreConfig(options)
    const warn = deps.logger ? deps.logger.warn.bind(deps.logger) : () => {}
    this.#warn = (obj, msg) => warn(obj, msg)
    const pipeline = {
      retryOptions: { maxTries: this.config.maxAttempts, tryTimeoutInMs: this.config.requestTimeoutMs },
      keepAliveOptions: { enable: true },
    }
    if (this.config.connectionString !== undefined) {
      this.service = BlobServiceClient.fromConnectionString(this.config.connectionString, pipeline)
    } else {
      const account = this.config.accountName as string
      const credential = new StorageSharedKeyCredential(account, this.config.accountKey as string)
      const endpoint = this.config.endpoint ?? `https://${account}.blob.core.windows.net`
      this.service = new BlobServiceClient(endpoint, credential, pipeline)
    }
    this.container = this.service.getContainerClient(this.config.container)
    // The port: the method's presence is the capability, so without the key it is hidden.
    if (!this.#canSign()) Object.defineProperty(this, 'downloadUrl', { value: undefined })
    this.#leases = new LeaseManager(this.config.lockStaleAfter * 1000, this.#warn)
  }

  #where(): string {
    return `container "${this.config.container}" at ${this.container.url.replace(/\?.*$/, '')}`
  }

  #name(ref: FileRef, suffix = ''): string {
    return `${this.config.prefix}${ref.sid}/${ref.key}${suffix}`
  }

  #data(ref: FileRef): BlockBlobClient {
    return this.container.getBlockBlobClient(this.#name(ref))
  }

  async init(): Promise<void> {
    try {
      const exists = await this.container.exists()
      if (!exists) {
        if (!this.config.createContainer) {
          throw new PsiError(
            'STORE_MISCONFIGURED',
            `Azure ${this.#where()} does not exist; create it or set storage.createContainer`,
          )
        }
        await this.container.createIfNotExists()
      }
      const check = this.container.getBlockBlobClient(`${this.config.prefix}.psitransfer-write-check`)
      await check.upload('ok', 2)
      await check.deleteIfExists()
    } catch (err) {
      if (err instanceof PsiError) throw err
      const reason = (err as { details?: { errorCode?: string } }).details?.errorCode ?? statusOf(err) ?? ''
      throw new PsiError(
        'STORE_MISCONFIGURED',
        `Cannot use Azure ${this.#where()}: ${reason || (err as Error).message}; check the account, key and endpoint`,
        { cause: err },
      )
    }
  }

  // -- metadata -----------------------------------------------------------------------------

  async #readMeta(ref: FileRef): Promise<{ meta: StoredMeta; etag: string } | null> {
    const blob = this.container.getBlockBlobClient(this.#name(ref, '.json'))
    let text: string
    let etag: string
    try {
      const res = await blob.download()
      text = await streamText(res.readableStreamBody as Readable)
      etag = res.etag ?? ''
    } catch (err) {
      if (isNotFound(err)) return null
      throw toStoreError(err, 'read file metadata')
    }
    const meta = decodeMeta(text, ref)
    if (!meta) {
      this.#warn({ blob: blob.name }, 'ignoring damaged metadata')
      return null
    }
    return { meta, etag }
  }

  async #loadMeta(ref: FileRef): Promise<{ meta: StoredMeta; etag: string }> {
    const found = await this.#readMeta(ref)
    if (!found) throw new NotFoundError('File not found')
    return found
  }

  /** Writes metadata: new (`ifNoneMatch`), or replacing the version read (`ifMatch`). Returns false on a lost race. */
  async #writeMeta(ref: FileRef, meta: StoredMeta, condition: { ifMatch: string } | { ifNoneMatch: '*' }) {
    const text = encodeMeta(meta)
    try {
      await this.container
        .getBlockBlobClient(this.#name(ref, '.json'))
        .upload(text, Buffer.byteLength(text), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: condition,
        })
      return true
    } catch (err) {
      if (isConditionFailed(err) || statusOf(err) === 409) return false
      throw toStoreError(err, 'write file metadata')
    }
  }

  /** Read-modify-write of the metadata, retried when another instance wrote in between. */
  async #mutate(ref: FileRef, change: (meta: StoredMeta) => StoredMeta | Promise<StoredMeta>) {
    const lock = await this.#metaLocks.lock(this.#name(ref), { waitMs: 60_000 })
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        const { meta, etag } = await this.#loadMeta(ref)
        const next = await change(meta)
        if (await this.#writeMeta(ref, next, { ifMatch: etag })) return next
      }
      throw new StoreUnavailableError('The file metadata keeps changing; retry shortly')
    } finally {
      // Also after the write: an `info` that read the old metadata meanwhile must not keep it.
      this.#invalidate(ref)
      await lock.release()
    }
  }

  // -- byte state -----------------------------------------------------------------------------

  /** The durable offset of an incomplete upload: committed length + the uncommitted chain. */
  async #offset(ref: FileRef): Promise<number> {
    try {
      const list = await this.#data(ref).getBlockList('uncommitted')
      return durableOffset(list.blobContentLength ?? 0, list.uncommittedBlocks ?? [])
    } catch (err) {
      // Metadata without data: a create that stopped in between. Nothing was written yet.
      if (isNotFound(err)) return 0
      throw toStoreError(err, 'read the upload state')
    }
  }

  async #blocks(blob: BlockBlobClient) {
    try {
      const list = await blob.getBlockList('all')
      return durableBlocks(list.committedBlocks ?? [], list.uncommittedBlocks ?? [])
    } catch (err) {
      throw toStoreError(err, 'read the upload state')
    }
  }

  /** The whole block list of a data blob, `null` when the blob does not exist. */
  async #listing(blob: BlockBlobClient): Promise<BlockListing | null> {
    try {
      const list = await blob.getBlockList('all')
      return {
        committed: list.committedBlocks ?? [],
        uncommitted: list.uncommittedBlocks ?? [],
        length: list.blobContentLength ?? 0,
      }
    } catch (err) {
      if (isNotFound(err)) return null
      throw toStoreError(err, 'read the upload state')
    }
  }

  /** Drops what `info` kept of `ref` (its metadata or blocks are about to change). */
  #invalidate(ref: FileRef): void {
    this.#epoch++
    this.#snapshots.delete(formatFileRef(ref))
  }

  /** Takes the snapshot `info` kept of `ref`, if it is still bound to the lease held now. */
  #takeSnapshot(ref: FileRef): Snapshot | undefined {
    const id = formatFileRef(ref)
    const snap = this.#snapshots.get(id)
    if (!snap) return undefined
    this.#snapshots.delete(id)
    return snap.lease === this.#held.get(id) && !snap.lease.lost.aborted ? snap : undefined
  }

  async #commit(blob: BlockBlobClient, blocks: readonly Block[], leaseId: string, contentType: string) {
    await blob.commitBlockList(
      blocks.map((b) => b.id),
      {
        conditions: { leaseId },
        blobHTTPHeaders: { blobContentType: contentType || 'application/octet-stream' },
      },
    )
  }

  /** Creates the data blob (empty) unless it exists. */
  async #ensureData(blob: BlockBlobClient, contentType: string): Promise<void> {
    try {
      await blob.commitBlockList([], {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: contentType || 'application/octet-stream' },
      })
    } catch (err) {
      if (!isConditionFailed(err) && statusOf(err) !== 409) throw toStoreError(err, 'create the file')
    }
  }

  /**
   * The lease to write `ref` with: the one this process holds (taken by {@link AzureLocker}),
   * else a lease of its own for this call (`UPLOAD_LOCKED` when another writer has it).
   */
  async #writeLease(ref: FileRef, blob: BlockBlobClient, contentType: string) {
    const id = formatFileRef(ref)
    const held = this.#held.get(id)
    if (held && !held.lost.aborted) return { lease: held, own: false }
    for (let attempt = 0; attempt < 2; attempt++) {
      // A lease whose holder died is broken here too (on a later call: staleness needs two looks).
      const got = await this.#leases.tryAcquire(blob, true)
      if (got === null) throw new UploadLockedError()
      if (got !== 'missing') {
        this.#own.add(got)
        return { lease: got, own: true }
      }
      await this.#ensureData(blob, contentType)
    }
    throw new NotFoundError('File not found')
  }

  /**
   * Starts `read` at once when this process holds the upload's lock (AzureLocker, the server's
   * PATCH path): nobody else stages or commits then, so the block list can be read alongside
   * the metadata, one round trip less per call. The caller awaits `early`, or drops it when the
   * metadata read fails first (no unhandled rejection).
   */
  #readAhead<T>(ref: FileRef, read: () => Promise<T>): { lease?: Lease; early?: Promise<T> } {
    const lease = this.#held.get(formatFileRef(ref))
    if (!lease || lease.lost.aborted) return {}
    const early = read()
    early.catch(() => {})
    return { lease, early }
  }

  async #dropLease(ref: FileRef, lease: Lease): Promise<void> {
    const id = formatFileRef(ref)
    if (this.#held.get(id) === lease) {
      this.#held.delete(id)
      this.#snapshots.delete(id)
    }
    this.#own.delete(lease)
    await lease.release()
  }

  // -- the port -------------------------------------------------------------------------------

  async create(file: NewFile): Promise<FileMeta> {
    checkRef(file)
    if (!isUploadLength(file.uploadLength)) {
      throw new PsiError('INVALID_INPUT', 'Upload length must be a non-negative integer')
    }
    const blockSize = blockSizeFor(file.uploadLength, this.config.blockSize)
    if (file.uploadLength !== null && file.uploadLength > maxUploadFor(blockSize)) {
      throw new PsiError('TOO_LARGE', 'The file is larger than Azure block blobs allow')
    }
    const { lastDownload, downloads, ...rest } = structuredClone(file)
    const meta: StoredMeta = {
      ...rest,
      lastDownload: lastDownload ?? null,
      downloads: downloads ?? 0,
      complete: false,
      azure: { blockSize },
    }
    delete (meta as Partial<FileMeta>).offset
    delete (meta as Partial<FileMeta>).storeState
    if (!(await this.#writeMeta(file, meta, { ifNoneMatch: '*' }))) {
      throw new PsiError('INVALID_INPUT', 'A file with this id already exists')
    }
    const blob = this.#data(file)
    try {
      // An empty committed blob: it can be leased, and it replaces (with its uncommitted
      // blocks) anything a deleted upload of the same ids left behind.
      await this.#resetData(blob, file.type)
    } catch (err) {
      await this.container
        .getBlockBlobClient(this.#name(file, '.json'))
        .deleteIfExists()
        .catch(() => {})
      throw toStoreError(err, 'create the file')
    }
    return toFileMeta(meta, 0)
  }

  async #resetData(blob: BlockBlobClient, contentType: string): Promise<void> {
    const headers = { blobContentType: contentType || 'application/octet-stream' }
    try {
      await blob.commitBlockList([], { blobHTTPHeaders: headers })
    } catch (err) {
      if (!isLeaseConflict(err) && statusOf(err) !== 412) throw err
      // A writer of a deleted upload with the same ids still holds the old blob's lease.
      await blob.getBlobLeaseClient().breakLease(0)
      await blob.commitBlockList([], { blobHTTPHeaders: headers })
    }
  }

  async info(ref: FileRef): Promise<FileMeta> {
    checkRef(ref)
    const id = formatFileRef(ref)
    this.#snapshots.delete(id)
    const epoch = this.#epoch
    // A PATCH's own info (under its lock) reads the block list alongside the metadata and keeps
    // both for its append; HEAD and downloads read the offset only once the metadata says
    // incomplete, so a finished file costs one read.
    const { lease, early } = this.#readAhead(ref, () => this.#listing(this.#data(ref)))
    const { meta } = await this.#loadMeta(ref)
    if (!lease || !early) {
      const offset = meta.complete ? (meta.uploadLength ?? 0) : await this.#offset(ref)
      return toFileMeta(meta, offset)
    }
    const listing = await early
    if (listing && epoch === this.#epoch && this.#held.get(id) === lease && !lease.lost.aborted) {
      this.#snapshots.set(id, { lease, meta, listing })
    }
    // No data blob: a create that stopped before writing it (see #offset).
    const offset = meta.complete
      ? (meta.uploadLength ?? 0)
      : listing
        ? durableOffset(listing.length, listing.uncommitted)
        : 0
    return toFileMeta(meta, offset)
  }

  async update(ref: FileRef, patch: MetaPatch): Promise<FileMeta> {
    checkRef(ref)
    this.#invalidate(ref)
    let offset = 0
    const next = await this.#mutate(ref, async (meta) => {
      offset = meta.complete ? (meta.uploadLength ?? 0) : await this.#offset(ref)
      return applyMetaPatch(meta, patch, offset)
    })
    return toFileMeta(next, offset)
  }

  async append(
    ref: FileRef,
    data: AsyncIterable<Uint8Array>,
    offset: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    checkRef(ref)
    const { signal } = options
    if (signal?.aborted) throw abortError(signal)
    const blob = this.#data(ref)
    const snap = this.#takeSnapshot(ref)
    if (snap) {
      const { meta, lease, listing } = snap
      try {
        const blocks = durableBlocks(listing.committed, listing.uncommitted)
        return await this.#appendBlocks(meta, blob, lease, blocks, data, offset, signal)
      } catch (err) {
        // Azure refused our lease: another instance may have deleted the upload since info.
        const code = (err as PsiError).code
        if (
          (code === 'UPLOAD_LOCKED' || code === 'NOT_FOUND') &&
          (await this.#readMeta(ref).catch(() => 0)) === null
        ) {
          // A Put Block after the delete recreates the blob with only uncommitted blocks, which
          // listings (and so the sweeper) do not show: remove it (Azure would after a week).
          await blob.deleteIfExists().catch(() => {})
          throw new NotFoundError('File not found')
        }
        throw err
      }
    }
    const { lease: held, early } = this.#readAhead(ref, () => this.#blocks(blob))
    const { meta } = await this.#loadMeta(ref)
    const { lease, own } = await this.#writeLease(ref, blob, meta.type)
    try {
      const blocks = lease === held && early ? early : this.#blocks(blob)
      return await this.#appendBlocks(meta, blob, lease, await blocks, data, offset, signal)
    } finally {
      if (own) await this.#dropLease(ref, lease)
    }
  }

  /**
   * Stages the body as blocks of up to the upload's block size, one block in flight while the
   * next fills (memory: two blocks), then commits the blocks so far (the committed blob is the
   * upload's readable prefix). A last block smaller than half a block is merged into the next
   * append's first block (downloaded back, at most half a block), so the 50,000 committed
   * blocks Azure allows always cover `maxUploadFor(blockSize)` whatever the clients' PATCH sizes.
   */
  async #appendBlocks(
    meta: StoredMeta,
    blob: BlockBlobClient,
    lease: Lease,
    blocks: DurableBlocks,
    data: AsyncIterable<Uint8Array>,
    offset: number,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const leaseId = lease.leaseId
    let state = blocks
    if (state.chain.length > 0) {
      // Blocks a crashed writer staged but never committed: durable, so commit them first.
      await this.#commit(blob, [...state.committed, ...state.chain], leaseId, meta.type).catch((err) => {
        throw toStoreError(err, 'save the upload')
      })
      state = {
        ...state,
        committed: [...state.committed, ...state.chain],
        committedLength: state.offset,
        chain: [],
      }
    }
    if (offset !== state.offset) throw new OffsetMismatchError(state.offset, offset)
    if (meta.complete && meta.uploadLength !== null && offset >= meta.uploadLength) {
      // Nothing may follow a completed upload; an empty body is fine.
      for await (const chunk of abortable(data, signal)) {
        if (chunk.byteLength > 0) throw new PsiError('TOO_LARGE', 'The upload is already complete')
      }
      return offset
    }
    const size = meta.azure.blockSize
    const limit = meta.uploadLength ?? maxUploadFor(size)
    const tail = state.committed.at(-1)
    const staged: Block[] = []
    const pending = new Pending()
    let blockStart = offset
    let received = offset
    let merged = false
    let inflight: Promise<void> = Promise.resolve()
    let stageError: unknown
    const stage = (chunks: Uint8Array[], length: number, start: number) => {
      const previous = inflight
      inflight = (async () => {
        await previous
        if (stageError !== undefined) return
        const block = { id: blockId(start, start + length), start, end: start + length }
        try {
          await blob.stageBlock(block.id, blockBody(chunks), length, { conditions: { leaseId } })
          staged.push(block)
        } catch (err) {
          stageError = err
        }
      })()
      return inflight
    }
    const cut = async (final: boolean) => {
      while (pending.size >= size || (final && pending.size > 0)) {
        // Only one block waits while another is in flight: backpressure on the body.
        await inflight
        if (stageError !== undefined) throw saveError(stageError)
        const n = Math.min(size, pending.size)
        void stage(pending.take(n), n, blockStart)
        blockStart += n
      }
    }
    let failure: unknown
    let tooLarge = false
    const signals = [lease.lost, ...(signal ? [signal] : [])]
    const stop = AbortSignal.any(signals)
    try {
      for await (const chunk of abortable(data, stop)) {
        if (chunk.byteLength === 0) continue
        if (chunk.byteLength > limit - received) {
          // Nothing of a chunk that overflows is kept (the bytes before it are).
          tooLarge = true
          break
        }
        if (!merged && tail && tail.end === offset && tail.end - tail.start < size / 2) {
          // First bytes: take the small last block back to grow it (see above).
          merged = true
          pending.push(await this.#downloadRange(blob, tail.start, tail.end - tail.start))
          blockStart = tail.start
        }
        pending.push(chunk)
        received += chunk.byteLength
        await cut(false)
      }
    } catch (err) {
      failure = err
    }
    // Whatever arrived is saved, also when the body failed midway; then the blocks are committed.
    try {
      await cut(true)
    } catch (err) {
      failure ??= err
    }
    await inflight
    if (stageError !== undefined) failure ??= saveError(stageError)
    let durable = offset
    if (staged.length > 0) {
      const first = (staged[0] as Block).start
      const keep = state.committed.filter((b) => b.end <= first)
      try {
        await this.#commit(blob, [...keep, ...staged], leaseId, meta.type)
        durable = (staged.at(-1) as Block).end
      } catch (err) {
        // Staged blocks that continue the committed ones still count (info reads the chain).
        failure ??= saveError(err)
      }
    }
    if (failure !== undefined) {
      if (lease.lost.aborted && !signal?.aborted) {
        throw new UploadLockedError('The upload lock was taken over by another instance; resume shortly')
      }
      throw failure
    }
    if (tooLarge) throw new PsiError('TOO_LARGE', 'The data goes beyond the upload length')
    return durable
  }

  async #downloadRange(blob: BlockBlobClient, start: number, count: number): Promise<Uint8Array> {
    try {
      return await blob.downloadToBuffer(start, count)
    } catch (err) {
      throw toStoreError(err, 'read the upload')
    }
  }

  async complete(ref: FileRef): Promise<FileMeta> {
    checkRef(ref)
    this.#invalidate(ref)
    const { meta } = await this.#loadMeta(ref)
    if (meta.complete) return toFileMeta(meta, meta.uploadLength ?? 0)
    if (meta.uploadLength === null) {
      throw new PsiError('INVALID_INPUT', 'The upload length is not known yet')
    }
    const length = meta.uploadLength
    const blob = this.#data(ref)
    const { lease, own } = await this.#writeLease(ref, blob, meta.type)
    try {
      const state = await this.#blocks(blob)
      if (state.offset !== length) {
        throw new PsiError('INVALID_INPUT', `${length - state.offset} bytes of the upload are still missing`)
      }
      if (state.chain.length > 0) {
        // A writer staged the last blocks and died before committing them.
        await this.#commit(blob, [...state.committed, ...state.chain], lease.leaseId, meta.type).catch(
          (err) => {
            throw toStoreError(err, 'finish the upload')
          },
        )
      }
    } finally {
      if (own) await this.#dropLease(ref, lease)
    }
    // The commit is done (now or by an earlier call that stopped before this write).
    const next = await this.#mutate(ref, (m) => ({ ...m, complete: true }))
    return toFileMeta(next, length)
  }

  async read(ref: FileRef, options: ReadOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    checkRef(ref)
    const { signal, range } = options
    if (signal?.aborted) throw abortError(signal)
    const { meta } = await this.#loadMeta(ref)
    const blob = this.#data(ref)
    let size: number
    try {
      // The committed blob is what can be read: the whole file once complete, else its durable prefix.
      size = (await blob.getProperties({ abortSignal: signal })).contentLength ?? 0
    } catch (err) {
      if (signal?.aborted) throw abortError(signal)
      if (isNotFound(err)) throw new NotFoundError('File not found')
      throw toStoreError(err, 'read the file')
    }
    if (meta.complete && meta.uploadLength !== null && size !== meta.uploadLength) {
      throw new PsiError('INTERNAL', 'The stored file is damaged')
    }
    const { start, length: count } = resolveRange(size, range)
    if (count === 0) return (async function* () {})()
    let body: Readable
    try {
      const res = await blob.download(start, count, {
        maxRetryRequests: this.config.maxAttempts,
        ...(signal ? { abortSignal: signal } : {}),
      })
      body = res.readableStreamBody as Readable
    } catch (err) {
      if (signal?.aborted) throw abortError(signal)
      if (isNotFound(err)) throw new NotFoundError('File not found')
      throw toStoreError(err, 'read the file')
    }
    return (async function* () {
      try {
        for await (const chunk of body) yield chunk as Uint8Array
      } catch (err) {
        if (signal?.aborted) throw abortError(signal)
        throw toStoreError(err, 'read the file')
      } finally {
        body.destroy()
      }
    })()
  }

  async delete(ref: FileRef): Promise<void> {
    checkRef(ref)
    this.#invalidate(ref)
    const metaBlob = this.container.getBlockBlobClient(this.#name(ref, '.json'))
    try {
      // The metadata goes first: from then on the file does not exist for anyone.
      const res = await metaBlob.deleteIfExists()
      if (!res.succeeded) throw new NotFoundError('File not found')
    } catch (err) {
      throw toStoreError(err, 'delete the file')
    }
    const blob = this.#data(ref)
    const held = this.#held.get(formatFileRef(ref))
    try {
      await this.#deleteBlob(blob, held?.leaseId)
      await this.container.getBlockBlobClient(this.#name(ref, '.claim')).deleteIfExists()
    } catch (err) {
      // The metadata is gone, so the file is; the sweeper removes what is left.
      this.#warn({ err, blob: blob.name }, 'could not remove the data of a deleted file')
    }
  }

  /** Deletes a data blob, breaking the lease of whoever writes it (a delete wins over an upload). */
  async #deleteBlob(blob: BlockBlobClient, leaseId?: string): Promise<void> {
    try {
      await blob.deleteIfExists(leaseId ? { conditions: { leaseId } } : {})
    } catch (err) {
      if (!isLeaseConflict(err) && statusOf(err) !== 412) throw err
      await blob.getBlobLeaseClient().breakLease(0)
      await blob.deleteIfExists()
    }
  }

  async *list(options: ListOptions = {}): AsyncIterable<FileMeta> {
    const sid = options.sid === undefined ? undefined : parseBucketId(options.sid)
    const prefix = `${this.config.prefix}${sid === undefined ? '' : `${sid}/`}`
    const iter = this.container.listBlobsFlat({ prefix })
    for (;;) {
      let step: IteratorResult<{ name: string }>
      try {
        step = await iter.next()
      } catch (err) {
        throw toStoreError(err, 'list files')
      }
      if (step.done) return
      const ref = this.#parseName(step.value.name, '.json')
      if (!ref || (sid !== undefined && ref.sid !== sid)) continue
      try {
        const found = await this.#readMeta(ref)
        if (!found) continue
        const { meta } = found
        const offset = meta.complete ? (meta.uploadLength ?? 0) : await this.#offset(ref)
        yield toFileMeta(meta, offset)
      } catch (err) {
        // A file deleted or damaged while listing is skipped; a failing store is not.
        if ((err as PsiError).code !== 'INTERNAL' && (err as PsiError).code !== 'NOT_FOUND') throw err
      }
    }
  }

  /** `{prefix}{sid}/{key}{suffix}` → ref, or `null` for any other name. */
  #parseName(name: string, suffix: string): FileRef | null {
    if (!name.startsWith(this.config.prefix) || !name.endsWith(suffix)) return null
    const rel = name.slice(this.config.prefix.length, name.length - suffix.length)
    const [sid, key, extra] = rel.split('/')
    if (extra !== undefined || !isValidId(sid) || !isValidId(key)) return null
    return { sid: sid as FileRef['sid'], key: key as FileRef['key'] }
  }

  async claim(ref: FileRef): Promise<boolean> {
    checkRef(ref)
    await this.#loadMeta(ref)
    try {
      await this.container
        .getBlockBlobClient(this.#name(ref, '.claim'))
        .upload('', 0, { conditions: { ifNoneMatch: '*' } })
      return true
    } catch (err) {
      if (isConditionFailed(err) || statusOf(err) === 409) return false
      throw toStoreError(err, 'claim the file')
    }
  }

  async releaseClaim(ref: FileRef): Promise<void> {
    checkRef(ref)
    try {
      await this.container.getBlockBlobClient(this.#name(ref, '.claim')).deleteIfExists()
    } catch (err) {
      throw toStoreError(err, 'release the claim')
    }
  }

  /** SAS URLs need the account key; a connection string with a SAS token cannot sign new ones. */
  #canSign(): boolean {
    return this.service.credential instanceof StorageSharedKeyCredential
  }

  async downloadUrl(ref: FileRef, options: DownloadUrlOptions): Promise<string> {
    checkRef(ref)
    if (!this.#canSign()) {
      throw new PsiError('STORE_MISCONFIGURED', 'SAS download URLs need the storage account key')
    }
    const now = Date.now()
    try {
      return await this.#data(ref).generateSasUrl({
        permissions: BlobSASPermissions.parse('r'),
        // A few minutes back, for clocks of this host running ahead of Azure's.
        startsOn: new Date(now - 5 * 60_000),
        expiresOn: new Date(now + options.expiresIn * 1000),
        protocol: this.container.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
        contentDisposition: contentDisposition(options.filename, options.disposition),
        ...(options.contentType ? { contentType: options.contentType } : {}),
      })
    } catch (err) {
      throw toStoreError(err, 'sign a download URL')
    }
  }

  async sweep(options: SweepOptions): Promise<SweepResult> {
    const { now, graceMs = 3_600_000 } = options
    const result: SweepResult = { expired: 0, abandoned: 0, skipped: 0, orphans: 0, damaged: 0 }
    interface Seen {
      meta: boolean
      data?: { lastModified: number; leased: boolean }
      claim?: number
    }
    const files = new Map<string, Seen>()
    const entry = (ref: FileRef) => {
      const id = formatFileRef(ref)
      let seen = files.get(id)
      if (!seen) {
        seen = { meta: false }
        files.set(id, seen)
      }
      return seen
    }
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: this.config.prefix })) {
        const modified = b.properties.lastModified?.getTime() ?? now
        const metaRef = this.#parseName(b.name, '.json')
        const claimRef = this.#parseName(b.name, '.claim')
        const dataRef = this.#parseName(b.name, '')
        if (metaRef) entry(metaRef).meta = true
        else if (claimRef) entry(claimRef).claim = modified
        else if (dataRef)
          entry(dataRef).data = { lastModified: modified, leased: b.properties.leaseState === 'leased' }
      }
    } catch (err) {
      throw toStoreError(err, 'list files')
    }
    const ttl = this.config.abandonedUploadTtl * 1000
    for (const [id, seen] of files) {
      const [sid, key] = id.split('++') as [FileRef['sid'], FileRef['key']]
      const ref = { sid, key }
      if (!seen.meta) {
        if (seen.data && now - seen.data.lastModified > graceMs) {
          await this.#deleteBlob(this.#data(ref)).catch((err) => this.#warn({ err }, 'sweep: delete failed'))
          result.orphans++
        }
        if (seen.claim !== undefined && now - seen.claim > graceMs) {
          await this.container.getBlockBlobClient(this.#name(ref, '.claim')).deleteIfExists()
          result.orphans++
        }
        continue
      }
      const found = await this.#readMeta(ref)
      if (!found) {
        result.damaged++
        continue
      }
      const { meta } = found
      const expired = isExpired(meta, now)
      const abandoned =
        !expired && !meta.complete && ttl > 0 && seen.data !== undefined && now - seen.data.lastModified > ttl
      if (!expired && !abandoned) continue
      // A writer is active (its heartbeat keeps the lease fresh): not now, the next sweep decides.
      // Real time here, not `now` (a report time); a lease idle for 10 × the staleness limit is dead.
      const idle = Date.now() - (seen.data?.lastModified ?? 0)
      if (seen.data?.leased && idle < 10 * this.config.lockStaleAfter * 1000) {
        result.skipped++
        continue
      }
      try {
        await this.delete(ref)
        if (expired) result.expired++
        else result.abandoned++
      } catch (err) {
        if ((err as PsiError).code !== 'NOT_FOUND') this.#warn({ err }, 'sweep: delete failed')
      }
    }
    return result
  }

  /**
   * The cross-instance lock of `sid++key` (used by {@link AzureLocker}): a lease on the data
   * blob, waiting up to `waitMs`. For a file without a data blob (unknown id) only this
   * process's lock is taken: every write to such a file fails or creates it under a lease.
   */
  async lockUpload(id: string, ref: FileRef, options: LockOptions = {}): Promise<Lock> {
    const { waitMs = 0, signal } = options
    const deadline = Date.now() + waitMs
    const local = await this.#localLocks.lock(id, options)
    const blob = this.#data(ref)
    let lease: Lease | null = null
    try {
      for (let attempt = 0; ; attempt++) {
        const got = await this.#leases.tryAcquire(blob, true)
        if (got === 'missing') break
        if (got) {
          lease = got
          this.#held.set(id, got)
          break
        }
        const left = deadline - Date.now()
        if (left <= 0) throw new UploadLockedError()
        await sleep(Math.min(left, 50 * 2 ** Math.min(attempt, 3)), signal)
      }
    } catch (err) {
      await local.release()
      throw err
    }
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        try {
          if (lease) await this.#dropLease(ref, lease)
        } finally {
          await local.release()
        }
      },
    }
  }

  async close(): Promise<void> {
    const held = [...this.#held.values(), ...this.#own]
    this.#held.clear()
    this.#own.clear()
    this.#snapshots.clear()
    await Promise.all(held.map((l) => l.release()))
  }
}

async function streamText(body: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array))
  return Buffer.concat(chunks).toString('utf8')
}
