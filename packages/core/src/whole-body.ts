/**
 * The body of a {@link Store.createComplete} call read into one buffer, for stores that write
 * a small file in one request: exactly `length` bytes or the contract's error (`TOO_LARGE` for
 * more, `ABORTED` for fewer or an aborted signal). Callers bound `length` (the server uses
 * this path for small files only), so the buffer is bounded too.
 * @module
 */
import { abortable } from './abortable.js'
import { isPsiError, PsiError } from './errors.js'

export async function readWholeBody(
  data: AsyncIterable<Uint8Array>,
  length: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  let at = 0
  try {
    for await (const chunk of abortable(data, signal)) {
      if (!(chunk instanceof Uint8Array)) throw new PsiError('INVALID_INPUT', 'Upload data must be bytes')
      if (at + chunk.byteLength > length) {
        throw new PsiError('TOO_LARGE', `The upload would exceed its declared length of ${length} bytes`)
      }
      out.set(chunk, at)
      at += chunk.byteLength
    }
  } catch (err) {
    if (isPsiError(err)) throw err
    throw new PsiError('ABORTED', 'The upload was interrupted before the request body ended', { cause: err })
  }
  if (at < length) {
    throw new PsiError('ABORTED', `The request body ended after ${at} of ${length} bytes`)
  }
  return out
}
