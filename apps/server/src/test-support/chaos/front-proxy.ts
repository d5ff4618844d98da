/**
 * The HTTP-aware proxy between the TUS clients and the server instances. It sees every request
 * and answer, so it records every `Upload-Offset` the server returned, and it kills the instance
 * serving a PATCH at the point the plan says: part-way through the body, right after forwarding
 * the 204, or while the server completes the upload (the last PATCH's body sent, answer not yet
 * back). While no instance is up, requests wait here (as behind a load balancer or a socket
 * kept by the service manager) instead of being refused.
 * @module
 */
import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Cluster, Instance } from './cluster.js'
import type { Rng } from './rng.js'

/** completion-acked: the last PATCH was answered before the planned completion kill, killed right after. */
export type KillKind = 'mid-body' | 'after-ack' | 'completion' | 'completion-acked'

export interface KillPlan {
  kind: KillKind
  /** mid-body: body bytes forwarded before the kill. completion: ms after the last body byte. */
  at: number
}

export interface Exchange {
  method: string
  path: string
  reqHeaders: IncomingHttpHeaders
  status: number
  headers: IncomingHttpHeaders
  instance: number
  /** When the proxy received the request (ms since the epoch). */
  startedAt: number
  /** Time from the last body byte forwarded to the answer (ms; null without a body end). */
  afterBodyMs: number | null
}

export interface FrontHooks {
  /** Kill plan for a PATCH (null: let it through). */
  planFor(path: string, reqHeaders: IncomingHttpHeaders): KillPlan | null
  /** Every answer the server gave (before it is forwarded to the client). */
  onAnswer(exchange: Exchange): void
  /** An instance is killed; `paths` are the request paths it was serving. */
  onKill(instance: number, kind: KillKind, paths: string[]): void
}

export class FrontProxy {
  readonly #server: http.Server
  readonly #inFlight = new Map<number, Map<http.IncomingMessage, string>>()
  #port = 0

  constructor(
    private readonly cluster: Cluster,
    private readonly hooks: FrontHooks,
    private readonly route: Rng,
  ) {
    this.#server = http.createServer((req, res) => void this.#handle(req, res))
    this.#server.keepAliveTimeout = 30_000
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r))
    this.#port = (this.#server.address() as AddressInfo).port
    return `http://127.0.0.1:${this.#port}`
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((r) => this.#server.close(r))
  }

  #kill(instance: Instance, kind: KillKind): void {
    if (instance.port === null) return // already being restarted
    const paths = [...(this.#inFlight.get(instance.id)?.values() ?? [])]
    this.hooks.onKill(instance.id, kind, paths)
    void this.cluster.killAndRestart(instance).catch((err) => {
      process.stderr.write(`[chaos] restarting instance ${instance.id} failed: ${(err as Error).message}\n`)
    })
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const startedAt = Date.now()
    req.pause()
    if (!(await this.cluster.waitLive(60_000))) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no server instance is up')
      return
    }
    const live = this.cluster.live()
    const instance = live[Math.floor(this.route.next() * live.length)] as Instance
    const port = instance.port as number
    const path = req.url ?? '/'
    const method = req.method ?? 'GET'
    const plan = method === 'PATCH' ? this.hooks.planFor(path, req.headers) : null
    const flying = this.#inFlight.get(instance.id) ?? new Map<http.IncomingMessage, string>()
    this.#inFlight.set(instance.id, flying)
    flying.set(req, path)
    let answered = false
    let killed = false
    let bodyEnd: number | null = null
    const kill = (kind: KillKind) => {
      if (killed) return
      killed = true
      this.#kill(instance, kind)
    }
    const headers = { ...req.headers }
    delete headers.connection
    delete headers['keep-alive']
    const up = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false })
    const finish = () => flying.delete(req)
    up.on('error', () => {
      finish()
      // The instance died (or refused): the client sees its connection reset, as without a proxy.
      if (!res.headersSent) res.destroy()
      else res.destroy()
    })
    up.on('response', (r) => {
      answered = true
      this.hooks.onAnswer({
        method,
        path,
        reqHeaders: req.headers,
        status: r.statusCode ?? 0,
        headers: r.headers,
        instance: instance.id,
        startedAt,
        afterBodyMs: bodyEnd === null ? null : Date.now() - bodyEnd,
      })
      const out = { ...r.headers }
      delete out.connection
      delete out['keep-alive']
      res.writeHead(r.statusCode ?? 502, out)
      r.pipe(res)
      r.on('error', () => res.destroy())
      r.on('close', () => {
        if (!r.complete) res.destroy()
      })
      res.on('finish', () => {
        finish()
        if (plan?.kind === 'after-ack' && r.statusCode === 204) kill('after-ack')
        if (plan?.kind === 'completion' && r.statusCode === 204) kill('completion-acked')
      })
    })
    req.on('error', () => up.destroy())
    res.on('close', () => {
      finish()
      if (!res.writableFinished) up.destroy()
    })

    let forwarded = 0
    req.on('data', (chunk: Buffer) => {
      if (killed) return
      if (plan?.kind === 'mid-body' && forwarded + chunk.length >= plan.at) {
        up.write(chunk.subarray(0, plan.at - forwarded))
        forwarded = plan.at
        kill('mid-body')
        req.socket.destroy()
        return
      }
      forwarded += chunk.length
      if (!up.write(chunk)) {
        req.pause()
        up.once('drain', () => req.resume())
      }
    })
    req.on('end', () => {
      if (killed) return
      if (plan?.kind === 'mid-body') {
        // The body ended before the planned point (a shorter body than declared): kill now.
        kill('mid-body')
        req.socket.destroy()
        return
      }
      up.end()
      bodyEnd = Date.now()
      if (plan?.kind === 'completion') {
        setTimeout(() => {
          if (!answered) kill('completion')
        }, plan.at)
      }
    })
    req.resume()
  }
}
