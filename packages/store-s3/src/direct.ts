/**
 * Direct uploads (core's `DirectUpload`): the browser PUTs the parts of a file's multipart
 * upload to presigned `UploadPart` URLs, so its bytes never pass through the server.
 *
 * The file is an ordinary upload of this store: its metadata names the multipart upload and
 * the part size, and the parts the client sends are exactly the parts a TUS upload of the same
 * file would have made (`partSize` each, the last one holding the rest). So `info` derives the
 * offset from them, `complete` finishes it with CompleteMultipartUpload and the same metadata
 * write, `delete` and the sweeper abort it, with no state of their own.
 * @module
 */
import { type S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import {
  type DirectUpload,
  type DirectUploadPart,
  type DirectUploadPlan,
  type DirectUploadStatus,
  type FileMeta,
  type FileRef,
  type NewFile,
  PsiError,
} from '@psitransfer/core'
import { createS3Client } from './client.js'
import { partSizeFor, type S3StoreConfig } from './config.js'
import type { S3Context } from './context.js'
import { checkRef } from './keys.js'
import { loadMeta } from './load.js'
import type { StoredMeta } from './meta-codec.js'
import { toStoreError } from './s3-errors.js'

/** Presigned URLs live at most 7 days (SigV4). */
const MAX_EXPIRY = 604_800

function invalid(message: string): PsiError {
  return new PsiError('INVALID_INPUT', message)
}

export function planFor(uploadLength: number, partSize: number): DirectUploadPlan {
  return { partSize, partCount: Math.max(1, Math.ceil(uploadLength / partSize)) }
}

/** The size part `n` of the plan must have. */
function expectedSize(n: number, uploadLength: number, plan: DirectUploadPlan): number {
  return n < plan.partCount ? plan.partSize : uploadLength - (plan.partCount - 1) * plan.partSize
}

/**
 * Where the SDK sends requests for the bucket: the endpoint itself (path style) or the bucket
 * as its subdomain. For AWS both regional forms (the SDK uses path style for bucket names
 * that cannot be a host name).
 */
export function urlOrigins(
  config: Pick<S3StoreConfig, 'endpoint' | 'forcePathStyle' | 'bucket' | 'region'>,
): string[] {
  if (config.endpoint) {
    const url = new URL(config.endpoint)
    return [config.forcePathStyle ? url.origin : `${url.protocol}//${config.bucket}.${url.host}`]
  }
  const path = `https://s3.${config.region}.amazonaws.com`
  return config.forcePathStyle ? [path] : [`https://${config.bucket}.s3.${config.region}.amazonaws.com`, path]
}

export class S3DirectUpload implements DirectUpload {
  #signer: S3Client | undefined
  readonly origins: readonly string[]

  constructor(
    private readonly ctx: S3Context,
    /** The store's `create`, always starting a multipart upload. */
    private readonly createMultipart: (file: NewFile) => Promise<FileMeta>,
  ) {
    this.origins = urlOrigins(ctx.config)
  }

  async begin(file: NewFile): Promise<DirectUploadPlan & { meta: FileMeta }> {
    const L = file.uploadLength
    if (L === null || typeof L !== 'number' || !Number.isSafeInteger(L) || L < 1) {
      throw invalid('A direct upload needs its length, at least 1 byte')
    }
    const meta = await this.createMultipart(file)
    // The size `create` chose and stored (a pure function of the length and the config).
    return { meta, ...planFor(L, partSizeFor(L, this.ctx.config)) }
  }

  async signPart(ref: FileRef, partNumber: number, options: { expiresIn: number }): Promise<string> {
    checkRef(ref)
    const { expiresIn } = options
    if (!Number.isSafeInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRY) {
      throw invalid('Part URLs can be valid for 1 second to 7 days')
    }
    const { meta, uploadId, plan } = await this.#open(ref)
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount) {
      throw invalid(`Part numbers of this upload are 1 to ${plan.partCount}`)
    }
    const command = new UploadPartCommand({
      Bucket: this.ctx.config.bucket,
      Key: this.ctx.keys.data(meta),
      UploadId: uploadId,
      PartNumber: partNumber,
    })
    try {
      return await getSignedUrl(this.#signingClient(), command, { expiresIn })
    } catch (err) {
      throw toStoreError(err, 'sign a part URL')
    }
  }

  async status(ref: FileRef): Promise<DirectUploadStatus> {
    checkRef(ref)
    const meta = await loadMeta(this.ctx, ref)
    const L = meta.uploadLength
    if (L === null) throw invalid('Not a direct upload (its length is not known)')
    const plan = planFor(L, meta.s3.partSize)
    const all = (): DirectUploadPart[] =>
      Array.from({ length: plan.partCount }, (_, i) => ({
        partNumber: i + 1,
        size: expectedSize(i + 1, L, plan),
      }))
    if (meta.complete) return { ...plan, parts: all() }
    if (!meta.s3.uploadId) throw invalid('Not a direct upload (it has no multipart upload)')
    let listed: Awaited<ReturnType<S3Context['io']['listParts']>>
    try {
      listed = await this.ctx.io.listParts(this.ctx.keys.data(ref), meta.s3.uploadId)
    } catch (err) {
      throw toStoreError(err, 'list the parts')
    }
    if (listed === null) {
      // Completed by a request whose metadata write is still missing, or aborted: `info` knows.
      throw new PsiError('GONE', 'The upload is gone (its multipart upload no longer exists)')
    }
    // Parts of the wrong size (a client that did not follow the plan) do not count: the client
    // sends them again and S3 replaces them.
    const parts = listed
      .filter((p) => p.partNumber >= 1 && p.partNumber <= plan.partCount)
      .filter((p) => p.size === expectedSize(p.partNumber, L, plan))
      .map((p) => ({ partNumber: p.partNumber, size: p.size }))
      .sort((a, b) => a.partNumber - b.partNumber)
    return { ...plan, parts }
  }

  async #open(ref: FileRef): Promise<{ meta: StoredMeta; uploadId: string; plan: DirectUploadPlan }> {
    const meta = await loadMeta(this.ctx, ref)
    if (meta.complete) throw invalid('The upload is already complete')
    const { uploadId } = meta.s3
    if (!uploadId || meta.uploadLength === null) throw invalid('Not a direct upload')
    return { meta, uploadId, plan: planFor(meta.uploadLength, meta.s3.partSize) }
  }

  /**
   * A client of its own for signing: with the SDK's default checksums the presigner would sign
   * a CRC32 of an empty body into the URL, which every real part then fails.
   */
  #signingClient(): S3Client {
    this.#signer ??= createS3Client({ ...this.ctx.config, checksums: 'when-required' })
    return this.#signer
  }

  close(): void {
    this.#signer?.destroy()
    this.#signer = undefined
  }
}
