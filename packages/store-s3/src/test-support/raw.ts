/**
 * Direct S3 access for tests: what is really stored, read without the store's code.
 */
import { createHash } from 'node:crypto'
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

export interface RawObject {
  key: string
  size: number
  etag: string
}

export class RawS3 {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async list(prefix: string): Promise<RawObject[]> {
    const out: RawObject[] = []
    let token: string | undefined
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      )
      for (const o of r.Contents ?? []) out.push({ key: o.Key ?? '', size: o.Size ?? 0, etag: o.ETag ?? '' })
      token = r.IsTruncated ? r.NextContinuationToken : undefined
    } while (token)
    return out
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      return await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return null
      throw err
    }
  }

  async head(key: string): Promise<{ size: number; metadata: Record<string, string> } | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return { size: r.ContentLength ?? 0, metadata: r.Metadata ?? {} }
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null
      throw err
    }
  }

  /** Parts of a multipart upload, `null` when it does not exist. */
  async parts(
    key: string,
    uploadId: string,
  ): Promise<Array<{ partNumber: number; size: number; etag: string }> | null> {
    try {
      const out: Array<{ partNumber: number; size: number; etag: string }> = []
      let marker: string | undefined
      do {
        const r = await this.client.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
        )
        for (const p of r.Parts ?? [])
          out.push({ partNumber: p.PartNumber ?? 0, size: p.Size ?? 0, etag: p.ETag ?? '' })
        marker = r.IsTruncated ? r.NextPartNumberMarker : undefined
      } while (marker)
      return out.sort((a, b) => a.partNumber - b.partNumber)
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      // RGW 16 answers NoSuchKey for an aborted upload where AWS answers NoSuchUpload.
      if (e.name === 'NoSuchUpload' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404)
        return null
      throw err
    }
  }

  async multipartUploads(prefix: string): Promise<Array<{ key: string; uploadId: string }>> {
    const out: Array<{ key: string; uploadId: string }> = []
    let keyMarker: string | undefined
    let idMarker: string | undefined
    do {
      const r = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(idMarker ? { UploadIdMarker: idMarker } : {}),
        }),
      )
      for (const u of r.Uploads ?? []) out.push({ key: u.Key ?? '', uploadId: u.UploadId ?? '' })
      keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined
      idMarker = r.IsTruncated ? r.NextUploadIdMarker : undefined
    } while (keyMarker)
    return out
  }

  /** Removes everything under `prefix` (objects and multipart uploads). */
  async clear(prefix: string): Promise<void> {
    for (const u of await this.multipartUploads(prefix)) {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.key, UploadId: u.uploadId }),
      )
    }
    const keys = (await this.list(prefix)).map((o) => o.key)
    for (let i = 0; i < keys.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      )
    }
  }
}

export function md5Etag(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`
}
