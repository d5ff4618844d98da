import { describe, expect, it } from 'vitest'
import { type QueueEntry, type UploadCallbacks, UploadQueue, type UploadRequest } from './queue.js'

/** A controllable upload: the test decides when progress, success and errors happen. */
class FakeUpload {
  starts = 0
  aborts = 0
  resumedPrevious = false
  constructor(
    readonly req: UploadRequest,
    readonly cb: UploadCallbacks,
    private readonly previous: boolean,
  ) {}
  start() {
    this.starts++
  }
  async abort() {
    this.aborts++
  }
  async resumePrevious() {
    this.resumedPrevious = this.previous
    return this.previous
  }
}

let id = 0
const entry = (name: string, size = 100, over: Partial<QueueEntry> = {}): QueueEntry => ({
  id: ++id,
  file: new File(['x'], name),
  name,
  relativePath: '',
  size,
  type: 'text/plain',
  lastModified: 1,
  comment: '',
  status: 'queued',
  sent: 0,
  rate: 0,
  eta: null,
  ...over,
})

const tick = () => new Promise((r) => setTimeout(r, 0))

function setup(
  entries: QueueEntry[],
  opts: {
    maxParallel?: number
    previous?: boolean
    password?: string
    bucketToken?: string | null
    retention?: string
  } = {},
) {
  const uploads: FakeUpload[] = []
  let online = true
  let allDone = 0
  const doneFiles: string[] = []
  const tokens: string[] = []
  let now = 0
  // By default the bucket exists (its token is known); `bucketToken: null` starts a new one.
  const token = opts.bucketToken === undefined ? 'TOKEN' : opts.bucketToken
  const q = new UploadQueue(entries, {
    ...(token ? { bucketToken: token } : {}),
    onBucketToken: (t) => tokens.push(t),
    sid: 'SID',
    retention: opts.retention ?? '3600',
    password: opts.password ?? '',
    maxParallel: opts.maxParallel ?? 2,
    factory: (req, cb) => {
      const u = new FakeUpload(req, cb, opts.previous ?? false)
      uploads.push(u)
      return u
    },
    isOnline: () => online,
    now: () => now,
    onAllDone: () => allDone++,
    onFileDone: (e) => doneFiles.push(e.name),
  })
  return {
    q,
    uploads,
    setOnline: (v: boolean) => {
      online = v
    },
    advance: (ms: number) => {
      now += ms
    },
    allDone: () => allDone,
    doneFiles,
    tokens,
  }
}

describe('UploadQueue', () => {
  it('runs at most maxParallel uploads and starts the next when one finishes', async () => {
    const t = setup([entry('a'), entry('b'), entry('c')])
    t.q.pump()
    await tick()
    expect(t.uploads.map((u) => u.req.metadata.name)).toEqual(['a', 'b'])
    expect(t.uploads.every((u) => u.starts === 1)).toBe(true)
    t.uploads[0]!.cb.onSuccess()
    await tick()
    expect(t.uploads.map((u) => u.req.metadata.name)).toEqual(['a', 'b', 'c'])
    expect(t.doneFiles).toEqual(['a'])
    t.uploads[1]!.cb.onSuccess()
    t.uploads[2]!.cb.onSuccess()
    expect(t.allDone()).toBe(1)
    expect(t.q.allDone).toBe(true)
    expect(t.q.sent).toBe(300)
  })

  it('sends the bucket settings and file details as metadata, and a bucket-scoped fingerprint', async () => {
    const t = setup([entry('a.txt', 5, { relativePath: 'dir', comment: 'hi' })], { password: 'pw' })
    t.q.pump()
    await tick()
    expect(t.uploads[0]!.req.metadata).toEqual({
      sid: 'SID',
      retention: '3600',
      name: 'a.txt',
      relativePath: 'dir',
      comment: 'hi',
      type: 'text/plain',
      password: 'pw',
    })
    expect(t.uploads[0]!.req.fingerprint.startsWith('psi::SID::dir/a.txt')).toBe(true)
  })

  it('leaves out empty optional metadata', async () => {
    const t = setup([entry('a', 5, { type: '' })])
    t.q.pump()
    await tick()
    expect(t.uploads[0]!.req.metadata).toEqual({
      sid: 'SID',
      retention: '3600',
      name: 'a',
      type: 'application/octet-stream',
    })
  })

  it('sends a chosen date as expiresAt instead of a retention, the same for every file', async () => {
    const t = setup([entry('a', 5), entry('b', 5)], { retention: 'at:1780401600000' })
    t.q.pump()
    await tick()
    for (const u of t.uploads) {
      expect(u.req.metadata).toMatchObject({ sid: 'SID', expiresAt: '1780401600000' })
      expect(u.req.metadata).not.toHaveProperty('retention')
    }
    expect(t.uploads).toHaveLength(2)
  })

  it('asks for a stored upload first so a reload continues instead of starting over', async () => {
    const t = setup([entry('a')], { previous: true })
    t.q.pump()
    expect(t.uploads[0]!.starts).toBe(0) // not before the lookup finished
    await tick()
    expect(t.uploads[0]!.resumedPrevious).toBe(true)
    expect(t.uploads[0]!.starts).toBe(1)
  })

  it('tracks progress, speed and time left per file and overall', async () => {
    const t = setup([entry('a', 1000), entry('b', 1000)])
    t.q.pump()
    await tick()
    t.uploads[0]!.cb.onProgress(0, 1000)
    t.advance(1000)
    t.uploads[0]!.cb.onProgress(400, 1000)
    const a = t.q.entries[0]!
    expect(a.sent).toBe(400)
    expect(a.rate).toBe(400)
    expect(a.eta).toBe(1.5)
    expect(t.q.sent).toBe(400)
    expect(t.q.total).toBe(2000)
    expect(t.q.rate).toBe(400)
    expect(t.q.eta).toBe(4)
  })

  it('pauses without treating the abort as an error, and resumes on the same upload', async () => {
    const t = setup([entry('a'), entry('b')], { maxParallel: 1 })
    t.q.pump()
    await tick()
    const a = t.q.entries[0]!
    t.q.pause(a.id)
    expect(a.status).toBe('paused')
    expect(t.uploads[0]!.aborts).toBe(1)
    t.uploads[0]!.cb.onError({ status: 0, message: 'aborted' })
    expect(a.status).toBe('paused')
    // the free slot went to b
    await tick()
    expect(t.q.entries[1]!.status).toBe('uploading')
    t.uploads[1]!.cb.onSuccess()
    t.q.resume(a.id)
    expect(a.status).toBe('uploading')
    expect(t.uploads).toHaveLength(2) // no new upload object: the same one continues from its URL
    expect(t.uploads[0]!.starts).toBe(2)
    t.uploads[0]!.cb.onSuccess()
    expect(t.allDone()).toBe(1)
  })

  it('pauses and resumes everything', async () => {
    const t = setup([entry('a'), entry('b'), entry('c')])
    t.q.pump()
    await tick()
    t.q.pauseAll()
    expect(t.q.entries.map((e) => e.status)).toEqual(['paused', 'paused', 'paused'])
    expect(t.q.paused).toBe(true)
    expect(t.q.running).toBe(false)
    t.q.resumeAll()
    expect(t.q.entries.map((e) => e.status)).toEqual(['uploading', 'uploading', 'queued'])
  })

  it('waits while offline and continues when the browser is back online', async () => {
    const t = setup([entry('a')])
    t.q.pump()
    await tick()
    t.setOnline(false)
    t.uploads[0]!.cb.onError({ status: 0, message: 'network' })
    expect(t.q.entries[0]!.status).toBe('offline')
    t.setOnline(true)
    t.q.online()
    expect(t.q.entries[0]!.status).toBe('uploading')
    expect(t.uploads[0]!.starts).toBe(2)
  })

  it('shows retries and final errors, and retries on request', async () => {
    const t = setup([entry('a')])
    t.q.pump()
    await tick()
    const a = t.q.entries[0]!
    t.uploads[0]!.cb.onRetry({ status: 503, message: 'busy' })
    expect(a.status).toBe('retrying')
    t.uploads[0]!.cb.onProgress(10, 100)
    expect(a.status).toBe('uploading')
    t.uploads[0]!.cb.onError({ status: 413, message: 'File too large' })
    expect(a.status).toBe('error')
    expect(a.error).toBe('File too large')
    expect(t.allDone()).toBe(0)
    t.q.retry(a.id)
    expect(a.status).toBe('uploading')
    expect(a.error).toBeUndefined()
  })

  it('skips files that finished before a reload and finishes when the rest is done', async () => {
    const t = setup([entry('a', 100, { status: 'done', sent: 100 }), entry('b')])
    t.q.pump()
    await tick()
    expect(t.uploads.map((u) => u.req.metadata.name)).toEqual(['b'])
    t.uploads[0]!.cb.onSuccess()
    expect(t.allDone()).toBe(1)
  })

  it('reports completion only once', async () => {
    const t = setup([entry('a')])
    t.q.pump()
    await tick()
    t.uploads[0]!.cb.onSuccess()
    t.q.pump()
    t.q.resumeAll()
    expect(t.allDone()).toBe(1)
  })
})

describe('a new bucket', () => {
  it('uploads its first file alone until the server answered the upload token, then sends it', async () => {
    const { q, uploads, tokens } = setup([entry('a'), entry('b'), entry('c')], {
      maxParallel: 3,
      bucketToken: null,
    })
    q.pump()
    await tick()
    // The server gives the token to the bucket's first creation and refuses others without it.
    expect(uploads).toHaveLength(1)
    expect(uploads[0]!.req.bucketToken()).toBeUndefined()
    uploads[0]!.cb.onBucketToken('T0K3N')
    await tick()
    expect(tokens).toEqual(['T0K3N'])
    expect(q.bucketToken).toBe('T0K3N')
    expect(uploads).toHaveLength(3)
    for (const u of uploads) expect(u.req.bucketToken()).toBe('T0K3N')
  })

  it('lets the next file open the bucket when the first one fails or is paused before', async () => {
    const [a, b, c] = [entry('a'), entry('b'), entry('c')]
    const { q, uploads } = setup([a, b, c], { maxParallel: 3, bucketToken: null })
    q.pump()
    await tick()
    uploads[0]!.cb.onError({ status: 0, message: 'network' })
    await tick()
    expect(a.status).toBe('error')
    // Still one at a time: b now opens the bucket.
    expect(uploads.map((u) => u.req.metadata.name)).toEqual(['a', 'b'])
    q.pause(b.id)
    await tick()
    expect(uploads.map((u) => u.req.metadata.name)).toEqual(['a', 'b', 'c'])
    uploads[2]!.cb.onBucketToken('T')
    q.resume(b.id)
    await tick()
    expect(b.status).toBe('uploading')
    expect(c.status).toBe('uploading')
  })

  it('starts the others once the first file moves bytes, even without a token (resumed upload)', async () => {
    const { q, uploads } = setup([entry('a'), entry('b')], { maxParallel: 2, bucketToken: null })
    q.pump()
    await tick()
    expect(uploads).toHaveLength(1)
    uploads[0]!.cb.onProgress(10, 100)
    await tick()
    expect(uploads).toHaveLength(2)
  })
})
