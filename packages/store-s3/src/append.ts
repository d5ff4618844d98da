/**
 * One append: bytes stream into part-sized buffers; every full buffer is uploaded as the next
 * part while the following bytes keep arriving (bounded by `maxConcurrentPartUploads` and the
 * store's memory budget). What is left at the end (less than a part) is written as a tail
 * segment before the offset is reported, so every acknowledged byte is in S3.
 *
 * Durability order:
 * - the old tail's bytes travel inside the first new part; its segment objects are deleted only
 *   after that part is acknowledged (and derivation ignores them from then on anyway);
 * - new tail segments are separate objects (never overwriting a tail that a part in flight still
 *   depends on), so they can be written while parts are still uploading;
 * - the returned offset counts parts S3 acknowledged contiguously from part 1, plus the tail.
 * @module
 */
import { abortable, type FileRef, PsiError } from '@psitransfer/core'
import type { Reservation } from './budget.js'
import { MIN_PART_SIZE } from './config.js'
import { MAX_TAIL_SEGMENTS, type S3Context } from './context.js'
import { refId } from './keys.js'
import { INC_METADATA } from './load.js'
import { PartFeed } from './part-feed.js'
import { toStoreError } from './s3-errors.js'
import type { Loaded } from './sessions.js'
import { effectivePartSize, type PartInfo, type TailPiece, tailBytes, type UploadState } from './state.js'
import { tailSignature } from './tail-cache.js'

/** A part upload started before its bytes are all there. */
interface Started {
  feed: PartFeed
  abort: AbortController
  done: Promise<string>
  partNumber: number
  uploadId: string
}

export interface AppendOutcome {
  /** State after the append (also when it failed: what S3 holds now). */
  loaded: Loaded
  /** Set when the append failed; `loaded.state.offset` is still the durable offset. */
  error?: unknown
}

function tooLarge(): PsiError {
  return new PsiError('TOO_LARGE', 'The data goes beyond the upload length')
}

/** Upload offset of a segment's first byte (the number at the end of its key). */
function segmentBase(key: string): number {
  return Number(key.slice(key.lastIndexOf('.') + 1))
}

export class AppendRun {
  readonly #S: number
  readonly #L: number | null
  readonly #uploadId: string | undefined
  readonly #dataKey: string
  readonly #id: string

  /** Upload offset where the current buffer starts. */
  #start: number
  #nextPart: number
  #buf: Uint8Array | undefined
  #res: Reservation | undefined
  #pos = 0
  /** Bytes at the front of the first buffer that belong to the old tail. */
  #oldLen: number
  #oldTail: TailPiece[]
  #tailLoad: Promise<void> | undefined
  /** The old tail's bytes are in the first buffer (from the cache or S3). */
  #tailReady = false
  #cut = 0
  /** The part streaming out of the current buffer while it fills (see #startStream). */
  #stream: { feed: PartFeed; abort: AbortController; done: Promise<string> } | undefined
  /** New bytes taken from the request so far. */
  #received = 0
  readonly #inflight = new Set<Promise<void>>()
  readonly #acked: PartInfo[] = []
  #failure: unknown
  #final = false

  constructor(
    private readonly ctx: S3Context,
    private readonly ref: FileRef,
    private readonly loaded: Loaded,
    private readonly signal: AbortSignal,
    /** Aborts when the upload lock was lost: then nothing more is written. */
    private readonly lost?: AbortSignal,
    private readonly options: {
      /** Bytes this request is expected to bring (the previous PATCH's size), if known. */
      expected?: number
      /** The lock outlives this request: the next part may start uploading the new tail. */
      startNext?: boolean
    } = {},
  ) {
    const { meta, state } = loaded
    this.#S = state.partSize
    this.#L = meta.uploadLength
    this.#uploadId = meta.s3.uploadId
    this.#dataKey = ctx.keys.data(ref)
    this.#id = refId(ref)
    this.#start = state.partsBytes
    this.#nextPart = state.parts.length + 1
    this.#oldTail = state.tail
    this.#oldLen = tailBytes(state.tail)
  }

  async run(data: AsyncIterable<Uint8Array>): Promise<AppendOutcome> {
    const { state } = this.loaded
    let error: unknown
    try {
      if (this.#L !== null && state.offset === this.#L) {
        for await (const chunk of abortable(data, this.signal)) if (chunk.byteLength > 0) throw tooLarge()
        return { loaded: this.loaded }
      }
      if (this.#oldLen > 0 && !this.#adoptPending()) await this.#openBuffer(true)
      if (this.#buf && this.#pos === this.#buf.byteLength) await this.#cutBuffer()
      for await (const chunk of abortable(data, this.signal)) {
        // A chunk that would go past the length is refused whole (nothing of it is written).
        if (this.#L !== null && this.#start + this.#pos + chunk.byteLength > this.#L) throw tooLarge()
        let off = 0
        while (off < chunk.byteLength) {
          if (this.#failure !== undefined) throw this.#failure
          if (this.#final) throw tooLarge()
          if (!this.#buf) await this.#openBuffer(false)
          const buf = this.#buf as Uint8Array
          const n = Math.min(chunk.byteLength - off, buf.byteLength - this.#pos)
          buf.set(n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), this.#pos)
          this.#pos += n
          off += n
          this.#received += n
          this.#stream?.feed.advance(this.#pos)
          if (this.#pos === buf.byteLength) await this.#cutBuffer()
        }
        if (this.#failure !== undefined) throw this.#failure
      }
    } catch (err) {
      error = err
    }
    return this.#finish(error)
  }

  /** Capacity of the next buffer: one part, the rest of the file, or (single object) the file. */
  #capacity(): number {
    if (!this.#uploadId) return (this.#L as number) - this.#start
    return this.#L === null ? this.#S : Math.min(this.#S, this.#L - this.#start)
  }

  async #openBuffer(withTail: boolean): Promise<void> {
    const cap = this.#capacity()
    // A matching cached tail is taken out of the cache first, so making room cannot evict it.
    const cached = withTail ? this.ctx.tails.take(this.#id, tailSignature(this.#oldTail)) : undefined
    try {
      this.#res = await this.ctx.budget.acquire(cap, this.signal)
    } catch (err) {
      cached?.release()
      throw err
    }
    this.#buf = this.ctx.buffers.take(cap)
    this.#pos = 0
    if (!withTail) {
      this.#startStream(cap)
      return
    }
    this.#pos = this.#oldLen
    if (cached) {
      this.#buf.set(cached.bytes, 0)
      cached.release()
      this.#tailReady = true
      this.#startStream(cap)
      return
    }
    // Another instance wrote the tail (or the cache was evicted): fetch it while bytes stream in.
    const buf = this.#buf
    this.#tailLoad = this.#fetchTail(buf)
    this.#tailLoad.catch(() => {})
  }

  /**
   * Starts uploading the current buffer as the next part right away, fed as bytes arrive, when
   * this request is expected to fill it (the old tail goes out while the new bytes stream in).
   * If the request ends short after all, the upload is aborted before its last byte: S3 never
   * stores it, and the bytes become a tail segment as usual.
   */
  #startStream(cap: number): void {
    const { expected } = this.options
    if (!this.#uploadId || expected === undefined || this.#pos >= cap) return
    if (this.#pos + Math.max(0, expected - this.#received) < cap) return
    const feed = new PartFeed(this.#buf as Uint8Array, cap)
    feed.advance(this.#pos)
    const abort = new AbortController()
    const done = this.ctx.io.uploadPartStream(
      this.#dataKey,
      this.#uploadId,
      this.#nextPart,
      feed,
      cap,
      abort.signal,
    )
    done.catch(() => {})
    this.#stream = { feed, abort, done }
  }

  /**
   * Continues the part the previous PATCH started uploading with the tail's bytes (see
   * pending.ts), if it is the next part of exactly this state.
   */
  #adoptPending(): boolean {
    const p = this.ctx.carry.pending.take(this.#id)
    if (!p) return false
    const fits =
      p.uploadId === this.#uploadId &&
      p.partNumber === this.#nextPart &&
      p.start === this.#start &&
      p.signature === tailSignature(this.#oldTail) &&
      p.buf.byteLength === this.#capacity() &&
      this.#oldLen < p.buf.byteLength
    if (!fits) {
      this.ctx.carry.pending.discard(p)
      return false
    }
    this.ctx.tails.drop(this.#id)
    this.#buf = p.buf
    this.#res = p.res
    this.#pos = this.#oldLen
    this.#tailReady = true
    this.#stream = { feed: p.feed, abort: p.abort, done: p.done }
    return true
  }

  /**
   * Starts the next part's upload with this PATCH's last bytes (the buffer holds them laid out
   * as the next part) while the segment and this PATCH's parts are still uploading, when the lock
   * outlives this request and a PATCH like this one will fill it. Kept by {@link #keepNext}.
   */
  #startEarly(buf: Uint8Array, pos: number, oldLen: number, error: unknown): Started | undefined {
    const uploadId = this.#uploadId
    const cap = buf.byteLength
    const ok =
      uploadId !== undefined &&
      this.options.startNext === true &&
      error === undefined &&
      this.#failure === undefined &&
      !this.lost?.aborted &&
      !this.signal.aborted &&
      (this.#cut > 0 || oldLen === 0 || this.#tailReady) &&
      pos > 0 &&
      pos < cap &&
      pos + this.#received >= cap
    if (!ok || !uploadId) return undefined
    const feed = new PartFeed(buf, cap)
    feed.advance(pos)
    const abort = new AbortController()
    const partNumber = this.#nextPart
    const done = this.ctx.io.uploadPartStream(this.#dataKey, uploadId, partNumber, feed, cap, abort.signal)
    done.catch(() => {})
    return { feed, abort, done, partNumber, uploadId }
  }

  /** Keeps the early next part (see pending.ts) if the state after this PATCH is the one it continues. */
  #keepNext(early: Started | undefined, buf: Uint8Array, next: UploadState, pos: number): boolean {
    if (!early || !this.#res) return false
    const cap = this.#L === null ? next.partSize : Math.min(next.partSize, this.#L - next.partsBytes)
    const fits =
      next.partsBytes === this.#start &&
      next.offset === this.#start + pos &&
      next.parts.length + 1 === early.partNumber &&
      buf.byteLength === cap
    if (!fits) return false
    this.ctx.tails.drop(this.#id)
    this.ctx.carry.pending.set(this.#id, {
      ...early,
      start: this.#start,
      signature: tailSignature(next.tail),
      buf,
      res: this.#res,
    })
    return true
  }

  /** Aborts a streamed part whose buffer did not fill; resolves once the request has ended. */
  async #dropStream(): Promise<void> {
    const stream = this.#stream
    if (!stream) return
    this.#stream = undefined
    stream.abort.abort()
    stream.feed.destroy()
    await stream.done.catch(() => {})
  }

  async #fetchTail(buf: Uint8Array): Promise<void> {
    let at = 0
    for (const p of this.#oldTail) {
      const len = p.size - p.skip
      let ok: boolean
      try {
        ok = await this.ctx.io.readInto(p.key, p.skip, len, buf, at)
      } catch (err) {
        throw toStoreError(err, 'read a tail segment')
      }
      if (!ok) throw new PsiError('INTERNAL', 'A tail segment of the upload vanished while appending')
      at += len
    }
    this.#tailReady = true
  }

  /** Uploads the full buffer as the next part (or, without multipart, the whole file). */
  async #cutBuffer(): Promise<void> {
    const buf = this.#buf as Uint8Array
    const res = this.#res as Reservation
    const size = this.#pos
    if (this.#tailLoad) await this.#tailLoad
    this.#buf = undefined
    this.#res = undefined
    this.#pos = 0
    this.#tailLoad = undefined
    this.#cut++
    if (!this.#uploadId) {
      // The whole file arrived: one PutObject, no multipart overhead.
      try {
        await this.ctx.io.put(this.#dataKey, buf.subarray(0, size), {
          metadata: { [INC_METADATA]: this.loaded.meta.s3.inc },
        })
      } catch (err) {
        this.#failure = toStoreError(err, 'write the file')
        throw this.#failure
      } finally {
        res.release()
        this.ctx.buffers.give(buf)
      }
      this.#start += size
      this.#final = true
      return
    }
    const partNumber = this.#nextPart++
    const body = buf.subarray(0, size)
    const uploadId = this.#uploadId
    const stream = this.#stream
    this.#stream = undefined
    stream?.feed.advance(size)
    // A streamed part that failed is sent again from the buffer (with the SDK's retries).
    const upload = stream
      ? stream.done.catch(() => this.ctx.io.uploadPart(this.#dataKey, uploadId, partNumber, body))
      : this.ctx.io.uploadPart(this.#dataKey, uploadId, partNumber, body)
    const p = upload
      .then(
        (etag) => {
          this.#acked.push({ partNumber, etag, size })
        },
        (err) => {
          this.#failure ??= toStoreError(err, `upload part ${partNumber}`)
        },
      )
      .finally(() => {
        res.release()
        this.ctx.buffers.give(buf)
        this.#inflight.delete(p)
      })
    this.#inflight.add(p)
    this.#start += size
    if (this.#L !== null && this.#start === this.#L) this.#final = true
    while (this.#inflight.size >= this.ctx.config.maxConcurrentPartUploads) await Promise.race(this.#inflight)
    if (this.#failure !== undefined) throw this.#failure
  }

  /** Writes the trailing bytes as a segment, waits for parts, and works out what is durable. */
  async #finish(error: unknown): Promise<AppendOutcome> {
    const { meta, state } = this.loaded
    // The buffer did not fill: its streamed part never completes, so end that request first.
    await this.#dropStream()
    const inc = meta.s3.inc
    let segment: Promise<TailPiece | null> | undefined
    let merged = false
    const buf = this.#buf
    const pos = this.#pos
    const oldLen = this.#cut === 0 ? this.#oldLen : 0
    if (buf && pos > oldLen && this.#failure === undefined && !this.lost?.aborted) {
      // Many small PATCHes leave many segments; past a limit the tail is rewritten as one.
      merged = oldLen > 0 && this.#oldTail.length >= MAX_TAIL_SEGMENTS
      const from = merged ? 0 : oldLen
      const base = this.#start + from
      const key = this.ctx.keys.segment(this.ref, inc, base)
      const tailLoad = this.#tailLoad
      segment = (async () => {
        if (merged && tailLoad) await tailLoad
        const body = buf.subarray(from, pos)
        const etag = await this.ctx.io.put(key, body)
        return { key, base, size: pos - from, skip: 0, etag: etag ?? '' }
      })()
      segment.catch(() => {})
    }
    const early = buf ? this.#startEarly(buf, pos, oldLen, error) : undefined
    let segmentError: unknown
    let written: TailPiece | null = null
    try {
      if (segment) written = await segment
    } catch (err) {
      segmentError = toStoreError(err, 'write the tail')
    }
    while (this.#inflight.size > 0) await Promise.race(this.#inflight)
    if (this.#tailLoad) await this.#tailLoad.catch(() => {})

    // Parts acknowledged contiguously after the ones S3 already had.
    const acked = [...this.#acked].sort((a, b) => a.partNumber - b.partNumber)
    const parts = [...state.parts]
    let partsBytes = state.partsBytes
    for (const p of acked) {
      if (p.partNumber !== parts.length + 1) break
      parts.push(p)
      partsBytes += p.size
    }
    const newParts = parts.length - state.parts.length
    const allParts = newParts === this.#cut && this.#failure === undefined
    let next: UploadState
    if (this.#final && !this.#uploadId && this.#failure === undefined) {
      next = {
        offset: this.#L as number,
        partSize: state.partSize,
        parts: [],
        partsBytes: 0,
        tail: [],
        dataComplete: true,
        garbage: [],
      }
    } else if (newParts === 0) {
      // No new part: the old tail still stands, plus the new segment if it was written.
      const tail = [...state.tail]
      if (written && this.#cut === 0) {
        if (merged) tail.length = 0
        tail.push(written)
      }
      const offset = state.partsBytes + tailBytes(tail)
      // Before part 1 the part size follows the bytes buffered (see effectivePartSize).
      const partSize = effectivePartSize({
        uploadLength: this.#L,
        partSize: meta.s3.partSize,
        minPartSize: this.ctx.config.adaptivePartSize ? MIN_PART_SIZE : undefined,
        parts: state.parts,
        offset,
      })
      next = { ...state, tail, offset, partSize, garbage: [] }
    } else {
      const tail = allParts && written ? [written] : []
      next = {
        offset: partsBytes + tailBytes(tail),
        partSize: this.#S,
        parts,
        partsBytes,
        tail,
        dataComplete: false,
        garbage: [],
      }
    }

    // Segments no longer part of the tail: absorbed into acknowledged parts, merged, or stale.
    const keep = new Set(next.tail.map((p) => p.key))
    const obsolete = [...state.garbage, ...state.tail.map((p) => p.key)].filter((k) => !keep.has(k))
    if (written && !keep.has(written.key)) obsolete.push(written.key)
    // Below the new offset no segment will ever be written again, so those deletes need not be
    // waited for; a stale segment at or past it must be gone before a later PATCH writes there.
    const unique = [...new Set(obsolete)]
    const behind = unique.filter((k) => segmentBase(k) < next.offset)
    const ahead = unique.filter((k) => segmentBase(k) >= next.offset)
    const warn = (err: unknown) => this.ctx.logger.warn({ err }, 'could not delete old tail segments')
    if (behind.length > 0) {
      this.ctx.carry.absorb(this.#id, behind)
    }
    const cleanup = ahead.length > 0 ? this.ctx.io.deleteMany(ahead).catch(warn) : undefined

    const failure = this.#failure ?? segmentError ?? error
    // Keep the new tail in memory for the next PATCH on this instance: as the start of the next
    // part, already uploading (see pending.ts), or else as a copy in the tail cache.
    let kept = false
    if (buf && next.tail.length > 0 && written && next.tail.at(-1)?.key === written.key) {
      const tailLen = tailBytes(next.tail)
      const bytesKnown =
        this.#cut > 0 || oldLen === 0 || this.#tailReady || (!merged && tailLen <= pos - oldLen)
      if (tailLen <= pos && bytesKnown) {
        kept = failure === undefined && this.#keepNext(early, buf, next, pos)
        if (!kept) this.ctx.tails.put(this.#id, tailSignature(next.tail), buf.subarray(pos - tailLen, pos))
      } else this.ctx.tails.drop(this.#id)
    } else if (next.tail.length === 0) {
      this.ctx.tails.drop(this.#id)
    }
    if (!kept) {
      this.#res?.release()
      if (early) this.ctx.carry.pending.abandon(early, buf as Uint8Array)
      else if (buf) this.ctx.buffers.give(buf)
    }
    this.#res = undefined
    this.#buf = undefined
    await cleanup

    return failure === undefined
      ? { loaded: { meta, state: next } }
      : { loaded: { meta, state: next }, error: failure }
  }
}
