/**
 * The request body as both protocol machines hand it to `Store.append`: passed through up to
 * `room` bytes (what still fits of the chunk that goes beyond is written, then `overrun()` is
 * thrown), counted, and with errors of the body itself (the client went away mid-request)
 * turned into `ABORTED`, so they are told apart from store failures: the bytes that arrived
 * stay durable and the client resumes.
 * @module
 */
import { isPsiError, PsiError } from './errors.js'

export async function* limitBody(
  body: AsyncIterable<Uint8Array>,
  room: number,
  overrun: () => PsiError,
  onBytes: (n: number) => void,
): AsyncIterable<Uint8Array> {
  const source = body[Symbol.asyncIterator]()
  let done = false
  let seen = 0
  try {
    while (true) {
      let next: IteratorResult<Uint8Array>
      try {
        next = await source.next()
      } catch (err) {
        done = true // a failed iterator is finished; do not call return() on it
        if (isPsiError(err)) throw err
        throw new PsiError('ABORTED', 'The upload was interrupted before the request body ended', {
          cause: err,
        })
      }
      if (next.done) {
        done = true
        return
      }
      const chunk = next.value
      seen += chunk.byteLength
      if (seen > room) {
        const fits = chunk.byteLength - (seen - room)
        if (fits > 0) {
          onBytes(fits)
          yield chunk.subarray(0, fits)
        }
        throw overrun()
      }
      onBytes(chunk.byteLength)
      yield chunk
    }
  } finally {
    // The consumer stopped early (store error, size limit): release the request body.
    if (!done) await source.return?.()
  }
}
