import { retentionMetadata } from '../lib/retention.js'
import { SpeedMeter } from '../lib/speed.js'
import { fingerprint } from './session.js'

/** What the queue needs from an upload implementation (tus-js-client in the app, a fake in tests). */
export interface UploadHandle {
  start(): void
  abort(): Promise<void>
  /** Looks up a stored upload URL for this file's fingerprint and continues it. Resolves true when found. */
  resumePrevious(): Promise<boolean>
}

export interface UploadFailure {
  /** HTTP status, 0 for network errors. */
  status: number
  message: string
}

export interface UploadCallbacks {
  onProgress(sent: number, total: number): void
  onSuccess(): void
  onError(err: UploadFailure): void
  /** A failed request will be retried (decided by the implementation's retry policy). */
  onRetry(err: UploadFailure): void
  /** The server answered the bucket's upload token (the creation that made the bucket). */
  onBucketToken(token: string): void
}

export interface UploadRequest {
  file: File
  fingerprint: string
  metadata: Record<string, string>
  /** The bucket's upload token, once known: sent with creations (and every other request). */
  bucketToken(): string | undefined
  /** What to send instead of `file`, read through its own tus-js-client file reader (encryption). */
  source?: { input: unknown; fileReader: { openFile(input: never, chunkSize: number): Promise<unknown> } }
}

export type UploadFactory = (req: UploadRequest, cb: UploadCallbacks) => UploadHandle

export type EntryStatus =
  | 'needsFile'
  | 'queued'
  | 'uploading'
  | 'retrying'
  | 'paused'
  | 'offline'
  | 'error'
  | 'done'

export interface QueueEntry {
  id: number
  file: File | null
  name: string
  relativePath: string
  size: number
  type: string
  lastModified: number
  comment: string
  status: EntryStatus
  sent: number
  error?: string
  /** Bytes per second and seconds left, while uploading. */
  rate: number
  eta: number | null
}

export interface QueueOptions {
  factory: UploadFactory
  sid: string
  /** A retention value, or a chosen date as `at:<ms>` (lib/retention.ts). */
  retention: string
  /** Complete downloads each file allows (TUS metadata `maxDownloads`; empty: no limit). */
  maxDownloads?: string
  password: string
  maxParallel?: number
  /** The bucket's upload token when the bucket exists already (a resumed session). */
  bucketToken?: string
  /** The first creation answered the bucket's upload token (to persist it and lock the bucket). */
  onBucketToken?: (token: string) => void
  isOnline?: () => boolean
  now?: () => number
  onChange?: () => void
  /** A file finished (for persisting progress across reloads). */
  onFileDone?: (entry: QueueEntry) => void
  /** Every file is done. */
  onAllDone?: () => void
}

const ACTIVE: ReadonlySet<EntryStatus> = new Set(['uploading', 'retrying'])

/**
 * Runs uploads for one bucket: at most `maxParallel` at a time, with pause/resume per file and for all,
 * retry after a final error, and waiting while offline. It knows nothing about the DOM.
 */
export class UploadQueue {
  readonly entries: QueueEntry[]
  private readonly handles = new Map<number, UploadHandle>()
  private readonly meters = new Map<number, SpeedMeter>()
  private readonly overall = new SpeedMeter()
  private readonly o: Required<
    Omit<QueueOptions, 'onFileDone' | 'onAllDone' | 'onChange' | 'bucketToken' | 'onBucketToken'>
  > &
    Pick<QueueOptions, 'onFileDone' | 'onAllDone' | 'onChange' | 'onBucketToken'>
  private finished = false
  /** The bucket's upload token (the server answers it to the creation that made the bucket). */
  private token: string | undefined
  /**
   * Whether the bucket exists on the server. Until then one file uploads alone: the server gives
   * the upload token to the bucket's first creation and refuses creations without it afterwards.
   */
  private bucketReady: boolean

  constructor(entries: QueueEntry[], options: QueueOptions) {
    this.entries = entries
    this.o = {
      maxParallel: 3,
      maxDownloads: '',
      isOnline: () => true,
      now: () => Date.now(),
      ...options,
    }
    this.token = options.bucketToken || undefined
    this.bucketReady = this.token !== undefined
  }

  /** The bucket's upload token, once the server answered it (needed to lock the bucket). */
  get bucketToken(): string | undefined {
    return this.token
  }

  /** Starts as many queued files as allowed. Call again after adding files or when back online. */
  pump(): void {
    let active = this.entries.filter((e) => ACTIVE.has(e.status)).length
    // Until the bucket exists, its first file uploads alone.
    const max = this.bucketReady ? this.o.maxParallel : 1
    for (const e of this.entries) {
      if (active >= max) break
      if (e.status !== 'queued' || !e.file) continue
      active++
      this.begin(e)
    }
    this.checkDone()
    this.o.onChange?.()
  }

  private begin(e: QueueEntry): void {
    e.status = 'uploading'
    e.error = undefined
    const existing = this.handles.get(e.id)
    if (existing) {
      existing.start()
      return
    }
    const meter = new SpeedMeter()
    this.meters.set(e.id, meter)
    const metadata: Record<string, string> = {
      sid: this.o.sid,
      // A chosen date goes as `expiresAt`, so every file of the bucket ends at the same moment.
      ...retentionMetadata(this.o.retention),
      name: e.name,
      type: e.type || 'application/octet-stream',
    }
    if (e.relativePath) metadata.relativePath = e.relativePath
    if (e.comment) metadata.comment = e.comment
    if (this.o.password) metadata.password = this.o.password
    if (this.o.maxDownloads) metadata.maxDownloads = this.o.maxDownloads
    const handle = this.o.factory(
      { file: e.file!, fingerprint: fingerprint(this.o.sid, e), metadata, bucketToken: () => this.token },
      {
        onBucketToken: (token) => {
          if (this.token === token) return
          this.token = token
          this.o.onBucketToken?.(token)
          this.openBucket()
        },
        onProgress: (sent) => {
          // Bytes flow, so this file's upload exists (created, or resumed): so does the bucket.
          this.openBucket()
          if (e.status === 'retrying') e.status = 'uploading'
          e.sent = sent
          const t = this.o.now()
          meter.add(t, sent)
          e.rate = meter.rate()
          e.eta = meter.eta(e.size)
          this.overall.add(t, this.sent)
          this.o.onChange?.()
        },
        onRetry: (err) => {
          if (e.status === 'uploading') e.status = 'retrying'
          e.error = err.message
          this.o.onChange?.()
        },
        onSuccess: () => {
          e.status = 'done'
          e.sent = e.size
          e.rate = 0
          e.eta = 0
          e.error = undefined
          this.handles.delete(e.id)
          this.o.onFileDone?.(e)
          this.bucketReady = true
          this.pump()
        },
        onError: (err) => {
          if (e.status === 'paused') return // abort() on pause is not a failure
          e.rate = 0
          e.eta = null
          if (!this.o.isOnline()) {
            e.status = 'offline'
          } else {
            e.status = 'error'
            e.error = err.message
          }
          this.pump()
        },
      },
    )
    this.handles.set(e.id, handle)
    // Continue a stored upload of the same file in this bucket (reload, crash) before creating a new one.
    handle
      .resumePrevious()
      .catch(() => false)
      .then(() => {
        if (e.status === 'uploading') handle.start()
      })
  }

  /** The bucket exists: the other files may start. */
  private openBucket(): void {
    if (this.bucketReady) return
    this.bucketReady = true
    this.pump()
  }

  pause(id: number): void {
    const e = this.byId(id)
    if (!e || !(ACTIVE.has(e.status) || e.status === 'queued' || e.status === 'offline')) return
    const wasActive = ACTIVE.has(e.status)
    e.status = 'paused'
    e.rate = 0
    e.eta = null
    if (wasActive) void this.handles.get(id)?.abort()
    this.pump()
  }

  resume(id: number): void {
    const e = this.byId(id)
    if (e?.status !== 'paused') return
    e.status = 'queued'
    this.meters.get(id)?.reset()
    this.pump()
  }

  retry(id: number): void {
    const e = this.byId(id)
    if (!e || (e.status !== 'error' && e.status !== 'offline')) return
    e.status = 'queued'
    this.pump()
  }

  pauseAll(): void {
    for (const e of this.entries) this.pause(e.id)
  }

  resumeAll(): void {
    for (const e of this.entries) {
      if (e.status === 'paused') e.status = 'queued'
    }
    this.pump()
  }

  /** The browser is back online: continue everything that stopped because of it. */
  online(): void {
    for (const e of this.entries) {
      if (e.status === 'offline') e.status = 'queued'
    }
    this.pump()
  }

  /** Stops every transfer (leaving the page, starting over). Server-side uploads stay resumable. */
  async stop(): Promise<void> {
    const active = this.entries.filter((e) => ACTIVE.has(e.status))
    for (const e of active) e.status = 'paused'
    await Promise.all(active.map((e) => this.handles.get(e.id)?.abort()))
  }

  get sent(): number {
    return this.entries.reduce((s, e) => s + e.sent, 0)
  }

  get total(): number {
    return this.entries.reduce((s, e) => s + e.size, 0)
  }

  get rate(): number {
    return this.entries.some((e) => ACTIVE.has(e.status)) ? this.overall.rate() : 0
  }

  get eta(): number | null {
    return this.rate > 0 ? this.overall.eta(this.total) : null
  }

  get allDone(): boolean {
    return this.entries.every((e) => e.status === 'done')
  }

  get paused(): boolean {
    return this.entries.some((e) => e.status === 'paused')
  }

  get running(): boolean {
    return this.entries.some((e) => ACTIVE.has(e.status) || e.status === 'queued')
  }

  private byId(id: number): QueueEntry | undefined {
    return this.entries.find((e) => e.id === id)
  }

  private checkDone(): void {
    if (!this.finished && this.allDone) {
      this.finished = true
      this.o.onAllDone?.()
    }
  }
}
