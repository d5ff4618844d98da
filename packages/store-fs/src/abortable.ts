/**
 * Iterates a source until it ends or `signal` aborts. An abort interrupts a pending `next()`
 * (a stalled client), and the source is always told to stop (`return()`) when we leave early.
 * @module
 */
import { PsiError } from '@psitransfer/core'

export function abortError(signal: AbortSignal): PsiError {
  return new PsiError('ABORTED', 'Request aborted', { cause: signal.reason })
}

/**
 * One `next()` that an abort interrupts. The abort listener lives only as long as this step:
 * racing every `next()` against one long-lived abort promise would attach a reaction per chunk
 * to that promise and keep every chunk reachable until the stream ends (a leak as big as the
 * upload).
 */
function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    it.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort)
        resolve(r)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

export async function* abortable<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  if (!signal) {
    yield* source
    return
  }
  if (signal.aborted) throw abortError(signal)
  const it = source[Symbol.asyncIterator]()
  let finished = false
  try {
    for (;;) {
      const r = await nextOrAbort(it, signal)
      if (r.done) {
        finished = true
        return
      }
      yield r.value
      if (signal.aborted) throw abortError(signal)
    }
  } finally {
    // Not awaited: with a next() still pending, return() would wait for it.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => {})
  }
}
