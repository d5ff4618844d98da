/**
 * A fault-injecting TCP proxy between the server and S3. It reads the HTTP/1.1 requests going
 * up (header block, then `Content-Length` body bytes; the SDK does not pipeline, so a request
 * starts only after the previous answer) and, for a configured share of them, injects one
 * seeded fault:
 *
 * - `reset`: forward the head and part of the body, then reset both connections (a part cut
 *   off mid-body);
 * - `lost-answer`: forward the whole request, reset when the answer starts (S3 did it, the
 *   server never hears);
 * - `latency`: hold the request for 50–500 ms before forwarding it;
 * - `stall`: forward part of the body, then nothing for 1–6 s (past the store's request timeout
 *   set by the harness at the top of that range);
 * - `slowdown`: answer `503 SlowDown` with an S3 XML error body instead of forwarding.
 * @module
 */
import net from 'node:net'
import type { Rng } from './rng.js'

export const FAULT_KINDS = ['reset', 'lost-answer', 'latency', 'stall', 'slowdown'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

const HEAD_END = Buffer.from('\r\n\r\n')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class FaultProxy {
  readonly #server: net.Server
  readonly counts: Record<FaultKind | 'requests', number> = {
    requests: 0,
    reset: 0,
    'lost-answer': 0,
    latency: 0,
    stall: 0,
    slowdown: 0,
  }
  readonly #sockets = new Set<net.Socket>()

  constructor(
    private readonly target: { host: string; port: number },
    private readonly rate: number,
    private readonly rng: Rng,
  ) {
    this.#server = net.createServer((c) => this.#connection(c))
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r))
    return (this.#server.address() as net.AddressInfo).port
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise((r) => this.#server.close(r))
  }

  #connection(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host)
    this.#sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    const reset = () => {
      client.resetAndDestroy()
      upstream.resetAndDestroy()
    }
    let dropAnswer = false
    let slowingDown = false
    client.on('close', () => {
      this.#sockets.delete(client)
      upstream.destroy()
    })
    upstream.on('close', () => {
      this.#sockets.delete(upstream)
      if (!slowingDown) client.destroy()
    })
    client.on('error', drop)
    upstream.on('error', drop)

    upstream.on('data', (chunk: Buffer) => {
      if (dropAnswer) return reset()
      client.write(chunk)
    })

    // Request side: a small state machine fed by client data, processed one chunk at a time.
    let pending: Buffer = Buffer.alloc(0)
    let bodyLeft = 0
    let passthrough = false
    let fault: { kind: FaultKind; at: number; ms: number } | null = null
    let bodySent = 0
    let busy = false
    let cutDone = false

    const pump = async (): Promise<void> => {
      if (busy) return
      busy = true
      client.pause()
      try {
        while (pending.length > 0 && !client.destroyed) {
          if (passthrough) {
            upstream.write(pending)
            pending = Buffer.alloc(0)
            break
          }
          if (bodyLeft === 0) {
            const end = pending.indexOf(HEAD_END)
            if (end < 0) break // wait for the whole head
            const head = pending.subarray(0, end + 4)
            pending = pending.subarray(end + 4)
            const text = head.toString('latin1')
            const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text)
            if (/\r\ntransfer-encoding:/i.test(text)) passthrough = true
            bodyLeft = cl ? Number(cl[1]) : 0
            bodySent = 0
            this.counts.requests++
            fault = this.rng.chance(this.rate)
              ? { kind: this.rng.pick(FAULT_KINDS), at: this.rng.next(), ms: this.rng.next() }
              : null
            if (fault) this.counts[fault.kind]++
            if (fault?.kind === 'slowdown') {
              slowingDown = true
              await this.#slowDown(client, upstream, bodyLeft, pending)
              return
            }
            if (fault?.kind === 'latency') await sleep(50 + Math.floor(fault.ms * 450))
            if (fault?.kind === 'reset' && bodyLeft === 0) return reset()
            upstream.write(head)
            cutDone = false
            if (bodyLeft === 0 && fault?.kind === 'lost-answer') dropAnswer = true
            continue
          }
          let n = Math.min(bodyLeft, pending.length)
          const cutting = fault !== null && !cutDone && (fault.kind === 'reset' || fault.kind === 'stall')
          const cut = cutting && fault ? Math.floor(fault.at * (bodyLeft + bodySent)) : -1
          if (cut >= bodySent && cut < bodySent + n) n = cut - bodySent
          if (n > 0) {
            upstream.write(pending.subarray(0, n))
            pending = pending.subarray(n)
            bodyLeft -= n
            bodySent += n
          }
          if (cutting && fault && bodySent === cut) {
            if (fault.kind === 'reset') return reset()
            cutDone = true
            await sleep(1000 + Math.floor(fault.ms * 5000))
          }
          if (bodyLeft === 0) {
            if (fault?.kind === 'lost-answer') dropAnswer = true
            fault = null
          }
        }
      } finally {
        busy = false
        if (!client.destroyed) client.resume()
      }
    }
    client.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
      void pump()
    })
  }

  /** Reads the request's body (so the client is not cut off mid-write) and answers 503 SlowDown. */
  async #slowDown(
    client: net.Socket,
    upstream: net.Socket,
    bodyLeft: number,
    pending: Buffer,
  ): Promise<void> {
    upstream.destroy()
    let left = bodyLeft - pending.length
    client.removeAllListeners('data')
    const answer = () => {
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
        '<Message>Please reduce your request rate.</Message><RequestId>chaos</RequestId></Error>'
      client.end(
        'HTTP/1.1 503 Slow Down\r\ncontent-type: application/xml\r\n' +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
    }
    if (left <= 0) return answer()
    client.on('data', (chunk: Buffer) => {
      left -= chunk.length
      if (left <= 0) answer()
    })
    client.resume()
  }
}
