/**
 * Streaming reads: GetObject bodies handed out as async iterables, one object (range) at a
 * time, destroyed as soon as the consumer stops or the signal aborts.
 * @module
 */
import type { Readable } from 'node:stream'
import { abortError, NotFoundError } from '@psitransfer/core'
import { toStoreError } from './s3-errors.js'
import type { S3Io } from './s3-io.js'

/** A byte range of one object: inclusive `start`–`end`. */
export interface ObjectSlice {
  key: string
  start: number
  end: number
}

/** Maps an inclusive range of the file onto the slices of objects that hold it. */
export function sliceRange(pieces: readonly ObjectSlice[], start: number, end: number): ObjectSlice[] {
  const out: ObjectSlice[] = []
  let at = 0
  for (const p of pieces) {
    const len = p.end - p.start + 1
    const from = Math.max(start, at)
    const to = Math.min(end, at + len - 1)
    if (from <= to) out.push({ key: p.key, start: p.start + (from - at), end: p.start + (to - at) })
    at += len
  }
  return out
}

/** Opens the first slice eagerly (so a missing object fails the call), then streams all slices in order. */
export async function readSlices(
  io: S3Io,
  slices: readonly ObjectSlice[],
  signal?: AbortSignal,
): Promise<AsyncIterable<Uint8Array>> {
  if (signal?.aborted) throw abortError(signal)
  const open = async (s: ObjectSlice): Promise<Readable> => {
    let body: Readable | null
    try {
      body = await io.getStream(s.key, { start: s.start, end: s.end }, signal)
    } catch (err) {
      if (signal?.aborted) throw abortError(signal)
      throw toStoreError(err, 'read the file')
    }
    if (!body) throw new NotFoundError()
    return body
  }
  const first = slices[0] ? await open(slices[0]) : undefined
  return (async function* () {
    let body = first
    try {
      for (let i = 0; i < slices.length; i++) {
        body ??= await open(slices[i] as ObjectSlice)
        const current = body
        const onAbort = () => current.destroy(abortError(signal as AbortSignal))
        signal?.addEventListener('abort', onAbort, { once: true })
        try {
          for await (const chunk of current as AsyncIterable<Uint8Array>) {
            if (signal?.aborted) throw abortError(signal)
            yield chunk
          }
        } catch (err) {
          if (signal?.aborted) throw abortError(signal)
          throw toStoreError(err, 'read the file')
        } finally {
          signal?.removeEventListener('abort', onAbort)
          current.destroy()
        }
        body = undefined
      }
    } finally {
      body?.destroy()
    }
  })()
}
