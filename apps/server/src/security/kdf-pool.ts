/**
 * Argon2id off the event loop. hash-wasm computes a hash synchronously inside its promise
 * (about 50 ms at m = 19 MiB on the test VM), which on the main thread would stall every other
 * request, download and upload for that long, once per protected bucket and per wrong password.
 * A small pool of worker threads runs the KDF instead; the event loop only posts a message.
 *
 * The worker is an eval'd CommonJS script (no separate file to resolve from `src/` under the test
 * runner and from `dist/` in production) that loads hash-wasm from the path this module resolves.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

export interface Argon2Params {
  memorySize: number
  iterations: number
  parallelism: number
  hashLength: number
}

type Job =
  | { op: 'hash'; password: string; salt: Uint8Array; params: Argon2Params }
  | { op: 'verify'; password: string; hash: string }

interface Pending {
  job: Job
  resolve(value: string | boolean): void
  reject(err: Error): void
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { argon2id, argon2Verify } = require(workerData.hashWasm)
parentPort.on('message', async (job) => {
  try {
    if (job.op === 'hash') {
      const result = await argon2id({ ...job.params, password: job.password, salt: job.salt, outputType: 'encoded' })
      parentPort.postMessage({ result })
    } else {
      let ok = false
      // A malformed or foreign hash never matches (hash-wasm throws for it).
      try { ok = await argon2Verify({ password: job.password, hash: job.hash }) } catch {}
      parentPort.postMessage({ result: ok })
    }
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) })
  }
})
`

class Slot {
  readonly worker: Worker
  current: Pending | undefined

  constructor(
    hashWasm: string,
    private readonly onIdle: (slot: Slot) => void,
    private readonly onDead: (slot: Slot, err: Error) => void,
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { hashWasm } })
    // Idle workers must not keep the process alive (tests, CLI tools, shutdown).
    this.worker.unref()
    this.worker.on('message', (msg: { result?: string | boolean; error?: string }) => {
      const p = this.current
      this.current = undefined
      this.worker.unref()
      if (p) {
        if (msg.error !== undefined) p.reject(new Error(`password hashing failed: ${msg.error}`))
        else p.resolve(msg.result as string | boolean)
      }
      this.onIdle(this)
    })
    this.worker.on('error', (err) => this.#die(err))
    this.worker.on('exit', (code) => this.#die(new Error(`password hashing worker exited (${code})`)))
  }

  run(p: Pending): void {
    this.current = p
    // While a job runs the worker keeps the process alive, so an awaited hash is not cut short.
    this.worker.ref()
    this.worker.postMessage(p.job)
  }

  #die(err: Error): void {
    const p = this.current
    this.current = undefined
    p?.reject(err)
    this.onDead(this, err)
  }
}

/** A lazily started pool of KDF workers (at most `size`), with a FIFO queue. */
export class KdfPool {
  readonly #slots = new Set<Slot>()
  readonly #idle: Slot[] = []
  readonly #queue: Pending[] = []
  readonly #hashWasm = createRequire(import.meta.url).resolve('hash-wasm')
  #closed = false

  constructor(readonly size = Math.max(1, Math.min(2, availableParallelism() - 1))) {}

  hash(password: string, params: Argon2Params): Promise<string> {
    return this.#submit({
      op: 'hash',
      password,
      salt: new Uint8Array(randomBytes(16)),
      params,
    }) as Promise<string>
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.#submit({ op: 'verify', password, hash }) as Promise<boolean>
  }

  /** Stops the workers; jobs still queued or running fail. */
  async close(): Promise<void> {
    this.#closed = true
    for (const p of this.#queue.splice(0)) p.reject(new Error('password hashing stopped'))
    await Promise.all([...this.#slots].map((s) => s.worker.terminate()))
    this.#slots.clear()
    this.#idle.length = 0
  }

  #submit(job: Job): Promise<string | boolean> {
    if (this.#closed) return Promise.reject(new Error('password hashing stopped'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject })
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#idle.pop()
      if (!slot && this.#slots.size < this.size) {
        slot = new Slot(
          this.#hashWasm,
          (s) => {
            this.#idle.push(s)
            this.#pump()
          },
          (s) => {
            this.#slots.delete(s)
            const i = this.#idle.indexOf(s)
            if (i >= 0) this.#idle.splice(i, 1)
            if (!this.#closed) this.#pump()
          },
        )
        this.#slots.add(slot)
      }
      if (!slot) return
      slot.run(this.#queue.shift() as Pending)
    }
  }
}
