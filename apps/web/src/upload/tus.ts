import { type DetailedError, Upload } from 'tus-js-client'
import { retryDelays, shouldRetry } from './backoff.js'
import type { UploadFactory, UploadFailure } from './queue.js'

type TusFileReader = ConstructorParameters<typeof Upload>[1]['fileReader']

/** The bucket's upload token: answered by its first creation, sent with later ones and the lock. */
export const BUCKET_TOKEN_HEADER = 'X-Bucket-Token'

export interface TusSettings {
  /** Absolute URL of the TUS endpoint (config.json `tusEndpoint` resolved against the base). */
  endpoint: string
  chunkSize: number
  /** Upload password (`x-passwd`) when the server has one. */
  uploadPass?: string
  isOnline?: () => boolean
}

/** The server answers TUS errors as `{code, message}` JSON or plain text; either way we want the sentence. */
export function failureOf(err: Error | DetailedError): UploadFailure {
  const res = 'originalResponse' in err ? err.originalResponse : null
  const status = res?.getStatus() ?? 0
  const body = res?.getBody() ?? ''
  let message = body.trim()
  try {
    const json = JSON.parse(body) as { message?: unknown }
    if (typeof json.message === 'string') message = json.message
  } catch {
    message = message.split('\n')[0] ?? ''
  }
  if (!message) message = status ? `HTTP ${status}` : err.message
  return { status, message: message.slice(0, 300) }
}

/** Files up to this size are sent with their creation request (the server's `wholeFileMax`). */
export const WHOLE_FILE_MAX = 1024 * 1024

/** Builds the queue's upload factory on tus-js-client. */
export function tusFactory(s: TusSettings): UploadFactory {
  const isOnline = s.isOnline ?? (() => navigator.onLine)
  return (req, cb) => {
    const upload = new Upload((req.source?.input ?? req.file) as File, {
      ...(req.source ? { fileReader: req.source.fileReader as TusFileReader } : {}),
      endpoint: s.endpoint,
      chunkSize: s.chunkSize,
      // A small file goes whole with its creation: one request, and stores that can (S3) write
      // it in one go. Larger ones create first, so a cut first chunk still leaves an upload to resume.
      uploadDataDuringCreation: req.file.size <= WHOLE_FILE_MAX,
      retryDelays: retryDelays(),
      metadata: req.metadata,
      headers: s.uploadPass ? { 'x-passwd': s.uploadPass } : {},
      // Later files of a bucket prove they come from its uploader (the server refuses others).
      onBeforeRequest: (r) => {
        const token = req.bucketToken()
        if (token) r.setHeader(BUCKET_TOKEN_HEADER, token)
      },
      onAfterResponse: (_r, res) => {
        const token = res.getHeader(BUCKET_TOKEN_HEADER)
        if (token) cb.onBucketToken(token)
      },
      fingerprint: () => Promise.resolve(req.fingerprint),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => cb.onProgress(sent, total),
      onSuccess: () => cb.onSuccess(),
      onError: (err) => cb.onError(failureOf(err)),
      onShouldRetry: (err) => {
        const f = failureOf(err)
        const retry = shouldRetry(f.status, isOnline())
        if (retry) cb.onRetry(f)
        return retry
      },
    })
    return {
      start: () => upload.start(),
      abort: () => upload.abort(false),
      resumePrevious: async () => {
        const previous = await upload.findPreviousUploads()
        const latest = previous.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0]
        if (!latest) return false
        upload.resumeFromPreviousUpload(latest)
        return true
      },
    }
  }
}
