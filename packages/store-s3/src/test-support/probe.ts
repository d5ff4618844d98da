/**
 * The conformance probe: reads what S3 really holds for a file, without the store's code.
 *
 * S3 cannot return the bytes of parts of an unfinished multipart upload (there is no GET for
 * parts before CompleteMultipartUpload). So the probe records the body of every UploadPart the
 * store sends (an SDK middleware on the store's client) and accepts a recorded body for a part
 * only if its MD5 equals the ETag S3 lists for that part: the bytes returned for parts are then
 * exactly the bytes S3 holds (S3 and RGW use the MD5 as the ETag of an unencrypted part). Tail
 * segments and finished objects are read with GetObject. Which parts and segments count is
 * decided from S3's listings (parts 1..n without gaps, then segments of the file's incarnation
 * chained from where the parts end), so a store that reports bytes S3 does not hold fails.
 */
import { createHash } from 'node:crypto'
import type { S3Client } from '@aws-sdk/client-s3'
import type { FileRef } from '@psitransfer/core'
import type { StoreProbe } from '@psitransfer/core/testing'
import { md5Etag, type RawS3 } from './raw.js'

const MiB = 1024 * 1024

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex')
}

function bareEtag(etag: string): string {
  return etag.replace(/"/g, '')
}

/** Keeps copies of UploadPart bodies (up to a byte budget) so the probe can return part bytes. */
export class PartRecorder {
  readonly #bodies = new Map<string, Uint8Array[]>()
  #bytes = 0

  constructor(readonly budget = 16 * MiB) {}

  attach(client: S3Client): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') {
          const input = args.input as { UploadId?: string; PartNumber?: number; Body?: unknown }
          if (input.Body instanceof Uint8Array && this.#bytes + input.Body.byteLength <= this.budget) {
            const id = `${input.UploadId}#${input.PartNumber}`
            const list = this.#bodies.get(id) ?? []
            list.push(input.Body.slice())
            this.#bodies.set(id, list)
            this.#bytes += input.Body.byteLength
          }
        }
        return next(args)
      },
      { step: 'initialize', name: 'psiPartRecorder' },
    )
  }

  /** The recorded body of a part whose MD5 matches `etag`. */
  find(uploadId: string, partNumber: number, etag: string): Uint8Array | undefined {
    return this.#bodies.get(`${uploadId}#${partNumber}`)?.find((b) => md5(b) === bareEtag(etag))
  }
}

interface StoredJson {
  complete?: boolean
  uploadLength?: number | null
  s3?: { inc?: string; partSize?: number; uploadId?: string }
}

interface Layout {
  parts: Array<{ partNumber: number; size: number; etag: string }>
  partsBytes: number
  segments: Array<{ key: string; base: number; size: number; skip: number }>
  uploadId?: string
}

export class S3Probe implements StoreProbe {
  constructor(
    readonly raw: RawS3,
    readonly prefix: string,
    readonly recorder?: PartRecorder,
  ) {}

  #base(ref: FileRef): string {
    return `${this.prefix}${ref.sid}/${ref.key}`
  }

  async readMeta(ref: FileRef): Promise<unknown | null> {
    const bytes = await this.raw.get(`${this.#base(ref)}.json`)
    if (!bytes) return null
    const text = new TextDecoder().decode(bytes)
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }

  async #meta(ref: FileRef): Promise<StoredJson | null> {
    const m = await this.readMeta(ref)
    return m && typeof m === 'object' ? (m as StoredJson) : null
  }

  /** The finished object, when S3 has one for this incarnation. */
  async #finished(ref: FileRef, meta: StoredJson): Promise<boolean> {
    const head = await this.raw.head(this.#base(ref))
    if (!head) return false
    return meta.complete === true || head.metadata['psi-inc'] === meta.s3?.inc
  }

  async #layout(ref: FileRef, meta: StoredJson): Promise<Layout> {
    const base = this.#base(ref)
    const { uploadId, inc, partSize } = meta.s3 ?? {}
    const parts: Layout['parts'] = []
    let partsBytes = 0
    if (uploadId) {
      // Parts are all the size of part 1 (at most the metadata's size; smaller when the store
      // chose smaller parts for small PATCHes), but the last.
      let size: number | undefined
      for (const p of (await this.raw.parts(base, uploadId)) ?? []) {
        if (p.partNumber !== parts.length + 1 || p.size > (partSize ?? 0)) break
        size ??= p.size
        parts.push(p)
        partsBytes += p.size
        if (p.size !== size) break
      }
    }
    const segPrefix = `${base}.part.${inc}.`
    const listed = (await this.raw.list(segPrefix))
      .map((o) => ({ key: o.key, base: Number(o.key.slice(segPrefix.length)), size: o.size }))
      .filter((s) => Number.isSafeInteger(s.base) && s.size > 0)
    const segments: Layout['segments'] = []
    let cursor = partsBytes
    for (;;) {
      const next = listed
        .filter((s) => s.base <= cursor && s.base + s.size > cursor)
        .sort((a, b) => b.base + b.size - (a.base + a.size))[0]
      if (!next) break
      segments.push({ ...next, skip: cursor - next.base })
      cursor = next.base + next.size
    }
    return { parts, partsBytes, segments, ...(uploadId ? { uploadId } : {}) }
  }

  async readData(ref: FileRef): Promise<Uint8Array | null> {
    const meta = await this.#meta(ref)
    if (!meta) return this.raw.get(this.#base(ref))
    if (await this.#finished(ref, meta)) return this.raw.get(this.#base(ref))
    const layout = await this.#layout(ref, meta)
    const chunks: Uint8Array[] = []
    for (const p of layout.parts) {
      const body = this.recorder?.find(layout.uploadId as string, p.partNumber, p.etag)
      if (!body)
        throw new Error(
          `probe: part ${p.partNumber} of an unfinished upload has no recorded body with ETag ${p.etag}`,
        )
      chunks.push(body)
    }
    for (const s of layout.segments) {
      const bytes = await this.raw.get(s.key)
      if (!bytes) throw new Error(`probe: segment ${s.key} vanished`)
      chunks.push(bytes.subarray(s.skip))
    }
    return Buffer.concat(chunks)
  }

  async dataSize(ref: FileRef): Promise<number | null> {
    const meta = await this.#meta(ref)
    if (!meta) return (await this.raw.head(this.#base(ref)))?.size ?? null
    if (await this.#finished(ref, meta)) return (await this.raw.head(this.#base(ref)))?.size ?? null
    const layout = await this.#layout(ref, meta)
    return layout.partsBytes + layout.segments.reduce((n, s) => n + s.size - s.skip, 0)
  }

  /**
   * Checks that S3 holds exactly `expected` for `ref` (parts by MD5 against the expected
   * slices, segments and finished objects byte for byte) and returns the number of bytes.
   */
  async verify(ref: FileRef, expected: Uint8Array): Promise<number> {
    const at = await this.verifyPrefix(ref, expected)
    if (at !== expected.byteLength)
      throw new Error(`probe: S3 holds ${at} bytes, expected ${expected.byteLength}`)
    return at
  }

  /**
   * Checks that what S3 holds for `ref` is a prefix of `file` (every listed part and chained
   * segment, or the finished object, equal to `file` at its position) and returns its length.
   */
  async verifyPrefix(ref: FileRef, file: Uint8Array): Promise<number> {
    const meta = await this.#meta(ref)
    if (!meta) throw new Error('probe: no metadata')
    if (await this.#finished(ref, meta)) {
      const data = await this.raw.get(this.#base(ref))
      if (!data || Buffer.compare(data, file.subarray(0, data.byteLength)) !== 0)
        throw new Error('probe: finished object differs')
      return data.byteLength
    }
    const layout = await this.#layout(ref, meta)
    let at = 0
    for (const p of layout.parts) {
      const slice = file.subarray(at, at + p.size)
      if (slice.byteLength !== p.size || md5Etag(slice) !== `"${bareEtag(p.etag)}"`) {
        throw new Error(
          `probe: part ${p.partNumber} (${p.size} bytes at ${at}) differs from the expected bytes`,
        )
      }
      at += p.size
    }
    for (const s of layout.segments) {
      const bytes = (await this.raw.get(s.key))?.subarray(s.skip)
      if (!bytes || Buffer.compare(bytes, file.subarray(at, at + bytes.byteLength)) !== 0) {
        throw new Error(`probe: segment at ${s.base} differs from the expected bytes`)
      }
      at += bytes.byteLength
    }
    return at
  }
}
