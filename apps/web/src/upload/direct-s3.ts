/**
 * Direct-to-S3 uploads (apps/server/API.md "Direct-to-S3 uploads"): when config.json offers
 * them, files of at least `minSize` bytes are PUT part by part to presigned S3 URLs, several at
 * once, and the server only creates, signs and completes. The upload id is kept in
 * localStorage by the file's fingerprint, so after a reload the parts S3 already holds (the
 * status route lists them) are not sent again.
 *
 * Any failure of the direct path (S3's CORS refusing this origin, a network error that
 * retries do not cure, the server refusing) hands the file to TUS, which then reports its own
 * errors; a CORS refusal also sends every later file of the page straight to TUS.
 *
 * The parts go to S3 as they are: an upload encrypted in the browser must be given the TUS
 * factory alone (pass `null` as the offer), unless it encrypts the parts the same way first.
 * @module
 */
import type { ClientConfig } from '../api/types.js'
import type { UploadCallbacks, UploadFactory, UploadFailure, UploadHandle, UploadRequest } from './queue.js'
import { BUCKET_TOKEN_HEADER } from './tus.js'

/** config.json's `directUpload`. */
export interface DirectOffer {
  endpoint: string
  minSize: number
}

export interface DirectSettings {
  /** Absolute URL of the direct endpoint (`directUpload.endpoint` resolved against the base). */
  endpoint: string
  minSize: number
  uploadPass?: string
  /** Part PUTs in flight per file. */
  parallel?: number
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null
  /** Milliseconds before retry n (1-based) of a failed part; default 1 s, 3 s, 10 s. */
  retryDelays?: number[]
}

interface Stored {
  id: string
  size: number
  partSize: number
  partCount: number
}

interface Status {
  partSize: number
  partCount: number
  size: number
  complete: boolean
  parts: Array<{ partNumber: number; size: number }>
}

const STORAGE_PREFIX = 'psitransfer.direct.'
/** Part URLs asked for per request (the server signs up to 100). */
const SIGN_BATCH = 8

class DirectError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

class Aborted extends Error {}

function failure(err: unknown): UploadFailure {
  if (err instanceof DirectError) return { status: err.status, message: err.message.slice(0, 300) }
  return { status: 0, message: err instanceof Error ? err.message : String(err) }
}

/**
 * The upload factory the queue uses: direct uploads for large files when `offer` is set, TUS
 * (`tus`) for everything else and as the fallback.
 */
export function withDirectUploads(
  /** `undefined` too: a server from before direct uploads does not send the field. */
  offer: ClientConfig['directUpload'] | undefined,
  base: string | URL,
  tus: UploadFactory,
  settings: Omit<DirectSettings, 'endpoint' | 'minSize'> = {},
): UploadFactory {
  if (!offer) return tus
  return directS3Factory(
    { endpoint: new URL(offer.endpoint, base).href, minSize: offer.minSize, ...settings },
    tus,
  )
}

export function directS3Factory(s: DirectSettings, fallback: UploadFactory): UploadFactory {
  const page = { corsRefused: false }
  return (req, cb) => {
    if (req.file.size < s.minSize || req.file.size < 1 || page.corsRefused) return fallback(req, cb)
    return new DirectHandle(s, req, cb, fallback, page)
  }
}

class DirectHandle implements UploadHandle {
  readonly #storage: DirectSettings['storage']
  readonly #key: string
  #stored: Stored | undefined
  /** The TUS handle once the file went that way (a fallback, or a TUS upload found after a reload). */
  #tus: UploadHandle | undefined
  #run = 0
  readonly #xhrs = new Set<XMLHttpRequest>()

  constructor(
    private readonly s: DirectSettings,
    private readonly req: UploadRequest,
    private readonly cb: UploadCallbacks,
    private readonly fallback: UploadFactory,
    private readonly page: { corsRefused: boolean },
  ) {
    this.#storage = s.storage === undefined ? globalThis.localStorage : s.storage
    this.#key = `${STORAGE_PREFIX}${req.fingerprint}`
  }

  async resumePrevious(): Promise<boolean> {
    const raw = this.#read()
    if (raw) {
      this.#stored = raw
      return true
    }
    // Begun with TUS before the reload (a fallback): continue it there.
    const tus = this.fallback(this.req, this.cb)
    if (await tus.resumePrevious()) {
      this.#tus = tus
      return true
    }
    return false
  }

  start(): void {
    if (this.#tus) {
      this.#tus.start()
      return
    }
    const run = ++this.#run
    this.#go(run).catch((err: unknown) => {
      if (err instanceof Aborted || run !== this.#run) return
      // Stop the parts still in flight before TUS takes over.
      this.#run++
      for (const x of this.#xhrs) x.abort()
      this.#xhrs.clear()
      this.#toTus(err)
    })
  }

  async abort(): Promise<void> {
    this.#run++
    for (const x of this.#xhrs) x.abort()
    this.#xhrs.clear()
    await this.#tus?.abort()
  }

  #read(): Stored | undefined {
    try {
      const raw = this.#storage?.getItem(this.#key)
      if (!raw) return undefined
      const v = JSON.parse(raw) as Partial<Stored>
      if (typeof v.id !== 'string' || v.size !== this.req.file.size) return undefined
      return v as Stored
    } catch {
      return undefined
    }
  }

  #save(v: Stored | undefined): void {
    try {
      if (v) this.#storage?.setItem(this.#key, JSON.stringify(v))
      else this.#storage?.removeItem(this.#key)
    } catch {
      // Storage full or disabled: the upload works, it just does not survive a reload.
    }
  }

  /** Hands the file to TUS after a failure of the direct path. */
  #toTus(err: unknown): void {
    const f = failure(err)
    const stored = this.#stored
    this.#stored = undefined
    this.#save(undefined)
    // Best effort: the server's sweeper removes what this misses.
    if (stored) void this.#api('DELETE', stored.id).catch(() => {})
    console.warn(`Direct upload of ${this.req.file.name} failed (${f.message}); using TUS`)
    this.#tus = this.fallback(this.req, this.cb)
    this.#tus.start()
  }

  #headers(json = false): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' }
    if (json) h['Content-Type'] = 'application/json'
    if (this.s.uploadPass) h['x-passwd'] = this.s.uploadPass
    const token = this.req.bucketToken()
    if (token) h[BUCKET_TOKEN_HEADER] = token
    return h
  }

  async #api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.s.endpoint)
    let res: Response
    try {
      res = await fetch(url, {
        method,
        credentials: 'same-origin',
        cache: 'no-store',
        headers: this.#headers(body !== undefined),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    } catch (e) {
      throw new DirectError(0, e instanceof Error ? e.message : String(e))
    }
    const token = res.headers.get(BUCKET_TOKEN_HEADER)
    if (token) this.cb.onBucketToken(token)
    const text = await res.text()
    if (!res.ok) {
      let message = `HTTP ${res.status}`
      try {
        const j = JSON.parse(text) as { message?: unknown }
        if (typeof j.message === 'string') message = j.message
      } catch {}
      throw new DirectError(res.status, message)
    }
    return (text ? JSON.parse(text) : {}) as T
  }

  async #go(run: number): Promise<void> {
    const check = () => {
      if (run !== this.#run) throw new Aborted()
    }
    const file = this.req.file
    let status: Status | undefined
    if (this.#stored) {
      try {
        status = await this.#api<Status>('GET', encodeURIComponent(this.#stored.id))
      } catch (err) {
        // Gone (expired, swept, aborted): start over with a new upload.
        if (!(err instanceof DirectError) || err.status === 0 || err.status >= 500) throw err
        this.#stored = undefined
        this.#save(undefined)
      }
      check()
    }
    if (!this.#stored) {
      const created = await this.#api<{ id: string; partSize: number; partCount: number }>('POST', '', {
        size: file.size,
        metadata: this.req.metadata,
      })
      check()
      this.#stored = {
        id: created.id,
        size: file.size,
        partSize: created.partSize,
        partCount: created.partCount,
      }
      this.#save(this.#stored)
      status = { ...created, size: file.size, complete: false, parts: [] }
    }
    const stored = this.#stored
    if (!status) throw new DirectError(0, 'No upload status')
    if (!status.complete) await this.#sendParts(run, stored, status)
    check()
    await this.#api('POST', `${encodeURIComponent(stored.id)}/complete`)
    check()
    this.#save(undefined)
    this.cb.onProgress(file.size, file.size)
    this.cb.onSuccess()
  }

  async #sendParts(run: number, stored: Stored, status: Status): Promise<void> {
    const file = this.req.file
    const have = new Set(status.parts.map((p) => p.partNumber))
    const todo: number[] = []
    for (let n = 1; n <= stored.partCount; n++) if (!have.has(n)) todo.push(n)
    let done = status.parts.reduce((sum, p) => sum + p.size, 0)
    const inFlight = new Map<number, number>()
    const report = () => {
      let sent = done
      for (const v of inFlight.values()) sent += v
      this.cb.onProgress(Math.min(sent, file.size), file.size)
    }
    report()
    const urls = new Map<number, string>()
    let signing: Promise<void> | undefined
    const urlFor = async (n: number): Promise<string> => {
      while (!urls.has(n)) {
        if (!signing) {
          const batch = todo.filter((m) => m >= n && !urls.has(m)).slice(0, SIGN_BATCH)
          signing = this.#api<{ urls: Array<{ partNumber: number; url: string }> }>(
            'POST',
            `${encodeURIComponent(stored.id)}/parts`,
            { partNumbers: batch.length > 0 ? batch : [n] },
          )
            .then((r) => {
              for (const u of r.urls) urls.set(u.partNumber, u.url)
            })
            .finally(() => {
              signing = undefined
            })
        }
        await signing
      }
      const url = urls.get(n) as string
      // A URL is used once: a retry gets a fresh one (the old one may have expired).
      urls.delete(n)
      return url
    }
    let anyPart = have.size > 0
    const delays = this.s.retryDelays ?? [1000, 3000, 10_000]
    const queue = [...todo]
    const worker = async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        const start = (n - 1) * stored.partSize
        const body = file.slice(start, Math.min(file.size, start + stored.partSize))
        for (let attempt = 0; ; attempt++) {
          if (run !== this.#run) throw new Aborted()
          try {
            await this.#put(await urlFor(n), body, (loaded) => {
              inFlight.set(n, loaded)
              report()
            })
            inFlight.delete(n)
            done += body.size
            anyPart = true
            report()
            break
          } catch (err) {
            inFlight.delete(n)
            if (err instanceof Aborted) throw err
            const f = failure(err)
            // Status 0 before any part got through: most likely S3's CORS refused this origin.
            if (f.status === 0 && !anyPart) {
              this.page.corsRefused = true
              throw err
            }
            const wait = delays[attempt]
            if (wait === undefined || (f.status >= 400 && f.status < 500 && f.status !== 403)) throw err
            this.cb.onRetry(f)
            await new Promise((r) => setTimeout(r, wait))
          }
        }
      }
    }
    const n = Math.max(1, Math.min(this.s.parallel ?? 4, todo.length))
    await Promise.all(Array.from({ length: n }, worker))
  }

  /** One part PUT (XMLHttpRequest: fetch reports no upload progress). */
  #put(url: string, body: Blob, progress: (loaded: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest()
      this.#xhrs.add(x)
      x.open('PUT', url)
      x.upload.onprogress = (e) => progress(e.loaded)
      x.onload = () => {
        this.#xhrs.delete(x)
        if (x.status >= 200 && x.status < 300) resolve()
        else reject(new DirectError(x.status, `S3 answered ${x.status} to a part`))
      }
      x.onerror = () => {
        this.#xhrs.delete(x)
        reject(new DirectError(0, 'A part could not be sent to S3 (network or CORS)'))
      }
      x.onabort = () => {
        this.#xhrs.delete(x)
        reject(new Aborted())
      }
      x.send(body)
    })
  }
}
