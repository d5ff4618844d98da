/**
 * Test harness: an app on the in-memory store with a manual clock, and small TUS helpers
 * that speak the protocol through `app.request()`.
 * @module
 */
import { createHash } from 'node:crypto'
import {
  encodeUploadMetadata,
  ManualClock,
  MemoryLocker,
  parseBucketId,
  parseUploadMetadata,
  type Store,
} from '@psitransfer/core'
import { MemoryStore } from '@psitransfer/core/testing'
import type { Hono } from 'hono'
import { createApp } from '../app.js'
import { type Config, parseConfig } from '../config.js'
import type { CreateAppOptions } from '../deps.js'
import type { AppEnv } from '../env.js'
import { createMemoryLogger } from '../logger.js'
import { Metrics } from '../metrics.js'
import { BucketIds, hideBucketMarks } from '../upload/bucket-ids.js'
import { WebhookSender } from '../webhooks.js'

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return parseConfig({ accessLog: false, webRoot: null, ...overrides })
}

export interface TestApp {
  app: Hono<AppEnv>
  /** The store as the routes see it: without the marks of used bucket ids. */
  store: Store
  /** The store itself, marks included (what the sweeper sees). */
  rawStore: Store
  memory: MemoryStore
  clock: ManualClock
  config: Config
  logger: ReturnType<typeof createMemoryLogger>
  metrics: Metrics
  webhookCalls: Array<{ url: string; body: Record<string, unknown> }>
  request(path: string, init?: RequestInit): Promise<Response>
  /**
   * Takes bucket id `sid` as its first upload would, for tests that put files into the store
   * directly; `request` then sends its upload token. Resolves with the token.
   */
  takeBucketId(sid: string): Promise<string>
}

export function makeApp(
  overrides: Record<string, unknown> = {},
  extra: Partial<CreateAppOptions> & { store?: Store } = {},
): TestApp {
  const config = testConfig(overrides)
  const memory = new MemoryStore()
  const store = extra.store ?? memory
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const logger = createMemoryLogger()
  const metrics = new Metrics()
  const webhookCalls: TestApp['webhookCalls'] = []
  const tokens = new Map<string, string>()
  const webhooks = new WebhookSender({
    logger,
    backoffMs: 1,
    fetch: (async (url: string | URL | Request, init?: RequestInit) => {
      webhookCalls.push({ url: String(url), body: JSON.parse(String(init?.body)) })
      return new Response(null, { status: 204 })
    }) as typeof fetch,
  })
  const app = createApp({
    config,
    store,
    locker: new MemoryLocker(),
    clock,
    logger,
    metrics,
    webhooks,
    authFailDelayMs: 0,
    webRoot: null,
    ...extra,
  })
  return {
    app,
    store: hideBucketMarks(store),
    rawStore: store,
    memory,
    clock,
    config,
    logger,
    metrics,
    webhookCalls,
    request: (path, init) => withBucketTokens(app, tokens, path, init),
    async takeBucketId(sid) {
      const maxAge = config.maxAge === null ? null : config.maxAge * 1000
      const token = await new BucketIds(store, clock, maxAge).take(parseBucketId(sid))
      if (token === undefined) throw new Error(`bucket id ${sid} is taken`)
      tokens.set(sid, token)
      return token
    },
  }
}

/**
 * Plays the uploader: remembers the bucket token each creation answers with and sends it with
 * later creations into that bucket and with its lock PATCH (unless the test sets one itself).
 * Tests of strangers use `t.app.request`.
 */
async function withBucketTokens(
  app: Hono<AppEnv>,
  tokens: Map<string, string>,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers)
  const method = (init.method ?? 'GET').toUpperCase()
  let sid: string | undefined
  if (method === 'POST') sid = parseUploadMetadata(headers.get('upload-metadata')).sid
  else if (method === 'PATCH' && /[?&]lock=/.test(path)) sid = /files\/([^/?+]+)\?/.exec(path)?.[1]
  const known = sid !== undefined ? tokens.get(sid) : undefined
  if (known && !headers.has('x-bucket-token')) headers.set('x-bucket-token', known)
  const res = await app.request(path, { ...init, headers })
  const given = res.headers.get('x-bucket-token')
  if (given && sid !== undefined) tokens.set(sid, given)
  return res
}

export const TUS = { 'Tus-Resumable': '1.0.0' } as const

export function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text)
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

export interface UploadOptions {
  sid?: string
  name?: string
  retention?: string
  password?: string
  relativePath?: string
  comment?: string
  type?: string
  headers?: Record<string, string>
  metadata?: Record<string, string>
}

/** POST + one PATCH; returns the upload's `sid++key` id and the final response. */
export async function upload(t: TestApp, data: Uint8Array, options: UploadOptions = {}) {
  const md: Record<string, string> = {
    sid: options.sid ?? 'bucket1',
    name: options.name ?? 'file.txt',
    retention: options.retention ?? '3600',
    ...(options.password ? { password: options.password } : {}),
    ...(options.relativePath ? { relativePath: options.relativePath } : {}),
    ...(options.comment ? { comment: options.comment } : {}),
    type: options.type ?? 'text/plain',
    ...options.metadata,
  }
  const created = await t.request('/files/', {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Length': String(data.byteLength),
      'Upload-Metadata': encodeUploadMetadata(md),
      ...options.headers,
    },
  })
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`)
  const location = created.headers.get('location') as string
  const id = location.slice(location.lastIndexOf('/') + 1)
  if (data.byteLength === 0) return { id, location, response: created }
  const patched = await t.request(location, {
    method: 'PATCH',
    headers: {
      ...TUS,
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      ...options.headers,
    },
    body: data as Uint8Array<ArrayBuffer>,
  })
  if (patched.status !== 204) throw new Error(`patch failed: ${patched.status} ${await patched.text()}`)
  return { id, location, response: patched }
}

export function createRequest(
  t: TestApp,
  md: Record<string, string>,
  length: number,
  headers: Record<string, string> = {},
) {
  return t.request('/files/', {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Length': String(length),
      'Upload-Metadata': encodeUploadMetadata(md),
      ...headers,
    },
  })
}

/**
 * Plays a bucket's uploader in tests over the wire: keeps the upload token that the first
 * creation into a bucket answered and hands it out for later creations and the lock PATCH.
 */
export class BucketTokens {
  readonly #tokens = new Map<string, string>()

  /** Headers for a request into bucket `sid`: its upload token, once known. */
  headers(sid: string): Record<string, string> {
    const token = this.#tokens.get(sid)
    return token ? { 'X-Bucket-Token': token } : {}
  }

  /** Keeps the token a creation into `sid` answered (nothing when it answered none). */
  keep(sid: string, headers: Headers | Record<string, string | string[] | undefined>): void {
    const token = headers instanceof Headers ? headers.get('x-bucket-token') : headers['x-bucket-token']
    if (typeof token === 'string' && token !== '') this.#tokens.set(sid, token)
  }

  /** tus-js-client options doing both (start the bucket's first upload alone). */
  tusOptions(sid: string): {
    headers: Record<string, string>
    onAfterResponse: (req: unknown, res: { getHeader(name: string): string | undefined }) => void
  } {
    return {
      headers: this.headers(sid),
      onAfterResponse: (_req, res) => {
        const token = res.getHeader('x-bucket-token')
        if (token) this.#tokens.set(sid, token)
      },
    }
  }
}
