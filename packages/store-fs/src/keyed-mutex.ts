/**
 * Serializes async work per key inside one process (sidecar read-modify-write cycles), so two
 * concurrent `update`s of the same file cannot lose each other's changes.
 * @module
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>()

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve()
    const result = prev.then(fn, fn)
    const tail = result.then(
      () => undefined,
      () => undefined,
    )
    this.#tails.set(key, tail)
    try {
      return await result
    } finally {
      // Last one out removes the entry, so the map only holds keys with work in flight.
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }

  /** Keys with work queued or running (for tests). */
  get size(): number {
    return this.#tails.size
  }
}
