/**
 * The conformance probe: reads what Azure holds for a file with a plain SDK client. The data is
 * the committed blob; uncommitted blocks cannot be downloaded (Azure has no API for it), so when
 * the block list has any block continuing the committed ones the probe throws: the store's
 * contract is that an append returns with its bytes committed, and the kit compares the
 * reported offset with what the probe returns.
 */
import type { ContainerClient } from '@azure/storage-blob'
import type { FileRef } from '@psitransfer/core'
import type { StoreProbe } from '@psitransfer/core/testing'
import { durableOffset } from '../blocks.js'

function status(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode
}

export class AzureProbe implements StoreProbe {
  constructor(
    private readonly raw: ContainerClient,
    private readonly prefix: string,
  ) {}

  #name(ref: FileRef, suffix = ''): string {
    return `${this.prefix}${ref.sid}/${ref.key}${suffix}`
  }

  async readData(ref: FileRef): Promise<Uint8Array | null> {
    const blob = this.raw.getBlockBlobClient(this.#name(ref))
    try {
      const list = await blob.getBlockList('uncommitted')
      const committed = list.blobContentLength ?? 0
      if (durableOffset(committed, list.uncommittedBlocks ?? []) !== committed) {
        throw new Error('uncommitted blocks continue the committed blob (the probe cannot read them)')
      }
      return committed === 0 ? new Uint8Array(0) : new Uint8Array(await blob.downloadToBuffer())
    } catch (err) {
      if (status(err) === 404) return null
      throw err
    }
  }

  async readMeta(ref: FileRef): Promise<unknown | null> {
    try {
      const buf = await this.raw.getBlockBlobClient(this.#name(ref, '.json')).downloadToBuffer()
      return JSON.parse(buf.toString('utf8'))
    } catch (err) {
      if (status(err) === 404) return null
      throw err
    }
  }

  async dataSize(ref: FileRef): Promise<number | null> {
    try {
      return (await this.raw.getBlockBlobClient(this.#name(ref)).getProperties()).contentLength ?? 0
    } catch (err) {
      if (status(err) === 404) return null
      throw err
    }
  }
}
