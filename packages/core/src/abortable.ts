/**
 * Iterating a request body until it ends or an `AbortSignal` fires. Every store needs this for
 * `append` (a client that stalls must not pin a lock or a buffer), so it lives here once.
 * @module
 */
import { PsiError } from './errors.js'

/** The error an aborted transfer fails with (`ABORTED`, HTTP 400), the signal's reason as cause. */
export function abortError(signal: AbortSignal): PsiError {
  return new PsiError('ABORTED', 'The transfer was aborted', { cause: signal.reason })
}

/** Waits `ms`, or rejects with {@link abortError} as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort() {
      clearTimeout(timer)
      reject(abortError(signal as AbortSignal))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * One `next()` that an abort interrupts, even while the source is stalled. The abort listener
 * lives only as long as this step: racing every `next()` against one long-lived abort promise
 * would attach a reaction per chunk to that promise and keep every chunk reachable until the
 * stream ends (a leak as large as the upload).
 */
export function nextOrAbort<T>(iterator: AsyncIterator<T>, signal?: AbortSignal): Promise<IteratorResult<T>> {
  if (!signal) return iterator.next()
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    iterator.next().then(
      (step) => {
        signal.removeEventListener('abort', onAbort)
        resolve(step)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * Yields `source` until it ends; fails with {@link abortError} as soon as `signal` aborts (also
 * between chunks and while a `next()` is pending). When iteration stops early for any reason the
 * source is told to stop (`return()`), without waiting for it: a stalled source must not hang us.
 */
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
      const step = await nextOrAbort(it, signal)
      if (step.done) {
        finished = true
        return
      }
      if (signal.aborted) throw abortError(signal)
      yield step.value
      if (signal.aborted) throw abortError(signal)
    }
  } finally {
    if (!finished) void Promise.resolve(it.return?.()).catch(() => {})
  }
}
