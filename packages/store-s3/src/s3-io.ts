/**
 * Thin layer over the SDK: one method per S3 call the store makes, counting requests and bytes
 * (the benchmark reports bytes sent to S3 per byte uploaded). Expected outcomes (missing key,
 * failed precondition) become return values; everything else is thrown as the SDK error.
 * @module
 */
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { isNoSuchUpload, isNotFound, isPreconditionFailed } from './s3-errors.js'
import type { PartInfo } from './state.js'

export interface ListedObject {
  key: string
  size: number
  etag: string
  lastModified: number
}

export interface MultipartUploadInfo {
  key: string
  uploadId: string
  initiated: number
}

export interface IoStats {
  /** Requests by operation name. */
  requests: Record<string, number>
  /** Body bytes sent to S3 (objects and parts). */
  bytesSent: number
  /** Body bytes read from S3. */
  bytesReceived: number
  /** UploadPart requests with a streamed body (also counted in `requests`). */
  streamedParts: number
}

export interface PutOptions {
  ifNoneMatch?: boolean
  contentType?: string
  metadata?: Record<string, string>
  signal?: AbortSignal
}

const DELETE_BATCH = 1000

export class S3Io {
  readonly stats: IoStats = { requests: {}, bytesSent: 0, bytesReceived: 0, streamedParts: 0 }

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  #count(op: string, sent = 0): void {
    this.stats.requests[op] = (this.stats.requests[op] ?? 0) + 1
    this.stats.bytesSent += sent
  }

  async headBucket(): Promise<void> {
    this.#count('HeadBucket')
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }))
  }

  /** Object text, or `null` when the key does not exist. */
  async getText(key: string): Promise<{ text: string; etag: string } | null> {
    this.#count('GetObject')
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      const text = await (r.Body as { transformToString(): Promise<string> }).transformToString()
      this.stats.bytesReceived += Buffer.byteLength(text)
      return { text, etag: r.ETag ?? '' }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  async head(key: string): Promise<{ size: number; etag: string; metadata: Record<string, string> } | null> {
    this.#count('HeadObject')
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return { size: r.ContentLength ?? 0, etag: r.ETag ?? '', metadata: r.Metadata ?? {} }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  /** Writes an object; with `ifNoneMatch`, resolves `null` instead when the key already exists. */
  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<string | null> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body
    this.#count('PutObject', bytes.byteLength)
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          ...(options.metadata ? { Metadata: options.metadata } : {}),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      )
      return r.ETag ?? ''
    } catch (err) {
      if (options.ifNoneMatch && isPreconditionFailed(err)) {
        // The SDK retries a request whose answer it lost (a socket timeout under load): if the
        // first attempt was written, the retry meets our own object. Its ETag (the MD5 of a
        // single-part body) tells: then the key is ours, not taken by someone else. Every
        // conditional body here is unique (a lock's random token, a record's incarnation).
        const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1
        if (attempts > 1) {
          const md5 = createHash('md5').update(bytes).digest('hex')
          const found = await this.head(key)
          if (found && found.etag.replaceAll('"', '') === md5) return found.etag
        }
        return null
      }
      throw err
    }
  }

  async copy(source: string, target: string, metadata?: Record<string, string>): Promise<void> {
    this.#count('CopyObject')
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: target,
        CopySource: `${this.bucket}/${encodeKey(source)}`,
        ...(metadata ? { Metadata: metadata, MetadataDirective: 'REPLACE' } : {}),
      }),
    )
  }

  /** Streams an object (or an inclusive byte range); `null` when the key does not exist. */
  async getStream(
    key: string,
    range?: { start: number; end: number },
    signal?: AbortSignal,
  ): Promise<Readable | null> {
    this.#count('GetObject')
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      )
      return r.Body as Readable
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  /** Reads `length` bytes from `start` of an object into `target` at `at`; false if missing or short. */
  async readInto(
    key: string,
    start: number,
    length: number,
    target: Uint8Array,
    at: number,
  ): Promise<boolean> {
    if (length === 0) return true
    const body = await this.getStream(key, { start, end: start + length - 1 })
    if (!body) return false
    let pos = at
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        const n = Math.min(chunk.byteLength, at + length - pos)
        target.set(chunk.subarray(0, n), pos)
        pos += n
        this.stats.bytesReceived += chunk.byteLength
      }
    } finally {
      body.destroy()
    }
    return pos === at + length
  }

  async *listPages(prefix: string): AsyncGenerator<ListedObject[]> {
    let token: string | undefined
    do {
      this.#count('ListObjectsV2')
      const r = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      )
      yield (r.Contents ?? []).map((o) => ({
        key: o.Key ?? '',
        size: o.Size ?? 0,
        etag: o.ETag ?? '',
        lastModified: o.LastModified?.getTime() ?? 0,
      }))
      token = r.IsTruncated ? r.NextContinuationToken : undefined
    } while (token)
  }

  /**
   * One page of objects (up to 1000) with S3's own time when it answered (its `Date` header,
   * ms since the epoch, whole seconds), for comparing `lastModified` without the local clock.
   */
  async listWithTime(prefix: string): Promise<{ objects: ListedObject[]; serverTime?: number }> {
    this.#count('ListObjectsV2')
    const command = new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix })
    let date: string | undefined
    command.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args)
        const headers = (out.response as { headers?: Record<string, string> } | undefined)?.headers
        date = headers?.date ?? headers?.Date
        return out
      },
      { step: 'deserialize', name: 'psiServerDate' },
    )
    const r = await this.client.send(command)
    const objects = (r.Contents ?? []).map((o) => ({
      key: o.Key ?? '',
      size: o.Size ?? 0,
      etag: o.ETag ?? '',
      lastModified: o.LastModified?.getTime() ?? 0,
    }))
    const serverTime = date === undefined ? Number.NaN : Date.parse(date)
    return Number.isFinite(serverTime) ? { objects, serverTime } : { objects }
  }

  async listAll(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = []
    for await (const page of this.listPages(prefix)) out.push(...page)
    return out
  }

  async delete(key: string): Promise<void> {
    this.#count('DeleteObject')
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      let batch = keys.slice(i, i + DELETE_BATCH)
      // Keys reported as failed are tried again: RGW fails a key that another request is
      // deleting at the same moment (absorbed segments are deleted in the background).
      for (let attempt = 1; batch.length > 0; attempt++) {
        if (batch.length === 1) {
          await this.delete(batch[0] as string)
          break
        }
        this.#count('DeleteObjects')
        const r = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        )
        const failed = (r.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey')
        if (failed.length === 0) break
        if (attempt >= 3) {
          const first = failed[0]
          throw Object.assign(
            new Error(
              `DeleteObjects failed for ${failed.length} keys: ${first?.Code} ${first?.Message ?? ''}`,
            ),
            { name: first?.Code ?? 'InternalError' },
          )
        }
        batch = failed.map((e) => e.Key ?? '').filter(Boolean)
        await new Promise((r) => setTimeout(r, 50 * attempt))
      }
    }
  }

  async createMultipart(
    key: string,
    metadata: Record<string, string>,
    contentType?: string,
  ): Promise<string> {
    this.#count('CreateMultipartUpload')
    const r = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        Metadata: metadata,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
    )
    if (!r.UploadId) throw new Error('CreateMultipartUpload returned no UploadId')
    return r.UploadId
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    this.#count('UploadPart', body.byteLength)
    return this.#uploadPart(key, uploadId, partNumber, body, body.byteLength)
  }

  /**
   * Uploads a part from a stream of `length` bytes (see PartFeed). The SDK does not retry
   * streamed bodies; the caller keeps the bytes and falls back to {@link uploadPart}. Aborting
   * `signal` before the last byte was handed out means S3 never stores the part.
   */
  async uploadPartStream(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable & { readonly sent: number },
    length: number,
    signal: AbortSignal,
  ): Promise<string> {
    this.#count('UploadPart')
    this.stats.streamedParts++
    try {
      return await this.#uploadPart(key, uploadId, partNumber, body, length, signal)
    } finally {
      this.stats.bytesSent += body.sent
    }
  }

  async #uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array | Readable,
    length: number,
    signal?: AbortSignal,
  ): Promise<string> {
    const r = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: length,
      }),
      signal ? { abortSignal: signal } : {},
    )
    if (!r.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`)
    return r.ETag
  }

  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: string,
    start: number,
    end: number,
  ): Promise<string> {
    this.#count('UploadPartCopy')
    const r = await this.client.send(
      new UploadPartCopyCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        CopySource: `${this.bucket}/${encodeKey(source)}`,
        CopySourceRange: `bytes=${start}-${end}`,
      }),
    )
    const etag = r.CopyPartResult?.ETag
    if (!etag) throw new Error(`UploadPartCopy ${partNumber} returned no ETag`)
    return etag
  }

  /** All parts, or `null` when the multipart upload no longer exists. */
  async listParts(key: string, uploadId: string): Promise<PartInfo[] | null> {
    const out: PartInfo[] = []
    let marker: string | undefined
    try {
      do {
        this.#count('ListParts')
        const r = await this.client.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
        )
        for (const p of r.Parts ?? []) {
          out.push({ partNumber: p.PartNumber ?? 0, etag: p.ETag ?? '', size: p.Size ?? 0 })
        }
        marker = r.IsTruncated ? r.NextPartNumberMarker : undefined
      } while (marker)
    } catch (err) {
      if (isNoSuchUpload(err, true)) return null
      throw err
    }
    return out
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly PartInfo[]): Promise<void> {
    this.#count('CompleteMultipartUpload')
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    )
  }

  /** Aborts a multipart upload; resolves quietly when it is already gone. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    this.#count('AbortMultipartUpload')
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
      )
    } catch (err) {
      if (isNoSuchUpload(err, true)) return
      throw err
    }
  }

  async *listMultipartUploads(prefix: string): AsyncGenerator<MultipartUploadInfo> {
    let keyMarker: string | undefined
    let idMarker: string | undefined
    do {
      this.#count('ListMultipartUploads')
      const r = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(idMarker ? { UploadIdMarker: idMarker } : {}),
        }),
      )
      for (const u of r.Uploads ?? []) {
        if (u.Key && u.UploadId)
          yield { key: u.Key, uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 }
      }
      keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined
      idMarker = r.IsTruncated ? r.NextUploadIdMarker : undefined
    } while (keyMarker)
  }
}

/** CopySource wants the key URL-encoded (but `/` kept). */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/')
}
