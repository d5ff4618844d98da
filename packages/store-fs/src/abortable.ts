/**
 * Iterates a source until it ends or `signal` aborts. An abort interrupts a pending `next()`
 * (a stalled client), and the source is always told to stop (`return()`) when we leave early.
 * @module
 */
import { PsiError } from '@psitransfer/core'

export function abortError(signal: AbortSignal): PsiError {
  return new PsiError('ABORTED', 'Request aborted', { cause: signal.reason })
}

export async function* abortable<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  if (!signal) {
    yield* source
    return
  }
  if (signal.aborted) throw abortError(signal)
  const it = source[Symbol.asyncIterator]()
  let onAbort = () => {}
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  aborted.catch(() => {})
  let finished = false
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted])
      if (r.done) {
        finished = true
        return
      }
      yield r.value
      if (signal.aborted) throw abortError(signal)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    // Not awaited: with a next() still pending, return() would wait for it.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => {})
  }
}
