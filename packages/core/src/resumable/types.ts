/**
 * Inputs and outputs of the resumable-upload machine ({@link handleResumable}), the IETF
 * draft beside TUS 1.0. Plain data and Web types only, like the TUS machine's: the HTTP adapter
 * turns its request into a {@link ResumableRequest} and writes the {@link ResumableResponse}
 * (and any informational response) back.
 * @module
 */
import type { Clock } from '../clock.js'
import type { Locker } from '../locker.js'
import type { Store } from '../store.js'
import type { TusHeaders, TusHooks } from '../tus/types.js'

/** An informational (1xx) response the server sends before the final one. */
export interface InformationalResponse {
  status: 104
  headers: Record<string, string>
}

/**
 * One request to the machine. Shaped like a {@link TusRequest} (same fields, plus
 * `informational`), so the same {@link TusHooks} serve both protocols.
 */
export interface ResumableRequest {
  /** HTTP method as received. */
  method: string
  /** Upload id from the URL (`sid++key`); `undefined` for the creation endpoint. */
  id?: string
  headers: TusHeaders
  /** Request content; `null`/`undefined` for requests without one. */
  body?: AsyncIterable<Uint8Array> | null
  /** Fires when the client goes away. */
  signal?: AbortSignal
  /**
   * Absolute or root-relative URL of the upload resources ending in `/`, e.g.
   * `https://example.com/uploads/`. `Location` is built from it.
   */
  endpoint: string
  /**
   * Sends an informational response at once, before the request content is read: the
   * `104 (Upload Resumption Supported)` of an upload creation carries the upload's URL, which a
   * client that loses the connection mid-body needs to resume. Awaited before the body is read.
   * Without it the machine still lists the response in {@link ResumableResponse.informational}.
   * Errors are reported via `onError` and do not fail the upload.
   */
  informational?: (response: InformationalResponse) => Promise<void> | void
}

export interface ResumableResponse {
  status: number
  headers: Record<string, string>
  /** Empty, or an `application/problem+json` document (RFC 9457) for errors. */
  body: string
  /**
   * The informational responses the machine emitted for this request, in order (already
   * handed to {@link ResumableRequest.informational} when that was given).
   */
  informational?: InformationalResponse[]
}

/**
 * Hooks: exactly the TUS machine's ({@link TusHooks}), so buckets, passwords, retention,
 * webhooks and metrics behave alike. `onCreate` receives as `metadata` the PsiTransfer
 * `Upload-Metadata` pairs (TUS encoding) if the client sent that header, with `name` from
 * `Content-Disposition` and `type` from `Content-Type` when they are not there.
 */
export type ResumableHooks = TusHooks

export interface ResumableLimits {
  /** `Upload-Limit: max-size`: the largest upload accepted, in bytes. `null`/undefined = none. */
  maxSize?: number | null
  /**
   * `Upload-Limit: max-append-size`: the most content one creation or append request may
   * carry. Larger requests get 413 and nothing of them is kept. `null`/undefined = none.
   */
  maxAppendSize?: number | null
  /**
   * How long an append or cancellation waits for another request's lock on the same upload
   * before 423, and a HEAD for a write in flight before it answers from the durable state.
   * Default 3000.
   */
  lockWaitMs?: number
}

export interface ResumableDeps {
  store: Store
  locker: Locker
  clock: Clock
  hooks: ResumableHooks
  limits?: ResumableLimits
  /**
   * `Upload-Draft-Interop-Version` values the server answers with a 104. Default
   * {@link RESUMABLE_INTEROP_VERSIONS}.
   */
  interopVersions?: readonly number[]
}
