/**
 * Streams a response body from an `AsyncIterable` (a store read, an archive).
 *
 * On @hono/node-server the bytes go straight into the Node `ServerResponse` with
 * `stream.pipeline` (backpressure, and a client that goes away destroys the source at once).
 * This also keeps Web `Response` bodies built from Node streams out of the download path:
 * those can crash Node 20 with undici's `ERR_INVALID_STATE` when a client closes the socket
 * right after the last byte (nodejs/undici#5715). Elsewhere (tests with `app.request()`,
 * other runtimes) a pull-based `ReadableStream` that never touches its controller after a
 * cancel is used.
 * @module
 */
import { type IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { FileReader } from '@psitransfer/core'
import type { Context } from 'hono'
import { BufferPool } from '../buffer-pool.js'
import type { AppEnv } from '../env.js'

export interface StreamOutcome {
  /** Every byte was handed to the client connection. */
  completed: boolean
  bytes: number
}

export interface SendOptions {
  status: number
  headers: Record<string, string>
  /** `null` for HEAD / 304 (headers only). */
  body: AsyncIterable<Uint8Array> | null
  /** Called exactly once, when the body finished or failed (also for header-only responses). */
  onDone?: (outcome: StreamOutcome) => void | Promise<void>
  /**
   * Pull a Node stream body through the counting iterator instead of piping it directly, so the
   * count is of bytes pulled for the socket as it drains. Archives need it: which one-time
   * entries an aborted archive consumed is judged from that count against each entry's recorded
   * end, and with the direct pipe a client reset could overtake that bookkeeping (a one-time
   * entry the client held whole was given back; the abort test failed under load).
   */
  pulled?: boolean
  /**
   * The pool `body` reads file bytes into: on Node each chunk from it is given back once the
   * socket has taken it, and such writes do not wait for `drain` (the pool's size bounds them).
   * Elsewhere the pool is detached (fresh buffers).
   */
  buffers?: BufferPool
}

/**
 * The Node response to write to directly, if any. Not for HEAD: Hono answers HEAD by running the
 * GET route and wrapping its result in a new `Response`, which @hono/node-server then writes
 * again (its already-sent marker is lost on that path), so HEAD answers go through Hono.
 */
function nodeResponse(c: Context<AppEnv>): ServerResponse | undefined {
  const out = c.env?.outgoing
  return out instanceof ServerResponse && c.req.method !== 'HEAD' ? out : undefined
}

/** `base` merged with `headers`, names lower-cased, later wins. */
function mergeHeaders(base: Record<string, string>, headers: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = {}
  for (const k in base) all[k.toLowerCase()] = base[k] as string
  for (const k in headers) all[k.toLowerCase()] = headers[k] as string
  return all
}

/** The request's base headers (see `AppEnv`) merged with `headers`, names lower-cased, later wins. */
function mergedHeaders(c: Context<AppEnv>, headers: Record<string, string>): Record<string, string> {
  return mergeHeaders(c.get('baseHeaders') ?? {}, headers)
}

/**
 * Writes a small, complete response (status, headers, a short text) to a Node response; no
 * body for HEAD, 204 and 304. Returns the body bytes. Shared by {@link sendSmall} and the TUS
 * fast path, so both put the same bytes on the wire.
 */
export function writeSmall(
  out: ServerResponse,
  base: Record<string, string>,
  status: number,
  headers: Record<string, string>,
  body: string,
  head = false,
): number {
  const noBody = head || status === 204 || status === 304
  const bytes = noBody ? 0 : Buffer.byteLength(body)
  if (!out.headersSent && !out.destroyed) {
    const all = mergeHeaders(base, headers)
    if (!noBody) all['content-length'] = String(bytes)
    out.writeHead(status, all)
    out.end(bytes > 0 ? body : undefined)
  }
  return bytes
}

/**
 * A small, complete response (TUS answers: a status, headers, an optional short text). On Node
 * it is written straight to the `ServerResponse`, which spares building a Web `Response` and
 * converting it back for every upload request; elsewhere it is an ordinary Hono response.
 */
export function sendSmall(
  c: Context<AppEnv>,
  status: number,
  headers: Record<string, string>,
  body: string,
): Response {
  const out = nodeResponse(c)
  if (!out) {
    if (body === '' || status === 204 || status === 304) return c.body(null, status as 200, headers)
    return c.body(body, status as 200, headers)
  }
  const bytes = writeSmall(out, c.get('baseHeaders') ?? {}, status, headers, body)
  c.set('sent', { status, bytes })
  return RESPONSE_ALREADY_SENT
}

async function* counted(
  body: AsyncIterable<Uint8Array>,
  count: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    count.bytes += chunk.byteLength
    yield chunk
  }
}

/** `options.onDone` wrapped to run once, after recording what was sent for the access log. */
function doneOnce(c: Context<AppEnv>, status: number, onDone: SendOptions['onDone']) {
  let called = false
  return async (outcome: StreamOutcome) => {
    if (called) return
    called = true
    c.set('sent', { status, bytes: outcome.bytes })
    await onDone?.(outcome)
  }
}

export async function sendStream(c: Context<AppEnv>, options: SendOptions): Promise<Response> {
  const { status, headers, body } = options
  const done = doneOnce(c, status, options.onDone)

  const out = nodeResponse(c)
  if (out) {
    const all = mergedHeaders(c, headers)
    if (out.headersSent || out.destroyed) {
      await done({ completed: false, bytes: 0 })
      return RESPONSE_ALREADY_SENT
    }
    out.writeHead(status, all)
    if (body === null) {
      out.end()
      await done({ completed: true, bytes: 0 })
      return RESPONSE_ALREADY_SENT
    }
    const count = { bytes: 0 }
    let completed = false
    try {
      if (options.buffers) {
        await writeAll(out, body, count, options.buffers)
      } else if (body instanceof Readable && !options.pulled) {
        // A Node stream (the file store's reads, archives) is piped as it is: bridging it through
        // an async iterator and back costs a promise and a generator step per chunk, about half
        // the server's CPU with parallel downloads. The 'data' listener only counts; pipe's own
        // listener, attached first by pipeline, keeps the backpressure.
        const piped = pipeline(body, out)
        body.on('data', (chunk: Uint8Array) => {
          count.bytes += chunk.byteLength
        })
        await piped
      } else {
        await pipeline(Readable.from(counted(body, count), { objectMode: false }), out)
      }
      completed = true
    } catch {
      // Client went away or the source failed after the headers: the connection is closed,
      // so the client sees a truncated response and no half-written JSON.
      if (!out.destroyed) out.destroy()
    }
    await done({ completed, bytes: count.bytes })
    return RESPONSE_ALREADY_SENT
  }

  if (body === null) {
    await done({ completed: true, bytes: 0 })
    return c.body(null, status as 200, headers)
  }
  options.buffers?.detach()
  const stream = toWebStream(body, (completed, bytes) => {
    void Promise.resolve(done({ completed, bytes })).catch(() => {})
  })
  return c.body(stream, status as 200, headers)
}

/**
 * Writes `body` to `out` chunk by chunk, giving each chunk of `buffers` back from its write
 * callback (when the socket is done with it). Other chunks wait for `drain` as a pipe would.
 * Throws when the connection closes first.
 */
async function writeAll(
  out: ServerResponse,
  body: AsyncIterable<Uint8Array>,
  count: { bytes: number },
  buffers: BufferPool,
): Promise<void> {
  const gone = () => new Error('the connection closed before the body was sent')
  let closed = false
  let wake: (() => void) | undefined
  const onClose = () => {
    closed = true
    // A body waiting for a buffer fails at once instead of waiting for write callbacks.
    buffers.close()
    wake?.()
  }
  const onDrain = () => wake?.()
  out.once('close', onClose)
  out.on('drain', onDrain)
  try {
    for await (const chunk of body) {
      if (closed) throw gone()
      count.bytes += chunk.byteLength
      const pooled = buffers.owns(chunk)
      const more = out.write(chunk, () => {
        if (pooled) buffers.give(chunk)
      })
      while (!more && !pooled && out.writableNeedDrain && !closed) {
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
      }
    }
    if (closed) throw gone()
    out.end()
    await finished(out)
  } finally {
    out.off('close', onClose)
    out.off('drain', onDrain)
  }
}

/** A byte range of a stored file, read through the store's {@link FileReader}. */
export interface FileSource {
  reader: FileReader
  start: number
  length: number
}

/** Size of each of a download's send buffers; a smaller file gets one buffer of its size. */
const SEND_BUFFER_BYTES = 256 * 1024
/** Two buffers: the next chunk is read from the file while the socket still sends the last one. */
const SEND_BUFFERS = 2

/** A response's send buffers for a body that reads files into them (see {@link SendOptions.buffers}). */
export function sendBuffers(): BufferPool {
  return new BufferPool(SEND_BUFFERS, SEND_BUFFER_BYTES)
}

/**
 * Sends a range of a stored file and closes its reader. On Node the bytes go from two buffers
 * per download that are reused as soon as the socket has taken each write (its write callback),
 * so a download allocates nothing per chunk. A fresh buffer per chunk, as a stream read does,
 * made V8 collect the old generation every few chunks with parallel downloads (an incremental
 * mark-compact per 64 MiB of buffers on Node 24, per heap-limit check on Node 20): 4 parallel
 * 1 GiB downloads took twice the CPU of these recycled buffers. Elsewhere through
 * {@link sendStream}.
 */
export async function sendFile(
  c: Context<AppEnv>,
  options: Omit<SendOptions, 'body' | 'pulled'> & { file: FileSource },
): Promise<Response> {
  const { status, headers, file } = options
  const out = nodeResponse(c)
  if (!out) return sendStream(c, { status, headers, body: fileChunks(file), onDone: options.onDone })
  const done = doneOnce(c, status, options.onDone)
  const count = { bytes: 0 }
  let completed = false
  try {
    if (!out.headersSent && !out.destroyed) {
      out.writeHead(status, mergedHeaders(c, headers))
      completed = await pump(out, file, count)
    }
  } catch {
    // A read failed after the headers: close the connection so the client sees a truncated body.
    if (!out.destroyed) out.destroy()
  } finally {
    await file.reader.close()
  }
  await done({ completed, bytes: count.bytes })
  return RESPONSE_ALREADY_SENT
}

/** Writes the file's range to `out`; `true` once all of it was handed to the connection. */
async function pump(out: ServerResponse, file: FileSource, count: { bytes: number }): Promise<boolean> {
  const { reader, start, length } = file
  const size = Math.min(SEND_BUFFER_BYTES, length)
  const free: Buffer[] = []
  for (let i = length > size ? SEND_BUFFERS : 1; i > 0; i--) free.push(Buffer.allocUnsafeSlow(size))
  let closed = false
  let wake: (() => void) | undefined
  const poke = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const onClose = () => {
    closed = true
    poke()
  }
  out.once('close', onClose)
  try {
    const end = start + length
    let pos = start
    while (pos < end) {
      while (free.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve))
      if (closed) return false
      const buf = free.pop() as Buffer
      const n = await readAt(reader, buf.subarray(0, Math.min(size, end - pos)), pos)
      if (closed) return false
      pos += n
      count.bytes += n
      // The callback comes once the socket is done with the bytes (or failed): only then is the
      // buffer free for the next read.
      out.write(n === buf.byteLength ? buf : buf.subarray(0, n), (err) => {
        if (!err) free.push(buf)
        poke()
      })
    }
    out.end()
    await finished(out)
    return true
  } catch (err) {
    if (closed) return false
    throw err
  } finally {
    out.off('close', onClose)
  }
}

/** Reads at `pos` into `into`; the file ending before the range it was asked for is an error. */
async function readAt(reader: FileReader, into: Uint8Array, pos: number): Promise<number> {
  const n = await reader.read(into, pos)
  if (n === 0) throw new Error('the stored file is shorter than its recorded size')
  return n
}

/** A file's range as chunks in fresh buffers (for the non-Node path); closes the reader. */
async function* fileChunks({ reader, start, length }: FileSource): AsyncGenerator<Uint8Array> {
  try {
    const end = start + length
    for (let pos = start; pos < end; ) {
      const buf = new Uint8Array(Math.min(SEND_BUFFER_BYTES, end - pos))
      const n = await readAt(reader, buf, pos)
      pos += n
      yield n === buf.byteLength ? buf : buf.subarray(0, n)
    }
  } finally {
    await reader.close()
  }
}

/** Pull-based Web stream over an async iterable; reports completion/cancel exactly once. */
export function toWebStream(
  body: AsyncIterable<Uint8Array>,
  onEnd: (completed: boolean, bytes: number) => void,
): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Uint8Array> | undefined
  let finished = false
  let bytes = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        it ??= body[Symbol.asyncIterator]()
        try {
          const r = await it.next()
          if (finished) return
          if (r.done) {
            finished = true
            controller.close()
            onEnd(true, bytes)
          } else {
            bytes += r.value.byteLength
            controller.enqueue(r.value)
          }
        } catch (err) {
          if (finished) return
          finished = true
          controller.error(err)
          onEnd(false, bytes)
        }
      },
      async cancel() {
        if (finished) return
        finished = true
        onEnd(false, bytes)
        await it?.return?.()
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * The abort signal to hand to a store together with {@link requestBody}. On Node the request
 * stream itself fails as soon as the client goes away (or the idle timeout closes a stalled
 * socket), which ends the store's read of it, so no signal is needed there and the store saves
 * the per-chunk listener bookkeeping. Elsewhere the request's signal.
 */
export function bodySignal(c: Context<AppEnv>): AbortSignal | undefined {
  return c.env?.incoming instanceof Readable ? undefined : c.req.raw.signal
}

/**
 * Request body as an async iterable: the Node request itself when available (no Web-stream
 * adapter). When the consumer stops early (a size limit hit mid-body, a store error) the
 * request is not destroyed, so the socket stays usable for the error response; the server
 * adapter drains or closes the rest afterwards.
 */
export function requestBody(c: Context<AppEnv>): AsyncIterable<Uint8Array> | null {
  const incoming = c.env?.incoming
  if (incoming instanceof Readable) return nodeRequestBody(incoming)
  const body = c.req.raw.body
  return body ? webStreamIterable(body) : null
}

/** A Node request's body; stopping early leaves the request (and its socket) alive. */
export function nodeRequestBody(incoming: IncomingMessage | Readable): AsyncIterable<Uint8Array> {
  return typeof incoming.iterator === 'function'
    ? (incoming.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>)
    : (incoming as AsyncIterable<Uint8Array>)
}

async function* webStreamIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  let ended = false
  try {
    while (true) {
      const { done, value } = await reader.read()
      if (done) {
        ended = true
        return
      }
      yield value
    }
  } finally {
    // Stopped early (the consumer broke out): tell the source we no longer want data.
    if (!ended) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}
