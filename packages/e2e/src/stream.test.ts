// Streaming: the encryptor and decryptor pull only what the next record needs (constant memory,
// backpressure reaches the source), and stopping early stops the source.
import { describe, expect, it } from 'vitest'
import {
  createEncryptor,
  decrypt,
  generateKey,
  RECORD_BYTES,
  SEALED_RECORD_BYTES,
  toReadableStream,
} from './index.js'
import { collect } from './test-support/vectors.js'

/** Records the library seals or opens concurrently (WINDOW in file.ts). */
const IN_FLIGHT = 4

/** An endless source of 10 000-byte chunks that counts what was pulled from it, and whether it was closed. */
function endless() {
  const state = { pulled: 0, closed: false }
  async function* gen() {
    try {
      while (true) {
        state.pulled += 10_000
        yield new Uint8Array(10_000).fill(state.pulled & 0xff)
      }
    } finally {
      state.closed = true
    }
  }
  return { state, source: gen() }
}

describe('streaming', () => {
  it('encrypt reads only a few records (plus one chunk) ahead of what was consumed, and closes the source when stopped', async () => {
    const { state, source } = endless()
    const enc = await createEncryptor(generateKey())
    let records = 0
    for await (const piece of enc.encrypt(source)) {
      if (piece.length === SEALED_RECORD_BYTES) records++
      expect(state.pulled).toBeLessThanOrEqual((records + IN_FLIGHT + 1) * RECORD_BYTES + 10_000)
      if (records === 50) break
    }
    expect(state.closed).toBe(true)
  })

  it('decrypt likewise, and cancels a ReadableStream source when stopped', async () => {
    const key = generateKey()
    const { state, source } = endless()
    const enc = await createEncryptor(key)
    let cancelled = false
    const ciphertext = toReadableStream(enc.encrypt(source))
    const watched = new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await reader.read()
        if (r.done) c.close()
        else c.enqueue(r.value)
      },
      cancel() {
        cancelled = true
        return reader.cancel()
      },
    })
    const reader = ciphertext.getReader()
    let got = 0
    for await (const plain of decrypt(key, watched)) {
      got += plain.length
      expect(state.pulled).toBeLessThanOrEqual(got + (2 * IN_FLIGHT + 3) * RECORD_BYTES + 10_000)
      if (got >= 30 * RECORD_BYTES) break
    }
    expect(cancelled).toBe(true)
    expect(state.closed).toBe(true)
  })

  it('toReadableStream turns the output into a web stream (for a Response or a service worker)', async () => {
    const key = generateKey()
    const enc = await createEncryptor(key)
    const plaintext = new Uint8Array(200_000).map((_, i) => i % 253)
    const body = await new Response(toReadableStream(enc.encrypt([plaintext]))).arrayBuffer()
    const back = await new Response(toReadableStream(decrypt(key, [new Uint8Array(body)]))).arrayBuffer()
    expect(Buffer.from(back).equals(plaintext)).toBe(true)
  })

  it('a source yielding something other than bytes is refused', async () => {
    const enc = await createEncryptor(generateKey())
    await expect(collect(enc.encrypt(['text' as unknown as Uint8Array]))).rejects.toThrow(TypeError)
  })
})
