/// <reference lib="webworker" />
/**
 * The service worker that saves decrypted files as a stream (docs/encryption.md, "The web app"): the
 * page posts a job with a random id, then navigates a hidden frame to `e2e-download/{id}`; this
 * worker answers that navigation with the decrypted file as an attachment, record by record, so a
 * large file is never held in memory. The key lives only in this worker's memory and in the page;
 * the id in the URL means nothing to the server (it never sees the request).
 */
import { type DecryptJob, decryptUrl, failureOf } from './decrypt.js'

declare const self: ServiceWorkerGlobalScope

interface Job extends DecryptJob {
  name: string
  size: number
  port: MessagePort
}

const jobs = new Map<string, Job>()

self.addEventListener('install', () => {
  void self.skipWaiting()
})
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()))

self.addEventListener('message', (e) => {
  const d = e.data as { type?: string; id?: string; job?: Omit<Job, 'port'> } | null
  const port = e.ports[0]
  if (d?.type !== 'e2e-download' || !d.id || !d.job || !port) return
  jobs.set(d.id, { ...d.job, port })
  port.postMessage({ type: 'ready' })
})

/** `attachment; filename*=UTF-8''…` with an ASCII fallback. */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

function respond(job: Job): Response {
  const ctrl = new AbortController()
  const source = decryptUrl(job, ctrl.signal)
  let sent = 0
  let lastReport = 0
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await source.next()
          if (done) {
            job.port.postMessage({ type: 'done', bytes: sent })
            controller.close()
            return
          }
          sent += value.length
          if (sent - lastReport >= 1 << 20) {
            lastReport = sent
            job.port.postMessage({ type: 'progress', bytes: sent })
          }
          controller.enqueue(value)
        } catch (err) {
          job.port.postMessage({
            type: 'error',
            failure: failureOf(err),
            message: err instanceof Error ? err.message : String(err),
          })
          controller.error(err)
        }
      },
      cancel() {
        ctrl.abort()
        job.port.postMessage({ type: 'error', failure: 'network', message: 'cancelled' })
        void source.return(undefined)
      },
    },
    // A few records buffered at most: memory stays flat however large the file is.
    { highWaterMark: 4 },
  )
  return new Response(body, {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': disposition(job.name),
      'Content-Length': String(job.size),
      'X-Content-Type-Options': 'nosniff',
    },
  })
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url)
  const scope = new URL(self.registration.scope)
  if (url.origin !== scope.origin || !url.pathname.startsWith(`${scope.pathname}e2e-download/`)) return
  const id = url.pathname.slice(`${scope.pathname}e2e-download/`.length)
  const job = jobs.get(id)
  jobs.delete(id)
  e.respondWith(
    job ? respond(job) : new Response('This download has expired: start it again.', { status: 404 }),
  )
})
